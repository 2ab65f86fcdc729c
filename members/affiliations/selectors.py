"""Reads of people's affiliations and of the organisation hierarchy."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from members.models import Affiliation, Contact, Membership, Organisation

# Deeper than any real nesting (city → region → country → EU); stops a loop in bad data from spinning.
MAX_DEPTH = 10


def affiliation_list() -> QuerySet:
    return Affiliation.objects.select_related("contact", "organisation")


def organisation_ancestor_ids(*, organisation_id: int) -> list[int]:
    """The ids of ``organisation_id`` and the bodies it sits within, nearest first (one query per level)."""
    chain: list[int] = []
    current: int | None = organisation_id
    while current is not None and current not in chain and len(chain) <= MAX_DEPTH:
        chain.append(current)
        current = Organisation.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return chain


def organisation_descendant_ids(*, organisation_ids: list[int]) -> set[int]:
    """The ids of every body within the given ones, at any depth, the given ones included (one query per
    level of nesting)."""
    found = set(organisation_ids)
    frontier = set(organisation_ids)
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        frontier = (
            set(Organisation.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        )
        found |= frontier
    return found


def organisations_within_countries(*, codes: list[str]) -> QuerySet:
    """Organisations within the given countries: located there (country code) or sitting, at any depth,
    within the country's record (a region, its cities). The country records themselves are left out."""
    country_ids = list(
        Organisation.objects.filter(kind=Organisation.Kind.COUNTRY, country__in=codes).values_list(
            "pk", flat=True
        )
    )
    within = organisation_descendant_ids(organisation_ids=country_ids) - set(country_ids)
    return Organisation.objects.filter(Q(country__in=codes) | Q(pk__in=within)).exclude(pk__in=country_ids)


def organisation_children(*, organisation: Organisation) -> QuerySet:
    return organisation.children.order_by("name")


def contacts_ever_affiliated_ids(*, organisation: Organisation, contact_ids: list[int]) -> set[int]:
    """Of ``contact_ids``, those affiliated with ``organisation`` now or at any time before."""
    return set(
        Affiliation.objects.filter(organisation=organisation, contact_id__in=contact_ids).values_list(
            "contact_id", flat=True
        )
    )


def organisation_contacts_current(*, organisation_id: int) -> QuerySet:
    """The people at an organisation now: those it is the organisation of (``Contact.organisation``) and
    those with a current affiliation there (a delegate, a second post). The contacts an engagement with it
    is offered (``members.admin.ContactAdmin``)."""
    current = Affiliation.objects.filter(
        organisation_id=organisation_id, contact_id=OuterRef("pk"), end_on__isnull=True
    )
    return Contact.objects.filter(Q(organisation_id=organisation_id) | Exists(current))


@dataclass(frozen=True)
class OrganisationPeople:
    current: list[Affiliation]
    past: list[Affiliation]


def organisation_people(*, organisation: Organisation) -> OrganisationPeople:
    """Who is at the organisation now and who was, each with role and dates (two queries).

    A contact recorded without an affiliation (a bulk import writes rows directly) is shown as current,
    from the day it was recorded, so nobody goes missing from the page.
    """
    rows = list(
        Affiliation.objects.filter(organisation=organisation)
        .select_related("contact")
        .order_by("-start_on", "contact__name")
    )
    with_rows = {a.contact_id for a in rows}
    strays = Contact.objects.filter(organisation=organisation).exclude(pk__in=with_rows).order_by("name")
    for contact in strays:
        rows.append(
            Affiliation(
                contact=contact,
                organisation=organisation,
                job_title=contact.job_title,
                start_on=contact.created_at.date(),
                is_primary=True,
            )
        )
    return OrganisationPeople(
        current=[a for a in rows if a.end_on is None], past=[a for a in rows if a.end_on is not None]
    )


def focal_points_current(*, organisation: Organisation) -> list[Affiliation]:
    return list(
        Affiliation.objects.filter(
            organisation=organisation, role__in=Affiliation.FOCAL_POINT_ROLES, end_on__isnull=True
        ).select_related("contact")
    )


def countries_without_focal_point() -> QuerySet:
    """Member countries (a current membership) with no current national focal point: the dashboard's
    "needs attention". One query."""
    focal = Affiliation.objects.filter(
        organisation=OuterRef("pk"), role=Affiliation.Role.NATIONAL_FOCAL_POINT, end_on__isnull=True
    )
    current = Membership.objects.filter(organisation=OuterRef("pk"), status__in=Membership.CURRENT_STATUSES)
    return (
        Organisation.objects.filter(kind=Organisation.Kind.COUNTRY)
        .filter(Exists(current))
        .exclude(Exists(focal))
        .order_by("name")
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def affiliation_timeline_entries(*, organisation: Organisation) -> list:
    """Timeline entries for people joining and leaving the organisation (one query)."""
    from members.selectors import TimelineEntry

    entries = []
    for a in Affiliation.objects.filter(organisation=organisation).select_related("contact"):
        role = a.get_role_display()
        detail = a.job_title
        entries.append(
            TimelineEntry(
                at=_day_start(a.start_on),
                category="affiliation",
                kind="start",
                title=f"{a.contact.name} started: {role} (from {a.start_on.isoformat()})",
                detail=detail,
                object_id=a.pk,
            )
        )
        if a.end_on is not None:
            entries.append(
                TimelineEntry(
                    at=_day_start(a.end_on),
                    category="affiliation",
                    kind="end",
                    title=(
                        f"{a.contact.name} left: {role} ({a.start_on.isoformat()} to {a.end_on.isoformat()})"
                    ),
                    detail=detail,
                    object_id=a.pk,
                )
            )
    return entries
