"""Admin for invoices and payments (registered from ``members/admin.py``).

Invoices are issued by the membership services and never edited here (their numbers and amounts stay as
issued); staff send, void, download them, and export the open ones with their age. Payments are recorded
through ``payment_record``, partial payments allowed.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from coalition.admin_inlines import TabularInline
from coalition.dates import secretariat_today
from coalition.exceptions import InvalidTransition
from members.admin_export import CoalitionExportMixin
from members.dues import selectors, services
from members.dues.pdf import invoice_pdf
from members.models import Invoice, Payment


class PaymentInline(TabularInline):
    model = Payment
    extra = 0
    fields = ("paid_on", "amount", "currency", "method", "reference", "recorded_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(CoalitionExportMixin, ModelAdmin):
    list_display = (
        "__str__", "organisation", "tier", "issued_on", "due_on", "amount", "currency", "status", "pdf",
    )  # fmt: skip
    list_filter = ("status", "currency", "tier")
    search_fields = ("organisation__name", "bill_to")
    list_select_related = ("organisation", "tier")
    date_hierarchy = "issued_on"
    inlines = (PaymentInline,)
    actions = ("send", "void")
    readonly_fields = (
        "pdf", "sequence", "number", "membership", "organisation", "tier", "period_start", "period_end",
        "issued_on", "due_on", "amount", "currency", "bill_to", "tax_note", "status", "paid_on",
    )  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False  # issued by starting or renewing a membership of a tier with a fee

    @admin.display(description=_("PDF"))
    def pdf(self, invoice: Invoice) -> str:
        """A link to the invoice as a PDF (``pdf_view``), on its page and in the list."""
        if invoice is None or invoice.pk is None:
            return "–"
        url = reverse("admin:members_invoice_pdf", args=[invoice.pk])
        return format_html('<a href="{}" download>{}</a>', url, _("Download %s.pdf") % invoice.display_number)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # numbers have no gaps: void instead

    def get_urls(self):
        return [
            path(
                "open.csv",
                self.admin_site.admin_view(self.open_csv_view),
                name="members_invoice_open_csv",
            ),
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="members_invoice_pdf",
            ),
            *super().get_urls(),
        ]

    def open_csv_view(self, request) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        rows = selectors.invoices_open(today=secretariat_today())
        response = HttpResponse(
            selectors.invoices_open_csv(rows=rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="open-invoices.csv"'
        return response

    def pdf_view(self, request, pk: int) -> HttpResponse:
        invoice = self.get_object(request, str(pk))
        if invoice is None or not self.has_view_permission(request, invoice):
            return HttpResponse(status=404)
        response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.display_number}.pdf"'
        return response

    @admin.action(description=_("Send the selected invoices (once each)"), permissions=["change"])
    def send(self, request, queryset) -> None:
        sent = sum(
            1
            for invoice in queryset.select_related("organisation", "tier")
            if services.invoice_send(invoice=invoice)
        )
        self.message_user(request, _("%d invoice(s) queued or already sent.") % sent, messages.SUCCESS)

    @admin.action(description=_("Void the selected invoices"), permissions=["change"])
    def void(self, request, queryset) -> None:
        for invoice in queryset:
            try:
                services.invoice_void(invoice=invoice, by=request.user)
            except InvalidTransition as exc:
                self.message_user(request, f"{invoice}: {exc}", messages.ERROR)


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ("invoice", "paid_on", "amount", "currency", "method", "reference")

    currency = forms.CharField(
        max_length=3, required=False, help_text=_("Defaults to the invoice's currency.")
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("invoice") is not None and cleaned.get("amount") is not None:
            try:
                services.payment_validate(
                    invoice=cleaned["invoice"],
                    amount=cleaned["amount"],
                    currency=cleaned.get("currency") or None,
                    paid_on=cleaned.get("paid_on"),
                )
            except ValidationError as exc:
                raise forms.ValidationError(exc.message_dict) from exc
            except InvalidTransition as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned


@admin.register(Payment)
class PaymentAdmin(CoalitionExportMixin, ModelAdmin):
    form = PaymentForm
    list_display = ("invoice", "paid_on", "amount", "currency", "method", "reference", "recorded_by")
    list_filter = ("method", "currency")
    search_fields = ("invoice__organisation__name", "reference")
    list_select_related = ("invoice", "invoice__organisation", "recorded_by")
    autocomplete_fields = ("invoice",)
    date_hierarchy = "paid_on"

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.payment_record(
            invoice=data["invoice"],
            amount=data["amount"],
            paid_on=data.get("paid_on"),
            method=data["method"],
            reference=data.get("reference", ""),
            currency=data.get("currency") or None,
            by=request.user,
        )
        obj.pk = saved.pk
