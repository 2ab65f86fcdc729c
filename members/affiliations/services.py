"""Writes of people's affiliations: start, end, move, focal-point terms.

``Contact.organisation`` stays the person's current primary organisation: the services here keep it in step,
so the many parts of the product that read it (lists, search, emails) stay right after a move.
"""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from coalition.dates import secretariat_today
from coalition.exceptions import InvalidTransition
from members.models import Affiliation, Contact, Organisation

Role = Affiliation.Role


def _last_day_before(*, affiliation: Affiliation, on: date) -> date:
    # An affiliation that ends because another starts on ``on`` ends the day before, but never before it
    # began (a same-day correction keeps a one-day span rather than an impossible one).
    return max(affiliation.start_on, on - timedelta(days=1))


def affiliation_validate(*, affiliation: Affiliation) -> None:
    """The affiliation rules as field messages (the database enforces them as the last word)."""
    errors: dict[str, str] = {}
    if affiliation.end_on is not None and affiliation.end_on < affiliation.start_on:
        errors["end_on"] = _("An affiliation cannot end before it starts.")
    if affiliation.end_on is None:
        others = Affiliation.objects.filter(end_on__isnull=True)
        if affiliation.pk:
            others = others.exclude(pk=affiliation.pk)
        if (
            affiliation.is_primary
            and others.filter(contact_id=affiliation.contact_id, is_primary=True).exists()
        ):
            errors["is_primary"] = _(
                "This person already has a current primary affiliation; move them instead, "
                "which ends that one."
            )
        if affiliation.role in Affiliation.FOCAL_POINT_ROLES:
            holder = (
                others.filter(organisation_id=affiliation.organisation_id, role=affiliation.role)
                .select_related("contact")
                .first()
            )
            if holder is not None:
                errors["role"] = _(
                    "%(organisation)s already has a current %(role)s (%(name)s); end that term first, "
                    "or appoint the new holder, which ends it."
                ) % {
                    "organisation": affiliation.organisation,
                    "role": affiliation.get_role_display().lower(),
                    "name": holder.contact.name,
                }
    if errors:
        raise ValidationError(errors)


def _save(affiliation: Affiliation) -> Affiliation:
    affiliation.full_clean(validate_constraints=False)
    affiliation_validate(affiliation=affiliation)
    affiliation.save()
    return affiliation


def _sync_contact_organisation(
    *, contact: Contact, organisation: Organisation, job_title: str | None
) -> None:
    """Point ``Contact.organisation`` at the person's new primary organisation."""
    from members.services import contact_validate

    if contact.organisation_id == organisation.pk and (job_title is None or job_title == contact.job_title):
        return
    if contact.organisation_id != organisation.pk:
        # Being the primary contact of the old organisation does not follow the person.
        contact.is_primary = False
    contact.organisation = organisation
    if job_title is not None:
        contact.job_title = job_title
    contact_validate(contact=contact)
    contact.save()


@transaction.atomic
def affiliation_record_first(*, contact: Contact, start_on: date | None = None) -> Affiliation | None:
    """A new contact's first affiliation: current and primary, with the organisation it was recorded with.
    Does nothing if the contact already has a current primary affiliation."""
    if Affiliation.objects.filter(contact=contact, is_primary=True, end_on__isnull=True).exists():
        return None
    return _save(
        Affiliation(
            contact=contact,
            organisation_id=contact.organisation_id,
            role=Role.STAFF,
            job_title=contact.job_title,
            start_on=start_on or secretariat_today(),
            is_primary=True,
        )
    )


@transaction.atomic
def affiliation_create(
    *,
    contact: Contact,
    organisation: Organisation,
    role: str = Role.STAFF,
    job_title: str = "",
    start_on: date | None = None,
    end_on: date | None = None,
    is_primary: bool = False,
    by=None,
) -> Affiliation:
    """Record an affiliation (current, or past with an end date). A current primary one also makes
    ``organisation`` the person's organisation."""
    affiliation = _save(
        Affiliation(
            contact=contact,
            organisation=organisation,
            role=role,
            job_title=job_title,
            start_on=start_on or secretariat_today(),
            end_on=end_on,
            is_primary=is_primary,
        )
    )
    if is_primary and end_on is None:
        _sync_contact_organisation(contact=contact, organisation=organisation, job_title=job_title or None)
    return affiliation


_EDITABLE = {"role", "job_title", "start_on", "end_on"}


@transaction.atomic
def affiliation_update(*, affiliation: Affiliation, by=None, **fields: Any) -> Affiliation:
    """Correct an affiliation's role, title or dates. Moving a person is ``affiliation_move``."""
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise TypeError(f"affiliation_update() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(affiliation, name, value)
    return _save(affiliation)


@transaction.atomic
def affiliation_end(*, affiliation: Affiliation, end_on: date | None = None, by=None) -> Affiliation:
    """End an affiliation (or a focal-point term) on ``end_on`` (default today); it stays in the history."""
    locked = Affiliation.objects.select_for_update().get(pk=affiliation.pk)
    if locked.end_on is not None:
        raise ValidationError({"end_on": _("This affiliation has already ended.")})
    locked.end_on = end_on or secretariat_today()
    _save(locked)
    affiliation.refresh_from_db()
    return locked


def affiliation_delete_blocker(*, affiliation: Affiliation) -> str:
    """Why ``affiliation`` may not be deleted ("" if it may): the current primary one is the person's
    organisation on their contact record, which would then rest on nothing."""
    if affiliation.is_primary and affiliation.end_on is None:
        return _(
            "%(affiliation)s is where %(name)s works now: end it to record that they left, or move them to "
            "the right organisation."
        ) % {"affiliation": affiliation, "name": affiliation.contact.name}
    return ""


@transaction.atomic
def affiliation_delete(*, affiliation: Affiliation, by=None) -> None:
    """Delete an affiliation recorded by mistake (a past one, or a current one that is not primary)."""
    locked = (
        Affiliation.objects.select_for_update(of=("self",))
        .select_related("contact", "organisation")
        .get(pk=affiliation.pk)
    )
    blocker = affiliation_delete_blocker(affiliation=locked)
    if blocker:
        raise InvalidTransition(blocker)
    locked.delete()


def _start_primary(
    *, contact: Contact, organisation: Organisation, on: date, role: str, job_title: str
) -> Affiliation:
    """End the person's current affiliations with other organisations that were primary (and every
    current one with the organisation they leave), then start the new primary one."""
    current = list(Affiliation.objects.select_for_update().filter(contact=contact, end_on__isnull=True))
    for affiliation in current:
        if affiliation.is_primary and affiliation.organisation_id == organisation.pk:
            return affiliation  # already there: nothing to move
    left = {a.organisation_id for a in current if a.is_primary}
    for affiliation in current:
        if affiliation.is_primary or affiliation.organisation_id in left:
            affiliation.end_on = _last_day_before(affiliation=affiliation, on=on)
            _save(affiliation)
    return _save(
        Affiliation(
            contact=contact,
            organisation=organisation,
            role=role,
            job_title=job_title,
            start_on=on,
            is_primary=True,
        )
    )


@transaction.atomic
def affiliation_move(
    *,
    contact: Contact,
    to_organisation: Organisation,
    on: date | None = None,
    role: str = Role.STAFF,
    job_title: str | None = None,
    by=None,
) -> Affiliation:
    """The person moves to ``to_organisation`` on ``on`` (default today).

    Their affiliations with the organisation they leave end the day before; a new primary affiliation starts;
    ``Contact.organisation`` follows. Engagements stay linked to the person and to the organisation where they
    happened, so both histories keep them.
    """
    on = on or secretariat_today()
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.organisation_id == to_organisation.pk:
        raise ValidationError({"to_organisation": _("This person is already at %s.") % to_organisation})
    title = contact.job_title if job_title is None else job_title
    affiliation = _start_primary(
        contact=contact, organisation=to_organisation, on=on, role=role, job_title=title
    )
    _sync_contact_organisation(contact=contact, organisation=to_organisation, job_title=title)
    return affiliation


@transaction.atomic
def affiliation_follow_contact(*, contact: Contact, on: date | None = None) -> Affiliation:
    """After ``Contact.organisation`` was changed directly (``contact_update``): record it as a move."""
    return _start_primary(
        contact=contact,
        organisation=contact.organisation,
        on=on or secretariat_today(),
        role=Role.STAFF,
        job_title=contact.job_title,
    )


@transaction.atomic
def focal_point_appoint(
    *,
    organisation: Organisation,
    contact: Contact,
    role: str = Role.NATIONAL_FOCAL_POINT,
    start_on: date | None = None,
    job_title: str = "",
    by=None,
) -> Affiliation:
    """Appoint ``contact`` to a focal-point role of ``organisation`` from ``start_on``; the current holder's
    term ends the day before (and stays in the history)."""
    if role not in Affiliation.FOCAL_POINT_ROLES:
        raise ValidationError({"role": _("%s is not a focal-point role.") % role})
    start_on = start_on or secretariat_today()
    for holder in Affiliation.objects.select_for_update().filter(
        organisation=organisation, role=role, end_on__isnull=True
    ):
        holder.end_on = _last_day_before(affiliation=holder, on=start_on)
        _save(holder)
    return _save(
        Affiliation(
            contact=contact,
            organisation=organisation,
            role=role,
            job_title=job_title,
            start_on=start_on,
            is_primary=False,
        )
    )


# --- Merges (hooks ``contacts_merged`` and ``organisations_merged``, registered in MembersConfig.ready) -----


def affiliations_follow_contact_merge(*, keep_contact: Contact, gone_contact: Contact) -> None:
    """The folded contact's affiliations become the kept contact's. If both have a current primary one, the
    folded one's ends today (the kept person's main organisation stays), so its span stays in the history."""
    today = secretariat_today()
    if Affiliation.objects.filter(contact=keep_contact, is_primary=True, end_on__isnull=True).exists():
        for affiliation in Affiliation.objects.filter(
            contact=gone_contact, is_primary=True, end_on__isnull=True
        ):
            affiliation.end_on = max(affiliation.start_on, today)
            affiliation.save(update_fields=["end_on", "updated_at"])
    Affiliation.objects.filter(contact=gone_contact).update(contact=keep_contact)


def relationships_follow_organisation_merge(*, keep: Organisation, gone: Organisation) -> None:
    """People's affiliations and the bodies within ``gone`` move to ``keep``; ``keep`` no longer sits within
    ``gone``, and takes ``gone``'s parent if it had none. A focal-point term of ``gone`` for a role that
    ``keep`` also has a current holder of ends today."""
    today = secretariat_today()
    held = set(
        Affiliation.objects.filter(
            organisation=keep, role__in=Affiliation.FOCAL_POINT_ROLES, end_on__isnull=True
        ).values_list("role", flat=True)
    )
    for term in Affiliation.objects.filter(organisation=gone, role__in=held, end_on__isnull=True):
        term.end_on = max(term.start_on, today)
        term.save(update_fields=["end_on", "updated_at"])
    Affiliation.objects.filter(organisation=gone).update(organisation=keep)
    Organisation.objects.filter(parent=gone).exclude(pk=keep.pk).update(parent=keep)
    # ``keep`` is saved by the merge after this hook: set its parent on the object the merge holds. Like the
    # merge's other blank fields, a missing parent is filled from ``gone``'s.
    if keep.parent_id == gone.pk or keep.parent_id is None:
        keep.parent_id = gone.parent_id if gone.parent_id != keep.pk else None
