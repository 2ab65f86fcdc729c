"""Serializers of the dues API. Amounts are decimal strings with their currency, never floats."""

from rest_framework import serializers

from coalition.representation import ModelSerializer
from members.models import Invoice, Membership, Payment


class InvoiceSerializer(ModelSerializer):
    display_number = serializers.CharField(read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    tier_name = serializers.CharField(source="tier.name", read_only=True)
    paid_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "display_number",
            "sequence",
            "number",
            "membership",
            "organisation",
            "organisation_name",
            "tier",
            "tier_name",
            "period_start",
            "period_end",
            "issued_on",
            "due_on",
            "amount",
            "currency",
            "paid_total",
            "bill_to",
            "tax_note",
            "status",
            "paid_on",
            "created_at",
        ]
        read_only_fields = fields


class InvoiceIssueSerializer(serializers.Serializer):
    membership = serializers.PrimaryKeyRelatedField(
        queryset=Membership.objects.select_related("tier", "organisation")
    )
    period_start = serializers.DateField(
        required=False,
        help_text="First day of the period to invoice; defaults to the membership's start date.",
    )


class OpenInvoiceSerializer(serializers.Serializer):
    invoice = InvoiceSerializer()
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    age_days = serializers.IntegerField()
    bucket = serializers.CharField()


class PaymentSerializer(ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.display_number", read_only=True)
    paid_on = serializers.DateField(
        required=False, help_text="Defaults to today (the secretariat's time zone); a later date is refused."
    )
    currency = serializers.CharField(required=False, max_length=3, help_text="Defaults to the invoice's.")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "paid_on",
            "amount",
            "currency",
            "method",
            "reference",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["recorded_by", "created_at"]
