"""Demo data for the three coalitions this product serves (``manage.py load_demo --profile ...``).

Safe to run again: every record is found by a natural key (a country's ISO code, an organisation's
name, a contact's name within the organisation, a membership's join date, a commitment's kind, an
engagement's kind and time) and only written when something differs, so a second run adds no rows
and no history entries.

Tiers, organisations, memberships, commitments and engagements are written by their services; history rows
carry the date the change really happened (the services' ``history_date``), so an organisation's timeline
reads like its story rather than like the moment the demo was loaded. Contacts go through
``contact_create``/``contact_update`` too; their first affiliation starts when the organisation joined
(``affiliation_start_on``), not on the day the demo was loaded. Contacts are fictional people with
example.org addresses, or public offices without a personal address.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction

from coalition.dates import secretariat_today
from members import services
from members.demo.base import TIERS, DemoCommitment, DemoEngagement, DemoOrganisation, K, _at
from members.demo.cnc import CNC
from members.demo.cne import CNE
from members.demo.gone import GONE
from members.models import Commitment, Contact, Engagement, Membership, MembershipTier, Organisation
from members.services import months_later

PROFILES = ("gone", "cne", "cnc")
DATA = {"gone": GONE, "cne": CNE, "cnc": CNC}


# --- Loading ----------------------------------------------------------------------------------------------


def _differs(obj, values: dict[str, Any]) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _contact(organisation: Organisation, spec: DemoOrganisation, values: dict[str, Any]) -> Contact:
    name = values.pop("name")
    existing = Contact.objects.filter(organisation=organisation, name=name).first()
    if existing is None:
        # With the organisation since it joined, or since the first engagement on record.
        since: date | None = spec.joined_on or min((e.at.date() for e in spec.engagements), default=None)
        return services.contact_create(
            organisation=organisation, name=name, affiliation_start_on=since, **values
        )
    if _differs(existing, values):
        return services.contact_update(contact=existing, **values)
    return existing


def _organisation(spec: DemoOrganisation) -> Organisation:
    values = dict(
        name=spec.name,
        kind=spec.kind,
        country=spec.country,
        sector=spec.sector,
        website=spec.website,
        description=spec.description,
        listed_publicly=spec.listed_publicly,
    )
    if spec.kind == K.COUNTRY:
        lookup = {"kind": K.COUNTRY, "country": values.pop("country")}
        del values["kind"]
    else:
        lookup = {"name": values.pop("name")}
    created_at = (
        _at(spec.joined_on.year, spec.joined_on.month, spec.joined_on.day, 8) if spec.joined_on else None
    )
    existing = Organisation.objects.filter(**lookup).first()
    if existing is None:
        return services.organisation_create(history_date=created_at, **lookup, **values)
    if _differs(existing, values):
        return services.organisation_update(organisation=existing, history_date=created_at, **values)
    return existing


def _tier(values: dict[str, Any]) -> MembershipTier:
    fields = {k: v for k, v in values.items() if k != "slug"}
    existing = MembershipTier.objects.filter(slug=values["slug"]).first()
    if existing is None:
        return services.membership_tier_create(**values)
    if _differs(existing, fields):
        return services.membership_tier_update(tier=existing, **fields)
    return existing


def _membership(organisation: Organisation, spec: DemoOrganisation, tiers: dict[str, MembershipTier]) -> None:
    if not spec.tier or not spec.joined_on:
        return
    tier = tiers[spec.tier]
    existing = Membership.objects.filter(organisation=organisation, joined_on=spec.joined_on).first()
    if existing is None and organisation.memberships.filter(status__in=Membership.CURRENT_STATUSES).exists():
        # Loaded alongside another profile that already made it a member: one current membership only.
        return
    at = _at(spec.joined_on.year, spec.joined_on.month, spec.joined_on.day, 10)
    if existing is not None:
        if existing.tier_id != tier.pk:
            services.membership_update(membership=existing, tier=tier, history_date=at)
        return
    start, end = spec.joined_on, None
    if tier.period_months:
        # Members renewed every period since joining; the demo shows the current period.
        while months_later(start, tier.period_months) <= secretariat_today():
            start = months_later(start, tier.period_months)
        end = months_later(start, tier.period_months) - timedelta(days=1)
    services.membership_start(
        organisation=organisation,
        tier=tier,
        joined_on=spec.joined_on,
        start_date=start,
        end_date=end,
        history_date=at,
    )


def _commitment(organisation: Organisation, spec: DemoCommitment) -> None:
    commitment = Commitment.objects.filter(organisation=organisation, kind=spec.kind).first()
    if commitment is not None:
        final: dict[str, Any] = {}
        for version in spec.versions:
            final.update(version.fields)
        if _differs(commitment, final):
            services.commitment_update(commitment=commitment, history_date=spec.versions[-1].on, **final)
        return
    # First load: replay the revisions so the history shows how the target changed.
    for version in spec.versions:
        if commitment is None:
            commitment = services.commitment_create(
                organisation=organisation, kind=spec.kind, history_date=version.on, **version.fields
            )
        elif _differs(commitment, version.fields):
            commitment = services.commitment_update(
                commitment=commitment, history_date=version.on, **version.fields
            )


def _engagement(organisation: Organisation, spec: DemoEngagement) -> None:
    values = {"summary": spec.summary, "details": spec.details}
    wanted = list(organisation.contacts.filter(name__in=spec.contacts)) if spec.contacts else []
    engagement = Engagement.objects.filter(
        organisation=organisation, kind=spec.kind, occurred_at=spec.at
    ).first()
    if engagement is None:
        services.engagement_create(
            organisation=organisation, kind=spec.kind, occurred_at=spec.at, contacts=wanted, **values
        )
        return
    contacts_differ = bool(spec.contacts) and set(engagement.contacts.values_list("pk", flat=True)) != {
        c.pk for c in wanted
    }
    if _differs(engagement, values) or contacts_differ:
        services.engagement_update(
            engagement=engagement, contacts=wanted if spec.contacts else None, **values
        )


@transaction.atomic
def load(*, profile: str) -> None:
    """Load (or bring up to date) the demo records of one coalition: ``gone``, ``cne`` or ``cnc``."""
    if profile not in DATA:
        raise ValueError(f"Unknown demo profile {profile!r}; choose one of {', '.join(PROFILES)}.")
    tiers = {t["slug"]: _tier(t) for t in TIERS}
    for spec in DATA[profile]:
        organisation = _organisation(spec)
        for contact in spec.contacts:
            values = {"email": "", "phone": "", "job_title": "", "is_primary": False, **contact}
            _contact(organisation, spec, values)
        _membership(organisation, spec, tiers)
        for commitment in spec.commitments:
            _commitment(organisation, commitment)
        for engagement in spec.engagements:
            _engagement(organisation, engagement)
