"""Likely duplicate organisations and contacts (reads), and merging two organisations (a write).

Duplicates are found by exact keys everywhere (same website domain, same normalised name; for contacts
the same email at several organisations, or the same name twice in one organisation) and, on PostgreSQL
with the ``pg_trgm`` extension installed, by trigram similarity of names. Without the extension the
similar-name check is simply left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from coalition import hooks
from members.matching import person_name_expression
from members.models import Contact, Engagement, Enquiry, Membership, Organisation
from members.services import organisation_membership_refresh, save_with_history

TRIGRAM_MIN_SIMILARITY = 0.6


@dataclass
class OrganisationPair:
    first: Organisation
    second: Organisation
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0


@dataclass
class ContactGroup:
    reason: str
    contacts: list[Contact]


def trigrams_available() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def _groups(queryset, key: str) -> list[list[int]]:
    """Ids of organisations sharing ``key`` (an annotated or real column), in groups of two or more."""
    keys = (
        queryset.exclude(**{key: ""})
        .values(key)
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list(key, flat=True)
    )
    grouped: dict[Any, list[int]] = {}
    for pk, value in queryset.filter(**{f"{key}__in": list(keys)}).values_list("pk", key).order_by("pk"):
        grouped.setdefault(value, []).append(pk)
    return list(grouped.values())


def organisation_duplicate_pairs(
    *, limit: int = 200, use_trigrams: bool | None = None
) -> list[OrganisationPair]:
    """Pairs of organisations that are probably one body, strongest evidence first.

    Two country records are never proposed: one record per country is already a database constraint.
    """
    if use_trigrams is None:
        use_trigrams = trigrams_available()
    pairs: dict[tuple[int, int], OrganisationPair] = {}
    scores: dict[tuple[int, int], float] = {}
    reasons: dict[tuple[int, int], list[str]] = {}

    def add(a: int, b: int, reason: str, score: float) -> None:
        key = (min(a, b), max(a, b))
        reasons.setdefault(key, []).append(reason)
        scores[key] = scores.get(key, 0.0) + score

    base = Organisation.objects.all()
    for group in _groups(base, "website_domain"):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                add(a, b, "same website domain", 2.0)
    for group in _groups(base.exclude(name_key=""), "name_key"):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                add(a, b, "same name", 2.0)
    if use_trigrams:
        with connection.cursor() as cursor:
            # ``%`` uses the trigram index when one exists; the explicit threshold keeps the list short.
            cursor.execute(
                """
                SELECT a.id, b.id, similarity(a.name, b.name)
                FROM members_organisation a
                JOIN members_organisation b ON a.id < b.id AND a.name %% b.name
                WHERE similarity(a.name, b.name) >= %s AND lower(a.name) <> lower(b.name)
                  AND NOT (a.kind = 'country' AND b.kind = 'country')
                ORDER BY 3 DESC
                LIMIT %s
                """,
                [TRIGRAM_MIN_SIMILARITY, limit],
            )
            for a, b, similarity in cursor.fetchall():
                add(a, b, f"similar names ({similarity:.0%})", float(similarity))

    ranked = sorted(scores, key=lambda k: (-scores[k], k))[: limit * 2]
    objects = Organisation.objects.in_bulk({pk for key in ranked for pk in key})
    for key in ranked:
        first, second = objects[key[0]], objects[key[1]]
        if first.kind == second.kind == Organisation.Kind.COUNTRY:
            continue
        pairs[key] = OrganisationPair(first=first, second=second, reasons=reasons[key], score=scores[key])
    return list(pairs.values())[:limit]


def contact_duplicate_groups(*, limit: int = 200) -> list[ContactGroup]:
    """Contacts that are probably one person: one email at several organisations, or one name twice in an
    organisation."""
    groups: list[ContactGroup] = []
    emails = (
        Contact.objects.exclude(email="")
        .values("email")
        .annotate(n=Count("organisation", distinct=True))
        .filter(n__gt=1)
        .order_by("email")
        .values_list("email", flat=True)[:limit]
    )
    by_email: dict[str, list[Contact]] = {}
    for contact in (
        Contact.objects.filter(email__in=list(emails)).select_related("organisation").order_by("pk")
    ):
        by_email.setdefault(contact.email, []).append(contact)
    for email, contacts in by_email.items():
        groups.append(
            ContactGroup(reason=f"same email {email} at {len(contacts)} organisations", contacts=contacts)
        )

    named = Contact.objects.annotate(normalised=person_name_expression())
    same_name = (
        named.values("organisation_id", "normalised")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("organisation_id", "normalised")[:limit]
    )
    condition = Q(pk__in=[])
    for row in same_name:
        condition |= Q(organisation_id=row["organisation_id"], normalised=row["normalised"])
    by_name: dict[tuple[int, str], list[Contact]] = {}
    for contact in named.filter(condition).select_related("organisation").order_by("pk"):
        by_name.setdefault((contact.organisation_id, contact.normalised), []).append(contact)
    for contacts in by_name.values():
        groups.append(
            ContactGroup(reason=f"same name twice at {contacts[0].organisation.name}", contacts=contacts)
        )
    return groups[:limit]


# --- Merging -------------------------------------------------------------------------------------------


@dataclass
class MergeSummary:
    contacts_moved: int = 0
    contacts_merged: int = 0
    memberships_moved: int = 0
    memberships_closed: int = 0
    commitments_moved: int = 0
    engagements_moved: int = 0
    enquiries_moved: int = 0
    fields_filled: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [
            f"{self.contacts_moved} contacts moved",
            f"{self.contacts_merged} contacts merged with one of the same email",
            f"{self.memberships_moved} memberships moved",
            f"{self.commitments_moved} commitments moved",
            f"{self.engagements_moved} engagements moved",
            f"{self.enquiries_moved} enquiries relinked",
        ]
        if self.memberships_closed:
            parts.append(
                f"{self.memberships_closed} current membership withdrawn (this record's stays current)"
            )
        if self.fields_filled:
            parts.append("filled in: " + ", ".join(self.fields_filled))
        return "; ".join(parts) + "."


_FILLABLE = ("country", "sector", "website", "description")


def _merge_contact(*, keep: Contact, gone: Contact) -> None:
    """Fold ``gone`` into ``keep`` (same person, same email): engagements and enquiries follow."""
    for name in ("phone", "job_title"):
        if not getattr(keep, name) and getattr(gone, name):
            setattr(keep, name, getattr(gone, name))
    keep.save()
    for engagement in gone.engagements.all():
        engagement.contacts.add(keep)
    Enquiry.objects.filter(contact=gone).update(contact=keep)
    Enquiry.objects.filter(suggested_contact=gone).update(suggested_contact=keep)
    # Other apps' rows pointing at the folded contact (subscriptions) follow it before it is deleted.
    hooks.run("contacts_merged", keep_contact=keep, gone_contact=gone)
    gone.delete()


def _remaining_references(organisation: Organisation) -> list[str]:
    """Rows of any app that still point at ``organisation`` and would be deleted or blocked with it."""
    left = []
    for relation in organisation._meta.related_objects:
        if relation.on_delete is models.DO_NOTHING or relation.related_model.__name__.startswith(
            "Historical"
        ):
            continue
        if relation.many_to_many or relation.one_to_many or relation.one_to_one:
            count = relation.related_model._base_manager.filter(**{relation.field.name: organisation}).count()
            if count:
                left.append(f"{count} {relation.related_model._meta.verbose_name_plural}")
    return left


@transaction.atomic
def organisations_merge(*, keep: Organisation, gone: Organisation, by=None) -> MergeSummary:
    """Merge ``gone`` into ``keep`` in one transaction and delete ``gone``.

    - ``keep``'s values win; its blank country, sector, website and description are filled from ``gone``.
    - Contacts move; one whose email ``keep`` already has is folded into that contact (engagements and
      enquiries follow it); a second primary contact stops being primary.
    - Memberships move, as history. At most one membership is current: if both records have one, ``keep``'s
      stays current and ``gone``'s is marked withdrawn (with a note) rather than lost.
    - Commitments (with their history), engagements and enquiries move.
    - Other apps move their rows in the ``organisations_merged`` hook (campaign targets, subscribers).
      If anything still points at ``gone`` afterwards, the merge is refused rather than cascading a delete.
    - ``keep``'s history records the merge (change reason) and its timeline gets a note.
    """
    if keep.pk == gone.pk:
        raise ValidationError("Choose two different organisations to merge.")
    locked = {o.pk: o for o in Organisation.objects.select_for_update().filter(pk__in=[keep.pk, gone.pk])}
    if len(locked) != 2:
        raise ValidationError("One of the two organisations no longer exists.")
    keep, gone = locked[keep.pk], locked[gone.pk]
    if keep.kind == gone.kind == Organisation.Kind.COUNTRY and keep.country != gone.country:
        raise ValidationError(f"{keep.name} and {gone.name} are different countries; they cannot be merged.")
    summary = MergeSummary()
    reason = f"Merged {gone.name} (#{gone.pk}) into this record"

    for name in _FILLABLE:
        if not getattr(keep, name) and getattr(gone, name):
            setattr(keep, name, getattr(gone, name))
            summary.fields_filled.append(Organisation._meta.get_field(name).verbose_name)

    keep_contacts = {c.email: c for c in keep.contacts.exclude(email="")}
    keep_has_primary = keep.contacts.filter(is_primary=True).exists()
    for contact in gone.contacts.order_by("-is_primary", "pk"):
        twin = keep_contacts.get(contact.email) if contact.email else None
        if twin is not None:
            _merge_contact(keep=twin, gone=contact)
            summary.contacts_merged += 1
            continue
        contact.organisation = keep
        if contact.is_primary and keep_has_primary:
            contact.is_primary = False
        keep_has_primary = keep_has_primary or contact.is_primary
        contact.save()
        summary.contacts_moved += 1

    keep_current = keep.memberships.filter(status__in=Membership.CURRENT_STATUSES).exists()
    for membership in gone.memberships.order_by("pk"):
        if membership.is_current and keep_current:
            membership.status = Membership.Status.WITHDRAWN
            membership.notes = (membership.notes + "\n" if membership.notes else "") + (
                f"Withdrawn on merging {gone.name} into {keep.name}, which has its own current membership."
            )
            summary.memberships_closed += 1
        keep_current = keep_current or membership.is_current
        membership.organisation = keep
        save_with_history(membership, by=by, reason=reason)
        summary.memberships_moved += 1
    organisation_membership_refresh(organisation_ids=[keep.pk])

    for commitment in gone.commitments.order_by("pk"):
        commitment.organisation = keep
        save_with_history(commitment, by=by, reason=reason)
        summary.commitments_moved += 1

    summary.engagements_moved = Engagement.objects.filter(organisation=gone).update(organisation=keep)
    summary.enquiries_moved = Enquiry.objects.filter(organisation=gone).update(organisation=keep)
    Enquiry.objects.filter(suggested_organisation=gone).update(suggested_organisation=keep)

    hooks.run("organisations_merged", keep=keep, gone=gone)

    left = _remaining_references(gone)
    if left:
        raise ValidationError(
            f"{gone.name} is still referred to by {', '.join(left)}; nothing was merged. "
            "The app that owns those rows must move them when organisations are merged."
        )

    save_with_history(keep, by=by, reason=reason)
    note = Engagement.objects.create(
        organisation=keep,
        kind=Engagement.Kind.NOTE,
        occurred_at=timezone.now(),
        summary=f"Merged {gone.name} into this record"[:300],
        details=summary.describe(),
    )
    if by is not None:
        note.staff.add(by)
    if by is not None:
        gone._history_user = by
    gone._change_reason = f"Merged into {keep.name} (#{keep.pk})"
    gone.delete()
    return summary
