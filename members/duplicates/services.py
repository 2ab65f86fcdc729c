"""Merging two organisations (a write): everything attached to one moves to the other, in one transaction,
with the values staff chose field by field. Finding likely duplicates is in ``selectors``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from coalition import hooks
from coalition.dates import secretariat_localtime
from members.duplicates import snapshots
from members.models import Contact, Engagement, Enquiry, Membership, Organisation, OrganisationMerge
from members.services import (
    organisation_membership_refresh,
    organisation_validate,
    records_changed,
    save_with_history,
    search_words_add,
)

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
    merge: OrganisationMerge | None = None  # the record of the merge, which can undo it

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
            parts.append("taken from the other record: " + ", ".join(self.fields_filled))
        return "; ".join(parts) + "."


_FILLABLE = ("country", "sector", "website", "description")

# The organisation's own fields staff may take from either record when merging, in the order the merge
# page shows them.
MERGE_FIELDS = (
    "name", "kind", "country", "sector", "website", "description", "listed_publicly", "parent", "isin",
)  # fmt: skip
KEEP, GONE = "keep", "gone"


def merge_choices_validate(*, choices: Mapping[str, str]) -> dict[str, str]:
    """The field-by-field choices as {field: "keep" | "gone"}, or a ValidationError naming what is wrong."""
    errors = []
    unknown = sorted(set(choices) - set(MERGE_FIELDS))
    if unknown:
        errors.append(
            f"These are not fields a merge can choose: {', '.join(unknown)}. "
            f"Choose among: {', '.join(MERGE_FIELDS)}."
        )
    bad = sorted(name for name, side in choices.items() if name in MERGE_FIELDS and side not in (KEEP, GONE))
    if bad:
        errors.append(f"Say which record's value to keep for {', '.join(bad)}: “{KEEP}” or “{GONE}”.")
    if errors:
        raise ValidationError(errors)
    return dict(choices)


def merge_default_choices(*, keep: Organisation, gone: Organisation) -> dict[str, str]:
    """What the merge keeps when staff choose nothing: the kept record's values, with its blank country,
    sector, website and description filled from the other record."""
    fillable = (*_FILLABLE, "parent")  # a missing parent is filled too (the relationships hook does it)
    return {
        name: GONE if name in fillable and not _value(keep, name) and _value(gone, name) else KEEP
        for name in MERGE_FIELDS
    }


def _value(organisation: Organisation, name: str):
    """A field's stored value (a foreign key's id, not the object)."""
    return getattr(organisation, Organisation._meta.get_field(name).attname)


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
def organisations_merge(
    *, keep: Organisation, gone: Organisation, by=None, choices: Mapping[str, str] | None = None
) -> MergeSummary:
    """Merge ``gone`` into ``keep`` in one transaction and delete ``gone``.

    - ``choices`` says, field by field (``MERGE_FIELDS``), whose value the kept record ends with:
      ``"keep"`` or ``"gone"``. Fields not named follow the default (``merge_default_choices``): ``keep``'s
      values win, and its blank country, sector, website and description are filled from ``gone``. An
      unknown field or side is refused before anything changes.
    - Contacts move; one whose email ``keep`` already has is folded into that contact (engagements and
      enquiries follow it); a second primary contact stops being primary.
    - Memberships move, as history. At most one membership is current: if both records have one, ``keep``'s
      stays current and ``gone``'s is marked withdrawn (with a note) rather than lost.
    - Commitments (with their history), engagements and enquiries move.
    - Other apps move their rows in the ``organisations_merged`` hook (campaign targets, subscribers).
      If anything still points at ``gone`` afterwards, the merge is refused rather than cascading a delete.
    - Both histories record the merge: ``keep``'s a change with the reason (and its timeline a note),
      ``gone``'s its deletion with the record it went into.
    - What the merge changed, row by row, is kept in an ``OrganisationMerge`` (``summary.merge``), so that
      ``organisations_merge_undo`` can put it back.
    """
    chosen = merge_choices_validate(choices=choices or {})
    if keep.pk == gone.pk:
        raise ValidationError("Choose two different organisations to merge.")
    locked = {o.pk: o for o in Organisation.objects.select_for_update().filter(pk__in=[keep.pk, gone.pk])}
    if len(locked) != 2:
        raise ValidationError("One of the two organisations no longer exists.")
    keep, gone = locked[keep.pk], locked[gone.pk]
    if keep.kind == gone.kind == Organisation.Kind.COUNTRY and keep.country != gone.country:
        raise ValidationError(f"{keep.name} and {gone.name} are different countries; they cannot be merged.")
    if chosen.get("parent") == GONE and gone.parent_id == keep.pk:
        raise ValidationError(
            f"{gone.name} sits within {keep.name}; {keep.name} cannot take it as its own parent."
        )
    summary = MergeSummary()
    reason = f"Merged {gone.name} (#{gone.pk}) into this record"
    gone_name, gone_pk = gone.name, gone.pk
    before = snapshots.take(keep_pk=keep.pk, gone_pk=gone.pk)

    # The values the kept record ends with, read before anything moves; set once ``gone`` is deleted, as
    # some are unique while both records exist (a country's code). Fields neither chosen nor filled keep
    # whatever ``keep`` holds after the hooks (they may re-parent it).
    sides = {**merge_default_choices(keep=keep, gone=gone), **chosen}
    final = {
        name: _value(gone if side == GONE else keep, name)
        for name, side in sides.items()
        if name in chosen or side == GONE
    }
    if final.get("parent") == gone.pk:
        del final["parent"]  # ``keep`` sat within ``gone``: the relationships hook gives it gone's parent
    for name in MERGE_FIELDS:
        if name in final and final[name] != _value(keep, name):
            summary.fields_filled.append(str(Organisation._meta.get_field(name).verbose_name))

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

    if by is not None:
        gone._history_user = by
    gone._change_reason = f"Merged into {keep.name} (#{keep.pk})"
    gone.delete()

    changed = [name for name, value in final.items() if value != _value(keep, name)]
    for name in changed:
        setattr(keep, Organisation._meta.get_field(name).attname, final[name])
    try:
        organisation_validate(organisation=keep)
        # Only what the merge changes: a record's older values are not this merge's business.
        keep.full_clean(exclude=[f.name for f in Organisation._meta.fields if f.name not in changed])
    except ValidationError as error:
        # Raised inside the transaction: everything above is rolled back with it.
        problems = "; ".join(error.messages)
        raise ValidationError(
            f"The chosen values do not make a valid record, so nothing was merged: {problems}"
        ) from error
    save_with_history(keep, by=by, reason=reason)
    note = Engagement.objects.create(
        organisation=keep,
        kind=Engagement.Kind.NOTE,
        occurred_at=timezone.now(),
        summary=f"Merged {gone_name} into this record"[:300],
        details=summary.describe(),
    )
    if by is not None:
        note.staff.add(by)
    after = snapshots.take_after(keep_pk=keep.pk, before=before)
    summary.merge = OrganisationMerge.objects.create(
        kept=keep,
        kept_name=keep.name,
        gone_pk=gone_pk,
        gone_name=gone_name,
        merged_at=timezone.now(),
        merged_by=by,
        summary=summary.describe(),
        changes=snapshots.difference(before=before.rows, after=after),
    )
    records_changed()
    return summary


def merge_undo_problems(*, merge: OrganisationMerge) -> list[str]:
    """Why ``merge`` cannot be undone now (nothing if it can): undone already, the kept record gone, a later
    merge of either record, or a change since the merge that undoing it would overwrite."""
    if merge.undone_at is not None:
        return [f"This merge was undone already ({secretariat_localtime(merge.undone_at):%Y-%m-%d %H:%M})."]
    if merge.changes_dropped_at is not None:
        return [
            f"What this merge changed was kept for {settings.MERGE_UNDO_DAYS} days, so that it could be "
            "undone; that time is over and it can no longer be undone."
        ]
    if merge.kept_id is None:
        return [f"{merge.kept_name}, the record kept by this merge, has been deleted since."]
    later = (
        OrganisationMerge.objects.filter(merged_at__gte=merge.merged_at, undone_at__isnull=True)
        .exclude(pk=merge.pk)
        .filter(Q(kept_id__in=[merge.kept_id, merge.gone_pk]) | Q(gone_pk=merge.kept_id))
        .order_by("merged_at", "pk")
    )
    problems = [
        f"{other.gone_name} was merged into {other.kept_name} later "
        f"({secretariat_localtime(other.merged_at):%Y-%m-%d %H:%M}): undo that merge first."
        for other in later
    ]
    return problems + snapshots.conflicts(merge.changes)


@transaction.atomic
def organisations_merge_undo(*, merge: OrganisationMerge, by=None) -> Organisation:
    """Undo ``merge``: the merged record comes back with its id, everything that moved goes back, folded
    contacts and duplicates come back, and the kept record gets its earlier values; refused (nothing
    changes) while ``merge_undo_problems`` names a reason. Both histories and timelines say so. Returns the
    restored organisation."""
    merge = OrganisationMerge.objects.select_for_update().get(pk=merge.pk)
    problems = merge_undo_problems(merge=merge)
    if problems:
        raise ValidationError(problems)
    list(Organisation.objects.select_for_update().filter(pk=merge.kept_id))
    reason = f"Undid the merge of {merge.gone_name} (#{merge.gone_pk}) into {merge.kept_name}"
    try:
        with transaction.atomic():
            touched = snapshots.restore(merge.changes)
            organisation_membership_refresh(organisation_ids=[merge.kept_id, merge.gone_pk])
            tables = {model._meta.db_table for _part, model in touched}
            connection.check_constraints(table_names=sorted(tables))
    except IntegrityError as error:
        raise ValidationError(
            "The merge cannot be undone: a record it refers to has been deleted or changed since "
            f"({error}). Nothing was changed."
        ) from error
    for (part, model), pks in touched.items():
        if not getattr(model._meta, "simple_history_manager_attribute", None):
            continue
        get_history_manager_for_model(model).bulk_history_create(
            list(model._base_manager.filter(pk__in=pks)),
            update=part == "changed",
            default_user=by,
            default_change_reason=reason,
        )
    restored = Organisation.objects.get(pk=merge.gone_pk)
    kept = Organisation.objects.get(pk=merge.kept_id)
    contact_names = Contact.objects.filter(pk__in=touched.get(("restored", Contact), []))
    search_words_add(names=[restored.name, kept.name, *contact_names.values_list("name", flat=True)])
    now = timezone.now()
    for organisation, text in (
        (kept, f"Undid the merge of {restored.name} into this record"),
        (restored, f"Restored: the merge into {kept.name} was undone"),
    ):
        note = Engagement.objects.create(
            organisation=organisation, kind=Engagement.Kind.NOTE, occurred_at=now, summary=text[:300]
        )
        if by is not None:
            note.staff.add(by)
    merge.undone_at, merge.undone_by = now, by
    merge.save(update_fields=["undone_at", "undone_by"])
    records_changed()
    return restored


def organisation_merges_forget(*, now=None) -> int:
    """Empty the record of what each merge older than ``MERGE_UNDO_DAYS`` changed (it holds copies of the
    rows the merge deleted, a folded contact's details among them); such a merge can no longer be undone,
    and its summary stays. Returns how many were emptied. Run nightly."""
    now = now or timezone.now()
    return OrganisationMerge.objects.filter(
        merged_at__lt=now - timedelta(days=settings.MERGE_UNDO_DAYS), changes_dropped_at__isnull=True
    ).update(changes={}, changes_dropped_at=now)
