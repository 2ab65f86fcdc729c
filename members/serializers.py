"""Serializers of the members API.

Writes go through ``services``; each serializer's ``validate`` runs the same checks the services run
(``<noun>_validate``) on an unsaved copy, so a clash with a database rule answers 400 with a message on the
field concerned instead of an IntegrityError.
"""

import copy
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from coalition.api import TranslationsField
from coalition.dates import secretariat_today
from coalition.representation import ModelSerializer
from coalition.validators import validate_single_line
from members import services
from members.climate.serializers import IntegritySummarySerializer, integrity_data
from members.matching import normalise_email
from members.models import Commitment, Contact, Engagement, Membership, MembershipTier, Organisation


@contextmanager
def _as_api_errors():
    """Turn a service's Django ValidationError into DRF's, keeping the field names."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(get_error_detail(exc)) from exc


def _unsaved(instance, attrs: dict[str, Any], model):
    """An unsaved copy of ``instance`` (or a new object) with ``attrs`` applied, for checks before saving."""
    obj = copy.copy(instance) if instance is not None else model()
    for name, value in attrs.items():
        setattr(obj, name, value)
    return obj


# --- Nested read-only shapes -------------------------------------------------------------------------


class TierBriefSerializer(ModelSerializer):
    class Meta:
        model = MembershipTier
        fields = ["id", "name", "slug"]


class OrganisationMembershipSerializer(ModelSerializer):
    """An organisation's membership as shown on the organisation."""

    tier = TierBriefSerializer(read_only=True)
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "status",
            "is_current",
            "tier",
            "joined_on",
            "start_date",
            "end_date",
            "status_override",
        ]


class CommitmentBriefSerializer(ModelSerializer):
    class Meta:
        model = Commitment
        fields = ["id", "kind", "title", "target_year", "reduction_percent", "status", "is_interim"]


# --- Organisations ---------------------------------------------------------------------------------------


class OrganisationSerializer(ModelSerializer):
    country = CountryField(required=False, allow_blank=True)
    country_name = serializers.CharField(source="country.name", read_only=True)
    # Nested serializers declared as fields are built once per list, not once per row (a method field that
    # builds a serializer per row spent most of a page's time in ``get_fields``). The membership comes from
    # the denormalised ``current_membership`` joined by the selector; the commitments from its prefetch.
    membership = OrganisationMembershipSerializer(
        source="current_membership",
        read_only=True,
        allow_null=True,
        help_text="The organisation's current membership, else its latest; null if it never had one.",
    )
    commitments = CommitmentBriefSerializer(source="commitments_by_year", many=True, read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "country",
            "country_name",
            "sector",
            "website",
            "website_domain",
            "description",
            "listed_publicly",
            "parent",
            "preferred_language",
            "membership",
            "commitments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["website_domain", "created_at", "updated_at"]
        validators: list = []  # the model's conditional constraints are checked in validate()

    def to_representation(self, instance: Organisation) -> dict:
        if not hasattr(instance, "commitments_by_year"):  # a single record just written, not from the list
            instance.commitments_by_year = list(instance.commitments.order_by("target_year", "pk"))
        return super().to_representation(instance)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        with _as_api_errors():
            services.organisation_validate(organisation=_unsaved(self.instance, attrs, Organisation))
        return attrs


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    category = serializers.ChoiceField(choices=["engagement", "membership", "commitment", "affiliation"])
    kind = serializers.CharField(help_text="Engagement kind, or '+' created, '~' changed, '-' deleted.")
    title = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    by = serializers.CharField(allow_blank=True, help_text="Username of the staff member, if known.")
    object_id = serializers.IntegerField(allow_null=True)
    changes = serializers.ListField(child=serializers.CharField())


# --- Contacts --------------------------------------------------------------------------------------------


class ContactSerializer(ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "name",
            "email",
            "phone",
            "job_title",
            "is_primary",
            "preferred_language",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []

    def validate_email(self, value: str) -> str:
        return normalise_email(value)

    def validate_name(self, value: str) -> str:
        with _as_api_errors():
            validate_single_line(value)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        with _as_api_errors():
            services.contact_validate(contact=_unsaved(self.instance, attrs, Contact))
        return attrs


# --- Tiers and memberships -------------------------------------------------------------------------------


class MembershipTierSerializer(ModelSerializer):
    name_translations = TranslationsField(max_length=MembershipTier._meta.get_field("name").max_length)

    class Meta:
        model = MembershipTier
        fields = [
            "id",
            "name",
            "name_translations",
            "slug",
            "description",
            "annual_fee",
            "currency",
            "period_months",
            "grace_days",
            "starts_pending",
            "open_to_applicants",
            "sort_order",
            "first_reminder_days",
            "second_reminder_days",
            "grace_reminder",
            "fee_first",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        with _as_api_errors():
            services.membership_tier_validate(tier=_unsaved(self.instance, attrs, MembershipTier))
        return attrs


class MembershipSerializer(ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    tier_name = serializers.CharField(source="tier.name", read_only=True)
    is_current = serializers.BooleanField(read_only=True)
    joined_on = serializers.DateField(required=False, help_text="Defaults to the start date.")
    start_date = serializers.DateField(required=False, help_text="Defaults to today.")
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="Defaults to one period of the tier from the start."
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "tier",
            "tier_name",
            "status",
            "is_current",
            "joined_on",
            "start_date",
            "end_date",
            "status_override",
            "override_reason",
            "notes",
            "created_at",
            "updated_at",
        ]
        # Status changes only through the lifecycle actions (renew, override, suspend, ...).
        read_only_fields = ["status", "status_override", "override_reason", "created_at", "updated_at"]
        validators: list = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            if "organisation" in attrs and attrs["organisation"] != self.instance.organisation:
                raise serializers.ValidationError(
                    {"organisation": "A membership cannot move to another organisation; start a new one."}
                )
            candidate = _unsaved(self.instance, attrs, Membership)
            if candidate.status in (
                Membership.Status.PENDING,
                Membership.Status.ACTIVE,
                Membership.Status.GRACE,
            ):
                candidate.status = services.membership_status_on(membership=candidate, on=secretariat_today())
        else:
            tier = attrs["tier"]
            start = attrs.get("start_date") or secretariat_today()
            end = attrs.get("end_date") or services.membership_period_end(start=start, tier=tier)
            candidate = Membership(
                organisation=attrs["organisation"],
                tier=tier,
                start_date=start,
                end_date=end,
                status=Membership.Status.PENDING,
            )
            candidate.status = services.membership_status_on(membership=candidate, on=secretariat_today())
        with _as_api_errors():
            services.membership_validate(membership=candidate)
        return attrs


class MembershipRenewSerializer(serializers.Serializer):
    for_end_date = serializers.DateField(
        help_text="The end date you saw. If it has changed since, the renewal already happened and nothing "
        "changes (so a repeated request never extends twice)."
    )
    tier = serializers.PrimaryKeyRelatedField(
        queryset=MembershipTier.objects.all(),
        required=False,
        help_text="A different tier from this period on (an upgrade or downgrade at renewal).",
    )


class MembershipOverrideSerializer(serializers.Serializer):
    override = serializers.BooleanField(help_text="true: freeze the status; false: lift the freeze.")
    status = serializers.ChoiceField(
        choices=Membership.Status.choices, required=False, help_text="Status to freeze at (with override)."
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MembershipReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")


# --- Commitments -----------------------------------------------------------------------------------------


class CommitmentSerializer(ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    reduction_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=0,
        max_value=200,
        required=False,
        allow_null=True,
        help_text="0 to 200: above 100 for net-negative targets (Denmark: 110 % by 2050).",
    )
    target_year = serializers.IntegerField(min_value=1990, max_value=2100, required=False, allow_null=True)
    integrity = serializers.SerializerMethodField(
        help_text="The Net Zero Tracker's integrity criteria: each met, not met or unknown, and the counts."
    )

    class Meta:
        model = Commitment
        fields = [
            "id",
            "organisation",
            "organisation_name",
            *Commitment.TARGET_FIELDS,
            *Commitment.INTEGRITY_FIELDS,
            "integrity",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []

    @extend_schema_field(IntegritySummarySerializer)
    def get_integrity(self, obj: Commitment) -> dict:
        return integrity_data(obj)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        with _as_api_errors():
            services.commitment_validate(commitment=_unsaved(self.instance, attrs, Commitment))
        return attrs


class CommitmentRevisionSerializer(ModelSerializer):
    """One saved version of a commitment (django-simple-history)."""

    history_user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    history_type = serializers.CharField(help_text="'+' created, '~' changed, '-' deleted.")

    class Meta:
        model = Commitment.history.model
        fields = [
            "history_id",
            "history_date",
            "history_type",
            "history_user",
            "history_change_reason",
            "kind",
            "title",
            "target_year",
            "reduction_percent",
            "baseline_year",
            "baseline_emissions_mtco2e",
            "status",
            "gases",
            "scope",
            "uses_removals",
            "uses_offsets",
            "is_interim",
            "announced_on",
            "source_url",
        ]


# --- Engagements -----------------------------------------------------------------------------------------


class EngagementSerializer(ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    contacts = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=Contact.objects.all())
    staff = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=get_user_model().objects.filter(is_staff=True)
    )
    occurred_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")

    class Meta:
        model = Engagement
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "kind",
            "occurred_at",
            "summary",
            "details",
            "contacts",
            "staff",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        organisation = attrs.get("organisation") or self.instance.organisation
        contacts = attrs.get("contacts")
        if contacts is None and self.instance is not None and "organisation" in attrs:
            contacts = list(self.instance.contacts.all())
        with _as_api_errors():
            services.engagement_validate(organisation=organisation, contacts=contacts or ())
        return attrs
