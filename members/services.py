"""Writes of the members domain. Keyword-only functions named ``<noun>_<verb>``; each one a transaction.

Every change to a membership goes through a function here and is saved with its history (who, why), so the
organisation's timeline (``selectors.organisation_timeline``) shows it.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from coalition import hooks
from coalition.dates import secretariat_today
from coalition.exceptions import InvalidTransition
from coalition.versions import DASHBOARD_CONTENT, PUBLIC_CONTENT, content_changed
from members.matching import normalise_email
from members.models import (
    Commitment,
    Contact,
    Engagement,
    Invoice,
    Membership,
    MembershipTier,
    Organisation,
)

Status = Membership.Status


def records_changed() -> None:
    """Tell the caches of the public pages and the dashboard figures that the records changed."""
    content_changed(PUBLIC_CONTENT, DASHBOARD_CONTENT)


def _apply(instance, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


def save_with_history(instance, *, by=None, reason: str = "", history_date: datetime | None = None) -> None:
    """Save a model with simple-history's user and change reason for this one revision.

    ``history_date`` dates the revision when the change really happened (records entered after the fact,
    the demo data); by default it is now.
    """
    if by is not None:
        instance._history_user = by
    if reason:
        instance._change_reason = reason
    if history_date is not None:
        instance._history_date = history_date
    instance.save()


# --- Words of names, for typo-tolerant search ---------------------------------------------------------
# members/search.py corrects a query's words against members.models.SearchWord; every service that writes
# a name records its words here. Words are the lexemes of PostgreSQL's "simple" full-text parser, the same
# as the search's full-text vectors, so a corrected word is one the vectors contain. Numbers and words
# under three letters are left out: a typo in them is not worth forgiving.

_WORDS_OF = """
SELECT DISTINCT lexeme FROM unnest(%s::text[]) AS names(text), unnest(to_tsvector('simple', names.text))
WHERE char_length(lexeme) BETWEEN 3 AND 200 AND lexeme !~ '^[0-9]+$'
"""
# Every searched name (members/migrations/0019_search_words fills the table with the same union).
SEARCH_WORDS_FROM = """
SELECT name FROM members_organisation UNION ALL SELECT name FROM members_contact
UNION ALL SELECT organisation_name FROM members_enquiry UNION ALL SELECT contact_name FROM members_enquiry
"""


@transaction.atomic
def search_words_add(*, names: Iterable[str]) -> None:
    """Record the words of ``names`` (one query; nothing on databases other than PostgreSQL)."""
    names = [name for name in names if name]
    if not names or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Sorted, so two writers adding overlapping words take their row locks in the same order.
        cursor.execute(
            f"INSERT INTO members_searchword (word) SELECT lexeme FROM ({_WORDS_OF}) AS words "  # noqa: S608
            "ORDER BY lexeme ON CONFLICT DO NOTHING",
            [names],
        )


@transaction.atomic
def search_words_rebuild() -> int:
    """Rebuild the words from every name: after bulk loads that bypass the services, and to drop words no
    name has any more. Returns the number of words."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE members_searchword IN EXCLUSIVE MODE")
        cursor.execute("DELETE FROM members_searchword")
        cursor.execute(
            "INSERT INTO members_searchword (word) SELECT DISTINCT lexeme "  # noqa: S608
            f"FROM ({SEARCH_WORDS_FROM}) AS names(text), unnest(to_tsvector('simple', names.text)) "
            "WHERE char_length(lexeme) BETWEEN 3 AND 200 AND lexeme !~ '^[0-9]+$'"
        )
        return cursor.rowcount


# --- Organisations ---------------------------------------------------------------------------------------


ORGANISATION_FIELDS = {
    "name", "kind", "country", "sector", "website", "description", "listed_publicly", "parent", "isin",
    "preferred_language",
}  # fmt: skip


def organisation_validate(*, organisation: Organisation) -> None:
    """Field messages for the rules the database enforces, so a clash reads as a form error, not a 500."""
    errors: dict[str, str] = {}
    if organisation.kind == Organisation.Kind.COUNTRY:
        if not organisation.country:
            errors["country"] = "A country record needs its ISO 3166 country code."
        else:
            clash = Organisation.objects.filter(kind=Organisation.Kind.COUNTRY, country=organisation.country)
            if organisation.pk:
                clash = clash.exclude(pk=organisation.pk)
            existing = clash.first()
            if existing is not None:
                errors["country"] = f"There is already a record for this country: {existing.name}."
    elif (
        organisation.pk
        and Organisation.objects.filter(pk=organisation.pk, kind=Organisation.Kind.COUNTRY).exists()
    ):
        # The country's record holds its NDCs, targets and membership, and every import finds the country
        # by it: turned into a company, the next tracker import created a second "Denmark".
        errors["kind"] = (
            "A country's record stays a country. To record a body of this country (a ministry, an agency), "
            "add it as an organisation of its own."
        )
    if organisation.parent_id is not None:
        from members.affiliations.selectors import organisation_ancestor_ids

        if organisation.pk and (
            organisation.parent_id == organisation.pk
            or organisation.pk in organisation_ancestor_ids(organisation_id=organisation.parent_id)
        ):
            errors["parent"] = "An organisation cannot sit within itself or within one of its own parts."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def organisation_create(*, by=None, history_date: datetime | None = None, **fields: Any) -> Organisation:
    unknown = set(fields) - ORGANISATION_FIELDS
    if unknown:
        raise TypeError(f"organisation_create() got unexpected fields: {sorted(unknown)}")
    organisation = Organisation(**fields)
    organisation_validate(organisation=organisation)
    organisation.full_clean()
    save_with_history(organisation, by=by, history_date=history_date)
    search_words_add(names=[organisation.name])
    records_changed()
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, by=None, history_date: datetime | None = None, **fields: Any
) -> Organisation:
    unknown = set(fields) - ORGANISATION_FIELDS
    if unknown:
        raise TypeError(f"organisation_update() got unexpected fields: {sorted(unknown)}")
    _apply(organisation, fields)
    organisation_validate(organisation=organisation)
    organisation.full_clean()
    save_with_history(organisation, by=by, history_date=history_date)
    if "name" in fields:
        search_words_add(names=[organisation.name])
    records_changed()
    return organisation


def _delete(instance, *, by=None) -> None:
    """Delete a record; its history (for the models that keep one) records the deletion and who made it."""
    if by is not None:
        instance._history_user = by
    instance.delete()


@transaction.atomic
def organisation_delete(*, organisation: Organisation, by=None) -> None:
    """Delete an organisation entered by mistake, with its contacts, memberships, commitments and
    engagements (a member that leaves is withdrawn, not deleted). Invoices and member organisations
    refer to it and stop the deletion (``ProtectedError``, which the admin and the API show as such)."""
    _delete(organisation, by=by)
    records_changed()


# --- Contacts --------------------------------------------------------------------------------------------


CONTACT_FIELDS = {"organisation", "name", "email", "phone", "job_title", "is_primary", "preferred_language"}


def contact_validate(*, contact: Contact) -> None:
    errors: dict[str, str] = {}
    others = Contact.objects.filter(organisation_id=contact.organisation_id)
    if contact.pk:
        others = others.exclude(pk=contact.pk)
    if contact.email and others.filter(email=contact.email).exists():
        errors["email"] = "This organisation already has a contact with this email."
    if contact.is_primary and others.filter(is_primary=True).exists():
        errors["is_primary"] = (
            "This organisation already has a primary contact; unmark that one first, "
            "or use the primary flag on it."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contact_create(
    *,
    organisation: Organisation,
    name: str,
    by=None,
    affiliation_start_on: date | None = None,
    **fields: Any,
) -> Contact:
    """Add a person to an organisation. The email is stored lower-case and is unique per organisation.

    The person's first affiliation (with ``organisation``) starts today, or on ``affiliation_start_on`` for
    someone who was there before they were entered (an import of old records, the demo data)."""
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise TypeError(f"contact_create() got unexpected fields: {sorted(unknown)}")
    contact = Contact(organisation=organisation, name=name, **fields)
    contact.email = normalise_email(contact.email)
    contact.full_clean(validate_constraints=False)
    contact_validate(contact=contact)
    contact.save()
    search_words_add(names=[contact.name])
    from members.affiliations.services import affiliation_record_first

    affiliation_record_first(contact=contact, start_on=affiliation_start_on)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, by=None, **fields: Any) -> Contact:
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise TypeError(f"contact_update() got unexpected fields: {sorted(unknown)}")
    previous_organisation_id = contact.organisation_id
    _apply(contact, fields)
    contact.email = normalise_email(contact.email)
    contact.full_clean(validate_constraints=False)
    contact_validate(contact=contact)
    contact.save()
    if "name" in fields:
        search_words_add(names=[contact.name])
    if contact.organisation_id != previous_organisation_id:
        # Changing the organisation is a move: the old affiliation ends, a new one starts.
        from members.affiliations.services import affiliation_follow_contact

        affiliation_follow_contact(contact=contact)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, by=None) -> None:
    """Delete a contact; their subscriptions stay, unlinked (a person's data is erased on the subscriber)."""
    _delete(contact, by=by)


# --- Commitments -----------------------------------------------------------------------------------------


def commitment_validate(*, commitment: Commitment) -> None:
    """Field checks first, then the rules between fields as field messages, then the database's rules."""
    commitment.full_clean(validate_constraints=False)
    errors: dict[str, str] = {}
    pct = commitment.reduction_percent
    if pct is not None and not 0 <= pct <= 200:
        errors["reduction_percent"] = "The reduction must be between 0 and 200 percent."
    target, baseline = commitment.target_year, commitment.baseline_year
    if target is not None and not 1990 <= target <= 2100:
        errors["target_year"] = "The target year must be between 1990 and 2100."
    elif target is not None and baseline is not None and target <= baseline:
        errors["target_year"] = f"The target year must come after the baseline year ({baseline})."
    if errors:
        raise ValidationError(errors)
    commitment.validate_constraints()


@transaction.atomic
def commitment_create(
    *,
    organisation: Organisation,
    by=None,
    reason: str = "",
    history_date: datetime | None = None,
    **fields: Any,
) -> Commitment:
    """Record a climate target. Campaigns whose ask it satisfies hear of it (hook ``commitment_recorded``)."""
    commitment = Commitment(organisation=organisation, **fields)
    commitment_validate(commitment=commitment)
    save_with_history(commitment, by=by, reason=reason, history_date=history_date)
    records_changed()
    hooks.run("commitment_recorded", commitment=commitment, created=True, by=by)
    return commitment


@transaction.atomic
def commitment_update(
    *,
    commitment: Commitment,
    by=None,
    reason: str = "",
    history_date: datetime | None = None,
    **fields: Any,
) -> Commitment:
    """Revise a target; the previous version stays in its history (with ``reason``, if given)."""
    _apply(commitment, fields)
    commitment_validate(commitment=commitment)
    save_with_history(commitment, by=by, reason=reason, history_date=history_date)
    records_changed()
    hooks.run("commitment_recorded", commitment=commitment, created=False, by=by)
    return commitment


@transaction.atomic
def commitment_delete(*, commitment: Commitment, by=None) -> None:
    """Delete a target recorded by mistake (a target dropped by its organisation is revised to that
    status instead); its history keeps the deletion. Campaigns whose ask it answered hear of it first (hook
    ``commitment_deleted``)."""
    hooks.run("commitment_deleted", commitment=commitment, by=by)
    _delete(commitment, by=by)
    records_changed()


# --- The organisation's membership, denormalised ---------------------------------------------------------


def organisation_membership_refresh(*, organisation_ids: Iterable[int] | None = None) -> int:
    """Point ``Organisation.current_membership`` (and its copy of the status, ``membership_status``) at each
    organisation's membership: its current one, else the one that started last; none if it never had one.

    The one writer of those two columns: every service that creates, moves or changes the status of a
    membership calls it for the organisations concerned, in its own transaction. One UPDATE with a
    correlated subquery (portable: PostgreSQL and the embedded SQLite); ``organisation_ids=None`` refreshes
    every organisation (the data migration's and a repair's way). Returns the number of rows updated.
    """
    from django.db.models import OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from members.selectors import memberships_newest_first

    latest = memberships_newest_first(Membership.objects.filter(organisation_id=OuterRef("pk")))
    values = {
        "current_membership": Subquery(latest.values("pk")[:1]),
        "membership_status": Coalesce(Subquery(latest.values("status")[:1]), Value("")),
    }
    if organisation_ids is None:
        records_changed()
        return Organisation.objects.update(**values)
    ids = sorted({pk for pk in organisation_ids if pk is not None})
    # In slices, so a daily recomputation that changed thousands stays under SQLite's parameter limit.
    records_changed()
    chunks = (ids[i : i + 5000] for i in range(0, len(ids), 5000))
    return sum(Organisation.objects.filter(pk__in=chunk).update(**values) for chunk in chunks)


# --- Membership tiers ------------------------------------------------------------------------------------


MEMBERSHIP_TIER_FIELDS = {
    "name", "slug", "description", "annual_fee", "currency", "period_months", "grace_days", "starts_pending",
    "open_to_applicants", "sort_order", "first_reminder_days", "second_reminder_days", "grace_reminder",
    "fee_first", "name_translations",
}  # fmt: skip

TIER_IN_USE = (
    "Memberships of this tier exist; move them to another tier first, "
    "or stop offering it to applicants instead."
)
TIER_INVOICED = "Invoices were issued for this tier; stop offering it to applicants instead."


def membership_tier_validate(*, tier: MembershipTier) -> None:
    """The rules of a tier that the columns alone do not hold, worded for the field concerned."""
    errors: dict[str, str] = {}
    if tier.annual_fee is not None and tier.annual_fee < 0:
        errors["annual_fee"] = "A fee cannot be negative; leave it empty for a tier without a fee."
    elif tier.fee_first and not tier.annual_fee:
        # Its memberships would wait, pending, for an invoice that is never issued (no fee, no invoice).
        errors["fee_first"] = (
            "Only a tier with a fee can wait for the first payment: set the fee, or untick this."
        )
    currency = tier.currency or ""
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        errors["currency"] = "Use the three-letter ISO 4217 code, such as EUR."
    if errors:
        raise ValidationError(errors)


def _membership_tier_save(tier: MembershipTier) -> MembershipTier:
    tier.currency = (tier.currency or "").upper()
    membership_tier_validate(tier=tier)
    tier.full_clean()
    tier.save()
    # Tier names and the tiers open to applicants show on public pages.
    records_changed()
    return tier


@transaction.atomic
def membership_tier_create(**fields: Any) -> MembershipTier:
    unknown = set(fields) - MEMBERSHIP_TIER_FIELDS
    if unknown:
        raise TypeError(f"membership_tier_create() got unexpected fields: {sorted(unknown)}")
    return _membership_tier_save(MembershipTier(**fields))


@transaction.atomic
def membership_tier_update(*, tier: MembershipTier, **fields: Any) -> MembershipTier:
    unknown = set(fields) - MEMBERSHIP_TIER_FIELDS
    if unknown:
        raise TypeError(f"membership_tier_update() got unexpected fields: {sorted(unknown)}")
    _apply(tier, fields)
    return _membership_tier_save(tier)


@transaction.atomic
def membership_tier_delete(*, tier: MembershipTier) -> None:
    """Delete a tier no membership or invoice uses; enquiries that asked for it keep no tier."""
    if tier.memberships.exists():
        raise InvalidTransition(TIER_IN_USE)
    if tier.invoices.exists():
        raise InvalidTransition(TIER_INVOICED)
    tier.delete()
    records_changed()


# --- Memberships: the status rules -----------------------------------------------------------------------


def months_later(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def membership_period_end(*, start: date, tier: MembershipTier) -> date | None:
    """Last day of a period of ``tier`` that starts on ``start`` (inclusive); None for an open-ended tier."""
    if not tier.period_months:
        return None
    return months_later(start, tier.period_months) - timedelta(days=1)


# Statuses only staff set; the date rules never touch them.
STAFF_STATUSES = (Status.SUSPENDED, Status.WITHDRAWN)


def membership_status_on(*, membership: Membership, on: date, fee_paid: bool = False) -> str:
    """The status ``membership`` should have on day ``on``, by its dates and its tier. Pure: no queries
    beyond the tier, no writes.

    - a staff override (``status_override``) freezes whatever status it has;
    - suspended and withdrawn are set and lifted only by staff (``membership_suspend``,
      ``membership_withdraw``, ``membership_reinstate``), so they stay;
    - a pending membership of a tier that ``starts_pending`` (a fee first) waits for ``membership_activate``,
      unless the caller found its period's invoice paid in full (``fee_paid``, say paid before the start
      date): then the dates decide, as for any other membership;
    - pending before ``start_date``;
    - active from ``start_date`` to ``end_date`` inclusive, or for good when there is no end date;
    - grace for the tier's ``grace_days`` after ``end_date`` (the last grace day included);
    - lapsed after that.
    """
    if membership.status_override or membership.status in STAFF_STATUSES:
        return membership.status
    if membership.status == Status.PENDING and _waits_for_fee(membership) and not fee_paid:
        return Status.PENDING
    if on < membership.start_date:
        return Status.PENDING
    if membership.end_date is None or on <= membership.end_date:
        return Status.ACTIVE
    if on <= membership.end_date + timedelta(days=membership.tier.grace_days):
        return Status.GRACE
    return Status.LAPSED


def _waits_for_fee(membership: Membership) -> bool:
    return membership.tier.starts_pending or membership.tier.fee_first


# Statuses the dates decide (unless frozen by an override).
DATE_STATUSES = (Status.PENDING, Status.ACTIVE, Status.GRACE, Status.LAPSED)


def _dated_status(membership: Membership, *, today: date) -> str:
    """``membership_status_on`` for a stored membership: a pending one of a fee-first tier whose start date
    has come is looked up for a period invoice paid in full (one query, only then), so a fee paid before the
    start date activates it as soon as an action looks at it, not only at the nightly recomputation."""
    from members.dues.services import memberships_fee_paid  # the dues package builds on these services

    fee_paid = (
        membership.status == Status.PENDING
        and not membership.status_override
        and _waits_for_fee(membership)
        and membership.pk is not None
        and today >= membership.start_date
        and membership.pk in memberships_fee_paid(memberships=[membership])
    )
    return membership_status_on(membership=membership, on=today, fee_paid=fee_paid)


def _status_from_dates(membership: Membership, *, today: date) -> None:
    """Set the status the dates give ``today`` before an action decides anything on it.

    The stored status is only as fresh as the last daily recomputation (which may not have run: the embedded
    default has no beat, a beat may be stopped), so every membership action starts from what the dates say,
    with the same pure function the daily task uses (``membership_status_on``).
    """
    if membership.status in DATE_STATUSES and not membership.status_override:
        membership.status = _dated_status(membership, today=today)


def _current_clash(*, membership: Membership) -> Membership | None:
    """Another current membership of the same organisation, if any."""
    return (
        Membership.objects.filter(
            organisation_id=membership.organisation_id, status__in=Membership.CURRENT_STATUSES
        )
        .exclude(pk=membership.pk)
        .select_related("tier")
        .first()
    )


def membership_validate(*, membership: Membership) -> None:
    """The membership rules as field messages (the database enforces them too, as the last word)."""
    if membership.end_date is not None and membership.end_date < membership.start_date:
        raise ValidationError({"end_date": "The end date must not be before the start date."})
    if membership.status in Membership.CURRENT_STATUSES:
        clash = _current_clash(membership=membership)
        if clash is not None:
            raise ValidationError(
                {
                    "organisation": (
                        f"This organisation already has a current membership ({clash.tier}, "
                        f"{clash.get_status_display().lower()}). Renew or end that one instead."
                    )
                }
            )


def _lock(membership: Membership) -> Membership:
    """The membership's row, locked for this transaction: two staff actions on it never interleave."""
    return Membership.objects.select_for_update(of=("self",)).select_related("tier").get(pk=membership.pk)


def _refresh_caller(caller: Membership, fresh: Membership) -> Membership:
    # Callers keep using the object they passed in; make it show what the database now holds.
    if caller is not fresh:
        caller.refresh_from_db()
    return fresh


@transaction.atomic
def membership_start(
    *,
    organisation: Organisation,
    tier: MembershipTier,
    start_date: date | None = None,
    by=None,
    end_date: date | None = None,
    joined_on: date | None = None,
    notes: str = "",
    history_date: datetime | None = None,
) -> Membership:
    """Open a membership of ``tier`` from ``start_date`` (default today), status from the tier's rules.

    A tier that ``starts_pending`` (a fee to pay first, say) opens as pending; otherwise the status follows
    the dates (pending if the start lies in the future, active from then on). The end date defaults to one
    period of the tier (none for an open-ended tier).
    """
    today = secretariat_today()
    start = start_date or today
    end = end_date if end_date is not None else membership_period_end(start=start, tier=tier)
    membership = Membership(
        organisation=organisation,
        tier=tier,
        status=Status.PENDING,
        joined_on=joined_on or start,
        start_date=start,
        end_date=end,
        notes=notes,
    )
    membership.status = membership_status_on(membership=membership, on=today)
    membership.full_clean(validate_constraints=False)
    membership_validate(membership=membership)
    save_with_history(membership, by=by, reason="Membership started", history_date=history_date)
    organisation_membership_refresh(organisation_ids=[membership.organisation_id])
    _period_started(membership=membership, period_start=start, by=by)
    return membership


def _period_started(*, membership: Membership, period_start: date, by=None) -> None:
    """A new membership period began (a start or a renewal): a tier with a fee invoices it."""
    from members.dues.services import invoice_issue_for_period  # the dues package builds on these services

    invoice_issue_for_period(membership=membership, period_start=period_start, by=by)


_MEMBERSHIP_EDITABLE = {"tier", "joined_on", "start_date", "end_date", "notes"}


@dataclass(frozen=True)
class _TierMove:
    """What a tier change found before it changed anything: the invoice of the membership's period (to void),
    its status by the dates then (whether it had started, whether it ran), its end date then, and the first
    day of the period it ran in."""

    invoice: Invoice | None
    status: str
    previous_end: date | None
    period_start: date

    @property
    def started(self) -> bool:
        return self.status != Status.PENDING


def _current_period_start(membership: Membership) -> date:
    """The first day of the period ``membership`` runs to (the one ending on its end date), counting periods
    of its tier from the start date as renewals do; the start date for an open-ended membership."""
    period_start = membership.start_date
    if membership.end_date is None:
        return period_start
    while True:
        period_end = membership_period_end(start=period_start, tier=membership.tier)
        if period_end is None or period_end >= membership.end_date:
            return period_start
        period_start = period_end + timedelta(days=1)


def _tier_move_begin(locked: Membership, *, fields: dict[str, Any], today: date) -> _TierMove | None:
    """Check a tier change of ``locked`` (still as stored) and note what it found; None if the tier stays."""
    tier = fields.get("tier")
    if tier is None or tier.pk == locked.tier_id:
        return None
    from members.dues.services import tier_change_validate  # the dues package builds on these services

    invoice = tier_change_validate(membership=locked)
    return _TierMove(
        invoice=invoice,
        status=membership_status_on(membership=locked, on=today),
        previous_end=locked.end_date,
        period_start=_current_period_start(locked),
    )


def _tier_move_dates(locked: Membership, *, move: _TierMove, fields: dict[str, Any]) -> None:
    """A membership that has not started yet takes one period of its new tier, so that a move from a 24-month
    tier to a 12-month one does not keep 24 months; an end date the edit sets itself is kept."""
    if move.started or fields.get("end_date", move.previous_end) != move.previous_end:
        return
    locked.end_date = membership_period_end(start=locked.start_date, tier=locked.tier)


def _tier_move_dues(locked: Membership, *, move: _TierMove, by=None) -> None:
    """Move the period's dues to the new tier: the open invoice is voided and the period invoiced again.

    A membership that has not started is invoiced from its start date (its period may have changed); a
    running one for the period its voided invoice covered. An active membership without an invoice for its
    period (its old tier had no fee) is invoiced at the new tier for the period it runs in, as if that
    period had been invoiced at the old tier. One in its grace period, suspended or ended is not: its next
    period (a renewal) is invoiced at the new tier.
    """
    from members.dues.services import invoices_follow_tier_change

    if not move.started:
        period_start = locked.start_date
    elif move.invoice is not None:
        period_start = move.invoice.period_start
    elif move.status == Status.ACTIVE:
        period_start = move.period_start
    else:
        period_start = None
    invoices_follow_tier_change(membership=locked, invoice=move.invoice, period_start=period_start, by=by)


def membership_edit_validate(*, membership: Membership) -> None:
    """What ``membership_update`` checks, for an edited and unsaved ``membership``: the membership rules,
    and, if its tier differs from the stored one, a tier change's (its period's invoice has no payment).
    The change form calls it, so it shows the service's message instead of saving or failing."""
    membership_validate(membership=membership)
    stored = Membership.objects.select_related("tier").filter(pk=membership.pk).first()
    if stored is not None and stored.tier_id != membership.tier_id:
        from members.dues.services import tier_change_validate

        tier_change_validate(membership=stored)


@transaction.atomic
def membership_update(
    *, membership: Membership, by=None, history_date: datetime | None = None, **fields: Any
) -> Membership:
    """Correct a membership's tier, dates or notes; its status follows the new dates unless frozen.

    A lapsed or withdrawn membership keeps its status: it comes back only through ``membership_renew`` or
    ``membership_reinstate``, which check that the organisation has no other current membership.

    A tier change takes the period's dues with it: the period's open invoice is voided and the period is
    invoiced at the new tier (also when the old tier had no fee and there was no invoice to void, for an
    active membership); a membership that has not started yet takes the new tier's period length. If
    the period's invoice has a payment, the change is refused (``ValidationError`` on ``tier``): the period
    stays on the tier it was paid for, and the tier changes at renewal. The status follows the new tier's
    rules, so a pending membership moved to a fee-first tier waits for the new invoice to be paid.
    """
    unknown = set(fields) - _MEMBERSHIP_EDITABLE
    if unknown:
        raise TypeError(f"membership_update() got unexpected fields: {sorted(unknown)}")
    today = secretariat_today()
    locked = _lock(membership)
    previous_tier = locked.tier
    move = _tier_move_begin(locked, fields=fields, today=today)
    _apply(locked, fields)
    if move is not None:
        _tier_move_dates(locked, move=move, fields=fields)
    if locked.status in (Status.PENDING, Status.ACTIVE, Status.GRACE):
        locked.status = _dated_status(locked, today=today)
    locked.full_clean(validate_constraints=False)
    membership_validate(membership=locked)
    reason = "Membership details changed"
    if move is not None and move.invoice is not None:
        reason += (
            f"; tier {previous_tier.name} → {locked.tier.name}: invoice {move.invoice.display_number} voided"
        )
    save_with_history(locked, by=by, reason=reason, history_date=history_date)
    organisation_membership_refresh(organisation_ids=[locked.organisation_id])
    if move is not None:
        _tier_move_dues(locked, move=move, by=by)
    return _refresh_caller(membership, locked)


@transaction.atomic
def memberships_recompute_statuses(*, today: date | None = None) -> int:
    """Move every membership to the status its dates give on ``today``; return how many changed.

    Only pending, active and grace memberships without an override are looked at (a lapsed one returns only
    through renewal; suspended and withdrawn are staff decisions). The work is one locking read in chunks
    and one bulk update per 500 changes, each change with a history row. Rows a staff action holds at this
    moment are skipped (``skip_locked``): that action sets the status itself and tomorrow's run catches up.

    A pending membership of a fee-first tier whose start date has come becomes active if its period's
    invoice is paid in full: paid before the start date, the payment could not activate it then.
    """
    from members.dues.services import memberships_fee_paid  # the dues package builds on these services

    today = today or secretariat_today()
    candidates = (
        Membership.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=(Status.PENDING, Status.ACTIVE, Status.GRACE), status_override=False)
        .select_related("tier")
        .order_by("pk")
    )
    now = timezone.now()
    changed: list[Membership] = []
    waiting: list[Membership] = []

    def recompute(membership: Membership, *, fee_paid: bool = False) -> None:
        status = membership_status_on(membership=membership, on=today, fee_paid=fee_paid)
        if status != membership.status:
            membership.status = status
            membership.updated_at = now
            changed.append(membership)

    for membership in candidates.iterator(chunk_size=2000):
        if (
            membership.status == Status.PENDING
            and _waits_for_fee(membership)
            and membership.start_date <= today
        ):
            waiting.append(membership)  # its dates have come: its fee decides (below)
        else:
            recompute(membership)
    paid = memberships_fee_paid(memberships=waiting)
    for membership in waiting:
        if membership.pk in paid:
            recompute(membership, fee_paid=True)
    if changed:
        bulk_update_with_history(
            changed,
            Membership,
            ["status", "updated_at"],
            batch_size=500,
            default_change_reason=f"Status recomputed from the dates on {today.isoformat()}",
            default_date=now,
        )
        organisation_membership_refresh(organisation_ids={m.organisation_id for m in changed})
    return len(changed)


@transaction.atomic
def membership_renew(
    *,
    membership: Membership,
    for_end_date: date | None,
    by=None,
    today: date | None = None,
    tier: MembershipTier | None = None,
) -> Membership:
    """Renew a membership for one more period of its tier (or of ``tier``: an upgrade or downgrade at
    renewal, recorded in the history with the renewal).

    The status is first computed from the dates on ``today`` (``_status_from_dates``), whatever is stored:
    a membership whose dates say lapsed restarts today even if the daily recomputation has not run.

    - active or grace: the period extends from the current end date (the day after it, to be exact), so
      renewing early or late in the grace period loses nothing and gives nothing extra; the start date stays;
    - lapsed: the membership restarts from the renewal day (``today``), as long as the organisation has no
      other current membership.

    ``for_end_date`` is the end date the caller saw when it decided to renew (an optimistic check). If the
    end date is no longer that, the renewal has already happened (a double click, a retried request, two
    staff at once) and this call changes nothing and returns the membership as it is. So renewing twice in
    a row with what one saw never extends twice; to renew again on purpose, pass the new end date.

    Pending, suspended and withdrawn memberships, and open-ended ones, cannot be renewed
    (``InvalidTransition``).
    """
    today = today or secretariat_today()
    locked = _lock(membership)
    if locked.end_date != for_end_date:
        return _refresh_caller(membership, locked)
    _status_from_dates(locked, today=today)
    previous_tier = locked.tier
    if tier is not None and tier.pk != previous_tier.pk:
        locked.tier = tier
    tier = locked.tier
    if not tier.period_months or locked.end_date is None:
        raise InvalidTransition("This membership is open-ended: there is nothing to renew.")
    if locked.status_override:
        raise InvalidTransition(
            "This membership's status is frozen by a staff override; lift the override before renewing."
        )
    if locked.status in (Status.ACTIVE, Status.GRACE):
        previous_end = locked.end_date
        period_start = previous_end + timedelta(days=1)
        locked.end_date = membership_period_end(start=period_start, tier=tier)
        reason = f"Renewed: end date {previous_end.isoformat()} → {locked.end_date.isoformat()}"
    elif locked.status == Status.LAPSED:
        period_start = today
        locked.start_date = today
        locked.end_date = membership_period_end(start=today, tier=tier)
        reason = f"Renewed after lapsing: restarted on {today.isoformat()}"
    else:
        raise InvalidTransition(
            f"A {locked.get_status_display().lower()} membership cannot be renewed; "
            "only active, grace-period and lapsed ones can."
        )
    locked.status = membership_status_on(membership=locked, on=today)
    if locked.status == Status.PENDING and locked.start_date <= today:
        # A renewal is the member's confirmation: a fee-first tier does not send it back to pending.
        locked.status = Status.ACTIVE
    if locked.tier_id != previous_tier.pk:
        reason += f"; tier {previous_tier.name} → {tier.name}"
    locked.full_clean(validate_constraints=False)
    membership_validate(membership=locked)
    save_with_history(locked, by=by, reason=reason)
    organisation_membership_refresh(organisation_ids=[locked.organisation_id])
    _period_started(membership=locked, period_start=period_start, by=by)
    return _refresh_caller(membership, locked)


@transaction.atomic
def membership_activate(*, membership: Membership, by=None, today: date | None = None) -> Membership:
    """Activate a pending membership (for a tier that ``starts_pending``: the fee has been paid)."""
    today = today or secretariat_today()
    locked = _lock(membership)
    if locked.status != Status.PENDING:
        raise InvalidTransition(f"Only a pending membership can be activated; this one is {locked.status}.")
    if locked.start_date > today:
        raise InvalidTransition(
            f"This membership starts on {locked.start_date.isoformat()}; it becomes active on that day."
        )
    # Dates alone decide from here (active, or grace/lapsed if the activation comes very late).
    locked.status = Status.ACTIVE
    locked.status = membership_status_on(membership=locked, on=today)
    locked.full_clean(validate_constraints=False)
    save_with_history(locked, by=by, reason="Activated")
    organisation_membership_refresh(organisation_ids=[locked.organisation_id])
    return _refresh_caller(membership, locked)


@transaction.atomic
def membership_suspend(
    *, membership: Membership, reason: str = "", by=None, today: date | None = None
) -> Membership:
    """Suspend a current membership; it stays suspended until reinstated or withdrawn."""
    locked = _lock(membership)
    _status_from_dates(locked, today=today or secretariat_today())
    if locked.status not in (Status.PENDING, Status.ACTIVE, Status.GRACE):
        raise InvalidTransition(f"A {locked.get_status_display().lower()} membership cannot be suspended.")
    locked.status = Status.SUSPENDED
    save_with_history(locked, by=by, reason=f"Suspended: {reason}" if reason else "Suspended")
    organisation_membership_refresh(organisation_ids=[locked.organisation_id])
    return _refresh_caller(membership, locked)


@transaction.atomic
def membership_withdraw(*, membership: Membership, reason: str = "", by=None) -> Membership:
    """Record that the organisation left (or was removed). Ends the membership for good."""
    locked = _lock(membership)
    if locked.status == Status.WITHDRAWN:
        raise InvalidTransition("This membership is already withdrawn.")
    locked.status = Status.WITHDRAWN
    save_with_history(locked, by=by, reason=f"Withdrawn: {reason}" if reason else "Withdrawn")
    organisation_membership_refresh(organisation_ids=[locked.organisation_id])
    return _refresh_caller(membership, locked)


@transaction.atomic
def membership_reinstate(*, membership: Membership, by=None, today: date | None = None) -> Membership:
    """Lift a suspension or a withdrawal: the status follows the dates again."""
    today = today or secretariat_today()
    locked = _lock(membership)
    if locked.status not in STAFF_STATUSES:
        raise InvalidTransition("Only a suspended or withdrawn membership can be reinstated.")
    # Reinstating from a staff status: compute as if the membership had just started by its dates.
    locked.status = Status.ACTIVE
    locked.status = membership_status_on(membership=locked, on=today)
    membership_validate(membership=locked)
    save_with_history(locked, by=by, reason="Reinstated")
    organisation_membership_refresh(organisation_ids=[locked.organisation_id])
    return _refresh_caller(membership, locked)


@transaction.atomic
def membership_set_override(
    *,
    membership: Membership,
    override: bool,
    status: str | None = None,
    reason: str = "",
    by=None,
    today: date | None = None,
) -> Membership:
    """Freeze a membership's status (optionally setting it first), or lift the freeze.

    While frozen, the daily recomputation leaves the status alone. Lifting the freeze puts the status back
    under the date rules at once (suspended and withdrawn stay what they are).
    """
    today = today or secretariat_today()
    locked = _lock(membership)
    if override:
        if status is not None:
            if status not in Status.values:
                raise ValidationError({"status": f"Unknown status {status!r}."})
            locked.status = status
        if not reason.strip():
            raise ValidationError({"reason": "Say why the status is frozen, so colleagues know."})
        locked.status_override = True
        locked.override_reason = reason.strip()
        change = f"Status frozen at {locked.get_status_display().lower()}: {locked.override_reason}"
    else:
        if status is not None:
            raise ValidationError({"status": "A status can only be set together with an override."})
        locked.status_override = False
        locked.override_reason = ""
        if locked.status != Status.LAPSED:
            locked.status = _dated_status(locked, today=today)
        change = f"Override lifted: {reason.strip()}" if reason.strip() else "Override lifted"
    membership_validate(membership=locked)
    save_with_history(locked, by=by, reason=change)
    organisation_membership_refresh(organisation_ids=[locked.organisation_id])
    return _refresh_caller(membership, locked)


@transaction.atomic
def membership_delete(*, membership: Membership, by=None) -> None:
    """Delete a membership recorded by mistake (its history keeps the deletion); the organisation's
    membership becomes the next one in line."""
    organisation_id = membership.organisation_id
    _delete(membership, by=by)
    organisation_membership_refresh(organisation_ids=[organisation_id])


# --- Engagements -----------------------------------------------------------------------------------------


def engagement_validate(*, organisation: Organisation, contacts: Iterable[Contact]) -> None:
    """The people of an engagement belong to its organisation, now or before."""
    # People who moved on keep their engagements: anyone affiliated with the organisation, now or before.
    from members.affiliations.selectors import contacts_ever_affiliated_ids

    contacts = list(contacts)
    others = [c.pk for c in contacts if c.organisation_id != organisation.pk]
    known = contacts_ever_affiliated_ids(organisation=organisation, contact_ids=others) if others else set()
    strangers = [c.name for c in contacts if c.organisation_id != organisation.pk and c.pk not in known]
    if strangers:
        raise ValidationError({"contacts": f"Not contacts of {organisation}: {', '.join(strangers)}."})


@transaction.atomic
def engagement_create(
    *,
    organisation: Organisation,
    kind: str,
    summary: str,
    occurred_at: datetime | None = None,
    details: str = "",
    contacts: Iterable[Contact] = (),
    staff: Iterable = (),
) -> Engagement:
    contacts, staff = list(contacts), list(staff)
    engagement = Engagement(
        organisation=organisation,
        kind=kind,
        summary=summary,
        details=details,
        occurred_at=occurred_at or timezone.now(),
    )
    engagement.full_clean()
    engagement_validate(organisation=organisation, contacts=contacts)
    engagement.save()
    if contacts:
        engagement.contacts.set(contacts)
    if staff:
        engagement.staff.set(staff)
    return engagement


@transaction.atomic
def engagement_update(
    *,
    engagement: Engagement,
    contacts: Iterable[Contact] | None = None,
    staff: Iterable | None = None,
    **fields: Any,
) -> Engagement:
    unknown = set(fields) - {"kind", "summary", "details", "occurred_at", "organisation"}
    if unknown:
        raise TypeError(f"engagement_update() got unexpected fields: {sorted(unknown)}")
    _apply(engagement, fields)
    engagement.full_clean()
    if contacts is not None:
        contacts = list(contacts)
    current_contacts = contacts if contacts is not None else list(engagement.contacts.all())
    engagement_validate(organisation=engagement.organisation, contacts=current_contacts)
    engagement.save()
    if contacts is not None:
        engagement.contacts.set(contacts)
    if staff is not None:
        engagement.staff.set(list(staff))
    return engagement


@transaction.atomic
def engagement_delete(*, engagement: Engagement, by=None) -> None:
    _delete(engagement, by=by)
