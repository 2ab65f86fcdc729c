"""Writes of the enquiry pipeline: submission, duplicate detection, every stage change, and joining.

Every change of an enquiry's stage goes through ``_transition`` and the table ``ALLOWED_TRANSITIONS``:

====================== =====================================================================
from                   to
====================== =====================================================================
(new)                  received
received               under_review, awaiting_information, approved, declined, spam, withdrawn
under_review           awaiting_information, approved, declined, spam, withdrawn
awaiting_information   under_review (the applicant answered, or staff resume), approved,
                       declined, spam, withdrawn
spam                   under_review (staff restore a false positive)
approved               — (final: the organisation is a member)
declined               — (final: a new enquiry can be sent)
withdrawn              — (final)
====================== =====================================================================

Asking for the stage an enquiry is already in is a no-op for approve, decline, spam and withdraw
(so a double click or a retried request does nothing twice); anything else not in the table raises
``InvalidTransition``, whose message says what the current stage allows. Each change writes an
``EnquiryTransition`` (who or "the applicant", when, note) and moves ``last_activity_at``.

Emails go through the outbox with dedupe keys ``enquiry:<id>:<what>``, so they are sent once, after
commit, and a broker outage only delays them (``coalition.outbox.tasks.outbox_sweep``).

Approval when the organisation already has a current membership links that membership to the enquiry
instead of opening a second one (and records a note in the organisation's history rather than a
second "joined" entry): the applicant is told they are welcome, nothing fails.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coalition import hooks
from coalition.dates import secretariat_today
from coalition.exceptions import InvalidTransition
from coalition.i18n import public_url, recipient_language
from coalition.outbox.rendering import absolute_url
from coalition.outbox.services import email_queue
from coalition.tokens import token_make, token_pk, token_read
from coalition.versions import DASHBOARD_CONTENT, content_changed
from members.matching import normalise_email, normalise_name, website_domain
from members.models import (
    Contact,
    Engagement,
    Enquiry,
    EnquiryNote,
    EnquiryTransition,
    Membership,
    MembershipTier,
    Organisation,
)
from members.services import engagement_create, membership_start, search_words_add

S = Enquiry.Status

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset(
        {S.UNDER_REVIEW, S.AWAITING_INFORMATION, S.APPROVED, S.DECLINED, S.SPAM, S.WITHDRAWN}
    ),
    S.UNDER_REVIEW: frozenset({S.AWAITING_INFORMATION, S.APPROVED, S.DECLINED, S.SPAM, S.WITHDRAWN}),
    S.AWAITING_INFORMATION: frozenset({S.UNDER_REVIEW, S.APPROVED, S.DECLINED, S.SPAM, S.WITHDRAWN}),
    S.SPAM: frozenset({S.UNDER_REVIEW}),
    S.APPROVED: frozenset(),
    S.DECLINED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
# Asking again for these stages when already there does nothing (idempotent), instead of a conflict.
IDEMPOTENT_TARGETS = frozenset({S.APPROVED, S.DECLINED, S.SPAM, S.WITHDRAWN})

STATUS_TOKEN_SALT = "members.enquiry.status"  # noqa: S105 - a signing salt, not a secret
RESUBMISSION_WINDOW = timedelta(hours=24)

# Fields an applicant fills in (form and API share them).
APPLICANT_FIELDS = (
    "organisation_name",
    "organisation_kind",
    "country",
    "website",
    "contact_name",
    "email",
    "job_title",
    "motivation",
    "public_description",
    "intended_commitments",
    "target_kind",
    "target_year",
    "requested_tier",
    "consent_to_contact",
    "wants_updates",
    "list_publicly",
    "preferred_language",
)
KINDS_NEEDING_COUNTRY = {
    Organisation.Kind.COUNTRY,
    Organisation.Kind.REGION,
    Organisation.Kind.CITY,
}
TARGET_YEAR_MIN, TARGET_YEAR_MAX = 1990, 2100


# --- Links --------------------------------------------------------------------------------------------


def enquiry_status_token(*, enquiry: Enquiry) -> str:
    return token_make(value=enquiry.pk, salt=STATUS_TOKEN_SALT)


def enquiry_status_url(*, enquiry: Enquiry) -> str:
    """The applicant's private status link, in their language (``/fr/join/status/…``)."""
    return public_url(
        "join:status",
        language=enquiry.preferred_language,
        kwargs={"token": enquiry_status_token(enquiry=enquiry)},
    )


def enquiry_from_status_token(*, token: str) -> Enquiry:
    """The enquiry a status link points at; ``BadToken`` if the link is forged, expired or stale."""
    from coalition.exceptions import BadToken

    max_age = int(settings.ENQUIRY_STATUS_LINK_MAX_AGE_DAYS) * 24 * 3600
    pk = token_read(token=token, salt=STATUS_TOKEN_SALT, max_age_seconds=max_age, parse=token_pk)
    enquiry = Enquiry.objects.select_related("requested_tier").filter(pk=pk).first()
    if enquiry is None:
        raise BadToken(_("This link is not valid."))
    return enquiry


# --- Validation shared by the form and the API ----------------------------------------------------------


def enquiry_validate(data: dict[str, Any]) -> dict[str, str]:
    """Rules across fields, phrased for the applicant: {field: message}. Field types are checked before."""
    problems: dict[str, str] = {}
    if data.get("consent_to_contact") is not True:
        problems["consent_to_contact"] = _(
            "Please agree to be contacted about your enquiry: we cannot process it otherwise."
        )
    kind = data.get("organisation_kind")
    if kind in KINDS_NEEDING_COUNTRY and not data.get("country"):
        problems["country"] = _("Please choose the country (a country, region or city needs one).")
    year, target_kind = data.get("target_year"), data.get("target_kind")
    if year is not None and not target_kind:
        problems["target_kind"] = _(
            "Please say what kind of target the year is for, or leave the year empty."
        )
    if year is not None and not (TARGET_YEAR_MIN <= year <= TARGET_YEAR_MAX):
        problems["target_year"] = _("The target year must be between {first} and {last}.").format(
            first=TARGET_YEAR_MIN, last=TARGET_YEAR_MAX
        )
    for name, value in data.items():
        if isinstance(value, str) and not _encodable(value):
            problems[name] = _("This contains characters we cannot store. Please retype it.")
    return problems


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


# --- Duplicate detection --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    organisation: Organisation | None
    contact: Contact | None


def enquiry_match_find(
    *, organisation_name: str, organisation_kind: str, country: str, website: str, email: str
) -> Match:
    """The existing organisation and contact an application most likely is: a country by its code, else
    by website domain, else by normalised name; the contact by email (at that organisation first)."""
    organisation = None
    if organisation_kind == Organisation.Kind.COUNTRY and country:
        organisation = Organisation.objects.filter(kind=Organisation.Kind.COUNTRY, country=country).first()
    domain = website_domain(website)
    if organisation is None and domain:
        organisation = Organisation.objects.filter(website_domain=domain).order_by("pk").first()
    if organisation is None:
        wanted = normalise_name(organisation_name)
        if wanted:
            organisation = Organisation.objects.filter(name_key=wanted).order_by("pk").first()
    contact = None
    email = normalise_email(email)
    if email:
        contacts = Contact.objects.filter(email=email).select_related("organisation")
        if organisation is not None:
            contact = contacts.filter(organisation=organisation).first()
        if contact is None:
            contact = contacts.order_by("pk").first()
        if organisation is None and contact is not None:
            organisation = contact.organisation
    return Match(organisation=organisation, contact=contact)


# --- Submission -----------------------------------------------------------------------------------------


def _lock_applicant(email: str, organisation_name: str) -> None:
    """Serialise concurrent submissions of the same applicant, so two quick clicks make one enquiry."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"{email}|{normalise_name(organisation_name)}".encode(), digest_size=8)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _secretariat_recipients() -> list[str]:
    """Addresses from ``ENQUIRY_SECRETARIAT_RECIPIENTS``: plain addresses and ``group:<name>`` entries."""
    addresses: list[str] = []
    for entry in settings.ENQUIRY_SECRETARIAT_RECIPIENTS:
        if entry.startswith("group:"):
            users = get_user_model().objects.filter(
                groups__name=entry.removeprefix("group:"), is_active=True, is_staff=True
            )
            addresses.extend(u.email for u in users.order_by("pk") if u.email)
        elif entry:
            addresses.append(entry)
    return list(dict.fromkeys(a.lower() for a in addresses)) or [settings.SECRETARIAT_EMAIL]


def _per_address_key(prefix: str, address: str) -> str:
    """An outbox dedupe key naming one recipient, within the key column's 200 characters."""
    key = f"{prefix}:{address}"
    if len(key) <= 200:
        return key
    return f"{prefix}:{hashlib.sha256(address.encode()).hexdigest()}"


def _admin_url(enquiry: Enquiry) -> str:
    return absolute_url(reverse("admin:members_enquiry_change", args=[enquiry.pk]))


@transaction.atomic
def enquiry_submit(
    *, data: dict[str, Any], source: str = Enquiry.Source.FORM, ip: str | None = None
) -> tuple[Enquiry, bool]:
    """Save an application as received; a repeat of the applicant's open one changes nothing.

    Returns ``(enquiry, created)``. After commit the applicant gets an acknowledgement with a status link
    and the secretariat a notification, each once, whatever the state of the broker.

    A repeat (same email and organisation, an open enquiry from the last 24 hours) may come from anyone who
    knows the address, so it neither updates the enquiry nor hands out its link: callers answer exactly
    as for a first submission. The address on record is told by email (with its status link: only the
    mailbox owner learns it) and staff see what the repeat said as a note on the enquiry.
    """
    fields = {name: data[name] for name in APPLICANT_FIELDS if name in data}
    fields["email"] = normalise_email(fields.get("email"))
    fields["organisation_name"] = " ".join((fields.get("organisation_name") or "").split())
    optional = (
        "country",
        "website",
        "job_title",
        "intended_commitments",
        "target_kind",
        "public_description",
    )
    for name in optional:
        fields[name] = fields.get(name) or ""
    fields["preferred_language"] = recipient_language(fields.get("preferred_language"))
    problems = enquiry_validate(fields)
    if problems:
        raise ValidationError(problems)

    _lock_applicant(fields["email"], fields["organisation_name"])
    wanted = normalise_name(fields["organisation_name"])
    recent = (
        Enquiry.objects.select_for_update()
        .filter(
            email=fields["email"],
            status__in=Enquiry.OPEN_STATUSES,
            created_at__gte=timezone.now() - RESUBMISSION_WINDOW,
        )
        .order_by("-created_at")
    )
    existing = next((e for e in recent if normalise_name(e.organisation_name) == wanted), None)
    if existing is not None:
        _repeat_record(existing, fields=fields, source=source)
        return existing, False

    enquiry = Enquiry(source=source, submitted_ip=ip)
    for name, value in fields.items():
        setattr(enquiry, name, value)
    match = enquiry_match_find(
        organisation_name=enquiry.organisation_name,
        organisation_kind=enquiry.organisation_kind,
        country=enquiry.country,
        website=enquiry.website,
        email=enquiry.email,
    )
    enquiry.suggested_organisation = match.organisation
    enquiry.suggested_contact = match.contact
    enquiry.last_activity_at = timezone.now()
    enquiry.full_clean()
    enquiry.save()
    search_words_add(names=[enquiry.organisation_name, enquiry.contact_name])
    content_changed(DASHBOARD_CONTENT)  # the dashboard's enquiry funnel

    EnquiryTransition.objects.create(
        enquiry=enquiry, from_status="", to_status=S.RECEIVED, by_applicant=True, note=f"via {source}"
    )
    context = {"enquiry": enquiry, "status_url": enquiry_status_url(enquiry=enquiry)}
    email_queue(
        kind="enquiry.acknowledgement",
        to=enquiry.email,
        template="enquiry_acknowledgement",
        context=context,
        dedupe_key=f"enquiry:{enquiry.pk}:ack",
        language=enquiry.preferred_language,
    )
    for address in _secretariat_recipients():
        email_queue(
            kind="enquiry.notification",
            to=address,
            template="enquiry_notification",
            context={**context, "admin_url": _admin_url(enquiry), "match": match},
            dedupe_key=_per_address_key(f"enquiry:{enquiry.pk}:notify", address),
            reply_to=enquiry.email,
        )
    hooks.run("enquiry_submitted", enquiry=enquiry)
    return enquiry, True


def _repeat_record(enquiry: Enquiry, *, fields: dict[str, Any], source: str) -> None:
    """A repeat of an open enquiry: a note for staff with what differs, and one email a day to the address
    on record (so a stranger re-posting cannot flood it)."""
    changed = [
        f"- {Enquiry._meta.get_field(name).verbose_name}: {value}"
        for name, value in fields.items()
        if name not in ("email", "organisation_name") and str(value) != str(getattr(enquiry, name) or "")
    ]
    body = _(
        "Another submission for this address and organisation arrived via %(source)s; it changed nothing."
    ) % {"source": source}
    if changed:
        body += "\n" + _("It said differently:") + "\n" + "\n".join(changed)
    EnquiryNote.objects.create(enquiry=enquiry, author=None, body=body[:5000])
    email_queue(
        kind="enquiry.repeat",
        to=enquiry.email,
        template="enquiry_repeat",
        context={"enquiry": enquiry, "status_url": enquiry_status_url(enquiry=enquiry)},
        language=enquiry.preferred_language,
        dedupe_key=f"enquiry:{enquiry.pk}:repeat:{timezone.now():%Y-%m-%d}",
    )


# --- Transitions ----------------------------------------------------------------------------------------


def _locked(enquiry: Enquiry) -> Enquiry:
    """Re-read the row under a lock: two staff approving at once run one after the other."""
    return Enquiry.objects.select_for_update().get(pk=enquiry.pk)


def _allowed_text(status: str) -> str:
    allowed = sorted(ALLOWED_TRANSITIONS.get(status, ()))
    if not allowed:
        return "nothing more (it is closed)"
    return ", ".join(str(S(s).label).lower() for s in allowed)


def _check(enquiry: Enquiry, to_status: str) -> bool:
    """True if the change should happen, False if it already has (idempotent repeat); else raise."""
    if enquiry.status == to_status and to_status in IDEMPOTENT_TARGETS:
        return False
    if to_status not in ALLOWED_TRANSITIONS.get(enquiry.status, ()):
        raise InvalidTransition(
            f"This enquiry is {enquiry.get_status_display().lower()}: it cannot become "
            f"{S(to_status).label.lower()}. From here it can become: {_allowed_text(enquiry.status)}."
        )
    return True


def _transition(
    enquiry: Enquiry,
    to_status: str,
    *,
    by=None,
    by_applicant: bool = False,
    note: str = "",
    extra_fields: tuple[str, ...] = (),
) -> EnquiryTransition:
    transition = EnquiryTransition.objects.create(
        enquiry=enquiry,
        from_status=enquiry.status,
        to_status=to_status,
        by=by,
        by_applicant=by_applicant,
        note=note,
    )
    now = transition.at  # one instant for the record and the enquiry
    enquiry.status = to_status
    enquiry.last_activity_at = now
    if to_status in (S.APPROVED, S.DECLINED):
        enquiry.decided_at = now
    enquiry.save(update_fields=["status", "last_activity_at", "decided_at", "updated_at", *extra_fields])
    content_changed(DASHBOARD_CONTENT)  # the dashboard's enquiry funnel
    return transition


def enquiry_can(*, enquiry: Enquiry, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(enquiry.status, ())


@transaction.atomic
def enquiry_review_start(*, enquiry: Enquiry, by, note: str = "") -> Enquiry:
    """Staff take the enquiry up (or resume it after an information request, or restore it from spam)."""
    enquiry = _locked(enquiry)
    if _check(enquiry, S.UNDER_REVIEW):
        _transition(enquiry, S.UNDER_REVIEW, by=by, note=note)
    return enquiry


@transaction.atomic
def enquiry_assign(*, enquiry: Enquiry, assignee, by) -> Enquiry:
    """Give the enquiry to a staff member; a newly received one goes under review with it."""
    enquiry = _locked(enquiry)
    if assignee is not None and not assignee.is_staff:
        raise ValidationError({"assignee": "Enquiries can only be assigned to staff members."})
    if not enquiry.is_open:
        raise InvalidTransition(
            f"This enquiry is {enquiry.get_status_display().lower()}: it can no longer be assigned."
        )
    enquiry.assignee = assignee
    enquiry.last_activity_at = timezone.now()
    enquiry.save(update_fields=["assignee", "last_activity_at", "updated_at"])
    if enquiry.status == S.RECEIVED:
        who = assignee.get_full_name() or assignee.get_username() if assignee else "nobody"
        _transition(enquiry, S.UNDER_REVIEW, by=by, note=f"Assigned to {who}")
    return enquiry


@transaction.atomic
def enquiry_set_requested_tier(*, enquiry: Enquiry, tier, by) -> Enquiry:
    """Staff correct the tier an applicant asked for (approval offers it first)."""
    enquiry = _locked(enquiry)
    if not enquiry.is_open:
        raise InvalidTransition(
            f"This enquiry is {enquiry.get_status_display().lower()}: its requested tier is on record."
        )
    enquiry.requested_tier = tier
    enquiry.last_activity_at = timezone.now()
    enquiry.save(update_fields=["requested_tier", "last_activity_at", "updated_at"])
    return enquiry


@transaction.atomic
def enquiry_set_language(*, enquiry: Enquiry, language: str, by=None) -> Enquiry:
    """Staff correct the language the applicant is written to in (the next emails use it)."""
    from coalition.i18n import language_codes

    if language not in language_codes():
        raise ValidationError({"preferred_language": f"Choose one of: {', '.join(language_codes())}."})
    enquiry = _locked(enquiry)
    enquiry.preferred_language = language
    enquiry.save(update_fields=["preferred_language", "updated_at"])
    return enquiry


@transaction.atomic
def enquiry_note_add(*, enquiry: Enquiry, author, body: str) -> EnquiryNote:
    """An internal note: staff only, never shown or sent to the applicant."""
    body = (body or "").strip()
    note = EnquiryNote(enquiry=enquiry, author=author, body=body)
    note.full_clean()
    note.save()
    Enquiry.objects.filter(pk=enquiry.pk).update(last_activity_at=timezone.now(), updated_at=timezone.now())
    return note


@transaction.atomic
def enquiry_information_request(*, enquiry: Enquiry, by, message: str) -> Enquiry:
    """Ask the applicant for more; they answer on their status page."""
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": "Write the question the applicant should answer."})
    if len(message) > 5000:
        raise ValidationError({"message": "Keep the question under 5000 characters."})
    enquiry = _locked(enquiry)
    if enquiry.status == S.AWAITING_INFORMATION:
        raise InvalidTransition(
            "This enquiry is already awaiting information from the applicant. "
            "Resume the review first, or wait for their answer."
        )
    _check(enquiry, S.AWAITING_INFORMATION)
    enquiry.information_request = message
    transition = _transition(
        enquiry, S.AWAITING_INFORMATION, by=by, note=message, extra_fields=("information_request",)
    )
    email_queue(
        kind="enquiry.information_request",
        to=enquiry.email,
        template="enquiry_information_request",
        context={"enquiry": enquiry, "message": message, "status_url": enquiry_status_url(enquiry=enquiry)},
        language=enquiry.preferred_language,
        dedupe_key=f"enquiry:{enquiry.pk}:info-request:{transition.pk}",
        reply_to=settings.SECRETARIAT_EMAIL,
    )
    return enquiry


@transaction.atomic
def enquiry_information_answer(*, enquiry: Enquiry, answer: str) -> Enquiry:
    """The applicant answers an information request on the status page; the review resumes."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "Please write your answer."})
    if len(answer) > 5000:
        raise ValidationError({"answer": "Please keep your answer under 5000 characters."})
    enquiry = _locked(enquiry)
    if enquiry.status != S.AWAITING_INFORMATION:
        raise InvalidTransition(_("We are not waiting for information on this enquiry at the moment."))
    enquiry.applicant_reply = answer
    transition = _transition(
        enquiry, S.UNDER_REVIEW, by_applicant=True, note=answer, extra_fields=("applicant_reply",)
    )
    to = enquiry.assignee.email if enquiry.assignee and enquiry.assignee.email else None
    for address in [to] if to else _secretariat_recipients():
        email_queue(
            kind="enquiry.applicant_answered",
            to=address,
            template="enquiry_answer_received",
            context={"enquiry": enquiry, "answer": answer, "admin_url": _admin_url(enquiry)},
            dedupe_key=_per_address_key(f"enquiry:{enquiry.pk}:answer:{transition.pk}", address),
        )
    return enquiry


@transaction.atomic
def enquiry_withdraw(*, enquiry: Enquiry) -> Enquiry:
    """The applicant withdraws from the status page."""
    enquiry = _locked(enquiry)
    if _check(enquiry, S.WITHDRAWN):
        _transition(enquiry, S.WITHDRAWN, by_applicant=True, note="Withdrawn by the applicant")
    return enquiry


@transaction.atomic
def enquiry_mark_spam(*, enquiry: Enquiry, by) -> Enquiry:
    """Close as spam. Nothing is sent to the 'applicant'."""
    enquiry = _locked(enquiry)
    if _check(enquiry, S.SPAM):
        _transition(enquiry, S.SPAM, by=by)
    return enquiry


#: Enquiries that may be deleted: closed without a member (spam above all, kept no longer than needed).
DELETABLE_STATUSES = (S.SPAM, S.DECLINED, S.WITHDRAWN)


def enquiry_delete_blocker(*, enquiry: Enquiry) -> str:
    """Why ``enquiry`` may not be deleted ("" if it may). An open one is still owed an answer (decline it or
    mark it as spam first); an approved one is the record of how the member joined."""
    if enquiry.status in DELETABLE_STATUSES:
        return ""
    if enquiry.status == S.APPROVED:
        return (
            f"The enquiry from {enquiry.organisation_name} was approved: it is the record of how the member "
            "joined, so it is kept."
        )
    status = enquiry.get_status_display().lower()
    return (
        f"The enquiry from {enquiry.organisation_name} is {status}: the applicant is still owed an answer. "
        "Decline it or mark it as spam first."
    )


@transaction.atomic
def enquiry_delete(*, enquiry: Enquiry) -> None:
    """Delete an enquiry closed without a member (spam, declined, withdrawn), with its notes and
    transitions; its status link stops working."""
    locked = _locked(enquiry)
    blocker = enquiry_delete_blocker(enquiry=locked)
    if blocker:
        raise InvalidTransition(blocker)
    locked.delete()


@transaction.atomic
def enquiry_decline(*, enquiry: Enquiry, by, reason: str) -> Enquiry:
    """Decline with a reason, told courteously to the applicant. Declining again changes nothing."""
    reason = (reason or "").strip()
    enquiry = _locked(enquiry)
    if not _check(enquiry, S.DECLINED):
        return enquiry
    if not reason:
        raise ValidationError({"reason": "Give the applicant a reason: it is included in the email."})
    if len(reason) > 5000:
        raise ValidationError({"reason": "Keep the reason under 5000 characters."})
    enquiry.decline_reason = reason
    _transition(enquiry, S.DECLINED, by=by, note=reason, extra_fields=("decline_reason",))
    email_queue(
        kind="enquiry.declined",
        to=enquiry.email,
        template="enquiry_declined",
        context={"enquiry": enquiry, "reason": reason},
        dedupe_key=f"enquiry:{enquiry.pk}:declined",
        reply_to=settings.SECRETARIAT_EMAIL,
        language=enquiry.preferred_language,
    )
    return enquiry


# --- Approval: joining ----------------------------------------------------------------------------------


def _organisation_for(enquiry: Enquiry, *, organisation: Organisation | None, create: bool) -> Organisation:
    if enquiry.organisation_kind == Organisation.Kind.COUNTRY and enquiry.country:
        # One record per country: always the existing one if there is one.
        existing = Organisation.objects.filter(
            kind=Organisation.Kind.COUNTRY, country=enquiry.country
        ).first()
        if existing is not None:
            return existing
    elif organisation is not None:
        return organisation
    elif not create and enquiry.suggested_organisation_id:
        return enquiry.suggested_organisation
    new = Organisation(
        name=enquiry.organisation_name,
        kind=enquiry.organisation_kind,
        country=enquiry.country,
        website=enquiry.website,
        # Only what the applicant wrote for the directory: the motivation is for the secretariat's eyes.
        description=enquiry.public_description,
        listed_publicly=enquiry.list_publicly,
    )
    new.full_clean()
    new.save()
    search_words_add(names=[new.name])
    return new


def _contact_for(enquiry: Enquiry, organisation: Organisation) -> Contact:
    contact = Contact.objects.filter(organisation=organisation, email=enquiry.email).first()
    if contact is not None:
        if not contact.job_title and enquiry.job_title:
            contact.job_title = enquiry.job_title
            contact.save(update_fields=["job_title", "updated_at"])
        return contact
    has_primary = Contact.objects.filter(organisation=organisation, is_primary=True).exists()
    contact = Contact(
        organisation=organisation,
        name=enquiry.contact_name,
        email=enquiry.email,
        job_title=enquiry.job_title,
        is_primary=not has_primary,
        preferred_language=enquiry.preferred_language,
    )
    contact.full_clean()
    contact.save()
    search_words_add(names=[contact.name])
    from members.affiliations.services import affiliation_record_first

    affiliation_record_first(contact=contact)
    return contact


@transaction.atomic
def enquiry_approve(
    *,
    enquiry: Enquiry,
    by,
    organisation: Organisation | None = None,
    create_organisation: bool = False,
    tier: MembershipTier | None = None,
) -> Enquiry:
    """Approve = join, in one transaction: organisation and contact (linked or created), membership
    (tier from the enquiry unless staff choose one; status from the tier's rules), a "joined" entry in
    the organisation's history; a welcome email after commit. Approving again changes nothing.

    Without ``organisation`` or ``create_organisation`` the suggested match is linked, if there is one.
    A country is always linked to its existing record.
    """
    enquiry = _locked(enquiry)
    if not _check(enquiry, S.APPROVED):
        return enquiry
    tier = tier or enquiry.requested_tier
    if tier is None:
        raise ValidationError({"tier": "Choose the membership tier before approving."})

    member = _organisation_for(enquiry, organisation=organisation, create=create_organisation)
    contact = _contact_for(enquiry, member)
    current = Membership.objects.select_for_update().filter(
        organisation=member, status__in=Membership.CURRENT_STATUSES
    )
    membership = current.first()
    if membership is None:
        membership = membership_start(organisation=member, tier=tier, by=by)
        engagement_create(
            organisation=member,
            kind=Engagement.Kind.JOINED,
            summary=f"Joined as {tier.name}"[:300],
            details=f"Enquiry approved. Motivation: {enquiry.motivation}"[:5000],
            contacts=[contact],
            staff=[by] if by is not None else [],
        )
    else:
        engagement_create(
            organisation=member,
            kind=Engagement.Kind.NOTE,
            summary="Enquiry to join approved; already a member"[:300],
            details=f"Linked to the current membership: {membership.tier.name}.",
            contacts=[contact],
            staff=[by] if by is not None else [],
        )

    enquiry.organisation, enquiry.contact, enquiry.membership = member, contact, membership
    _transition(
        enquiry,
        S.APPROVED,
        by=by,
        note=f"Member: {member.name} ({membership.tier.name})",
        extra_fields=("organisation", "contact", "membership"),
    )
    email_queue(
        kind="enquiry.welcome",
        to=enquiry.email,
        template="enquiry_welcome",
        context={"enquiry": enquiry, "organisation": member, "membership": membership, "contact": contact},
        dedupe_key=f"enquiry:{enquiry.pk}:welcome",
        reply_to=settings.SECRETARIAT_EMAIL,
        language=enquiry.preferred_language,
    )
    hooks.run("enquiry_approved", enquiry=enquiry)
    return enquiry


# --- Reminders ------------------------------------------------------------------------------------------


def enquiry_reminders_send(*, today=None) -> int:
    """Email each assignee (or the secretariat, for unassigned ones) the open enquiries untouched for
    more than ``ENQUIRY_REMINDER_DAYS``. One digest per recipient per day (a second run sends nothing)."""
    from members.enquiries.selectors import enquiries_untouched

    today = today or secretariat_today()
    by_recipient: dict[str, list[Enquiry]] = {}
    for enquiry in enquiries_untouched(days=int(settings.ENQUIRY_REMINDER_DAYS)):
        if enquiry.assignee and enquiry.assignee.email:
            recipients = [enquiry.assignee.email.lower()]
        else:
            recipients = _secretariat_recipients()
        for address in recipients:
            by_recipient.setdefault(address, []).append(enquiry)
    for address, enquiries in by_recipient.items():
        with transaction.atomic():
            email_queue(
                kind="enquiry.reminder",
                to=address,
                template="enquiry_reminder",
                context={
                    "enquiries": [
                        {
                            "enquiry": e,
                            "admin_url": _admin_url(e),
                            "days": (timezone.now() - e.last_activity_at).days,
                        }
                        for e in enquiries
                    ],
                    "days": settings.ENQUIRY_REMINDER_DAYS,
                },
                dedupe_key=_per_address_key(f"enquiry-reminders:{today.isoformat()}", address),
            )
    return len(by_recipient)
