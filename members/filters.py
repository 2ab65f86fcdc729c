"""django-filter FilterSets for the members API."""

from datetime import UTC

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from coalition.filters import FilterSet, StrictBooleanFilter
from members.climate.filters import CountriesFilter, CountryFilter
from members.models import (
    Commitment,
    Contact,
    Engagement,
    Membership,
    MembershipTier,
    Organisation,
    website_domain,
)

NO_MEMBERSHIP = "none"


class OrganisationFilter(FilterSet):
    # distinct=False on the choice filters of this module: they filter the list's own columns (no join to
    # a many-valued relation), and a DISTINCT over every selected column sorts the whole result.
    kind = django_filters.MultipleChoiceFilter(choices=Organisation.Kind.choices, distinct=False)
    country = CountriesFilter(distinct=False)
    sector = django_filters.MultipleChoiceFilter(choices=Organisation.Sector.choices, distinct=False)
    membership_status = django_filters.MultipleChoiceFilter(
        choices=[*Membership.Status.choices, (NO_MEMBERSHIP, "Never a member")],
        method="filter_membership_status",
        help_text="Status of the organisation's membership (its current one, else its latest); "
        f"'{NO_MEMBERSHIP}' for organisations that never had one.",
    )
    tier = django_filters.CharFilter(
        method="filter_tier", help_text="Tier (id or slug) of the organisation's membership."
    )
    parent = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), help_text="Organisations directly within this one (its id)."
    )
    within = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(),
        method="filter_within",
        help_text="Organisations within this one at any depth (a country's regions and their cities).",
    )
    domain = django_filters.CharFilter(
        method="filter_domain",
        help_text="Website domain or address; 'https://www.example.org/about' matches example.org.",
    )

    class Meta:
        model = Organisation
        fields = [
            "kind", "country", "sector", "membership_status", "tier", "domain", "listed_publicly", "parent",
            "within",
        ]  # fmt: skip

    def filter_within(self, queryset: QuerySet, name: str, value: Organisation | None) -> QuerySet:
        from members.affiliations.selectors import organisation_descendant_ids

        if value is None:
            return queryset
        return queryset.filter(pk__in=organisation_descendant_ids(organisation_ids=[value.pk]) - {value.pk})

    def filter_membership_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        # ``membership_status``: the organisation's own indexed copy of its membership's status
        # (services.organisation_membership_refresh); "" for an organisation that never had one.
        statuses = [v for v in value if v != NO_MEMBERSHIP]
        if NO_MEMBERSHIP in value:
            statuses.append("")
        return queryset.filter(membership_status__in=statuses)

    def filter_tier(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value.isdigit():
            return queryset.filter(current_membership__tier_id=int(value))
        tier_ids = MembershipTier.objects.filter(slug=value).values("pk")
        return queryset.filter(current_membership__tier_id__in=tier_ids)

    def filter_domain(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        try:
            domain = website_domain(value.strip())
        except ValueError:  # not a parseable address ("[", a broken IPv6 literal): match it as typed
            domain = value.strip().lower()
        return queryset.filter(website_domain=domain)


class ContactFilter(FilterSet):
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["organisation", "is_primary", "email"]


class MembershipFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Membership.Status.choices, distinct=False)
    is_current = StrictBooleanFilter(method="filter_is_current")
    end_date = django_filters.DateFromToRangeFilter(help_text="end_date_after / end_date_before (inclusive)")

    class Meta:
        model = Membership
        fields = ["organisation", "tier", "status", "status_override", "is_current", "end_date"]

    def filter_is_current(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=Membership.CURRENT_STATUSES)
        return queryset.exclude(status__in=Membership.CURRENT_STATUSES)


class CommitmentFilter(FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Commitment.Kind.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=Commitment.Status.choices, distinct=False)
    target_year = django_filters.RangeFilter(help_text="target_year_min / target_year_max (inclusive)")
    organisation_kind = django_filters.ChoiceFilter(
        field_name="organisation__kind", choices=Organisation.Kind.choices
    )
    country = CountryFilter(field_name="organisation__country")

    class Meta:
        model = Commitment
        fields = [
            "organisation",
            "kind",
            "status",
            "target_year",
            "is_interim",
            "organisation_kind",
            "country",
        ]


class UtcDateTimeRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """An ISO 8601 range whose bounds are turned into UTC first: PostgreSQL refuses odd offsets (-21:56)
    that Python parses happily, and a 500 is no answer to a strange query string."""

    def filter(self, qs: QuerySet, value):
        if value:
            try:
                value = slice(
                    value.start.astimezone(UTC) if value.start else None,
                    value.stop.astimezone(UTC) if value.stop else None,
                )
            except OverflowError as exc:
                raise ValidationError({self.field_name: "This date and time is out of range."}) from exc
        return super().filter(qs, value)


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """One ISO 8601 date and time, turned into UTC first, for the reason ``UtcDateTimeRangeFilter`` gives."""

    def filter(self, qs: QuerySet, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError as exc:
                # Name the query parameter the client sent (``starts_before``), not the model field.
                names = (
                    [name for name, each in self.parent.filters.items() if each is self]
                    if self.parent
                    else []
                )
                name = names[0] if names else self.field_name
                raise ValidationError({name: "This date and time is out of range."}) from exc
        return super().filter(qs, value)


class EngagementFilter(FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Engagement.Kind.choices, distinct=False)
    occurred_at = UtcDateTimeRangeFilter(help_text="occurred_at_after / occurred_at_before (ISO 8601)")
    contact = django_filters.NumberFilter(field_name="contacts")
    staff = django_filters.NumberFilter(field_name="staff")

    class Meta:
        model = Engagement
        fields = ["organisation", "kind", "occurred_at", "contact", "staff"]
