"""Subscriptions: consent, double opt-in, preferences, unsubscribe, bounces and complaints, erasure."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from coalition import hooks
from coalition.dates import secretariat_date
from coalition.exceptions import BadToken
from coalition.i18n import in_language, public_url, recipient_language
from coalition.models import OutboundEmail
from coalition.outbox.services import email_queue
from coalition.tokens import token_make, token_pk, token_read, token_uuid
from members.matching import normalise_email
from newsletters.models import (
    BounceEvent,
    ConsentRecord,
    ConsentWording,
    Delivery,
    ErasedAddress,
    Subscriber,
    Topic,
)
from newsletters.sending import rendering

log = logging.getLogger(__name__)

CONFIRM_SALT = "newsletters.confirm"
ERASED_SALT = "newsletters.erased-address"
DEFAULT_WORDING = (
    "I would like to receive the coalition's progress updates and newsletters by email. "
    "I can change my topics or unsubscribe at any time with the link in every email."
)
DEFAULT_WORDING_TRANSLATIONS = {
    "fr": (
        "Je souhaite recevoir par e-mail les points d'étape et les lettres d'information de la coalition. "
        "Je peux changer de thèmes ou me désabonner à tout moment "
        "grâce au lien présent dans chaque e-mail."
    ),
    "es": (
        "Deseo recibir por correo electrónico los informes de avance y los boletines de la coalición. "
        "Puedo cambiar mis temas o darme de baja en cualquier momento "
        "con el enlace que figura en cada correo."
    ),
}


# --- Subscriptions and consent ---------------------------------------------------------------------------


def consent_wording_current() -> ConsentWording:
    wording = ConsentWording.objects.order_by("-version").first()
    if wording is None:
        wording, _ = ConsentWording.objects.get_or_create(
            version=1, defaults={"text": DEFAULT_WORDING, "translations": DEFAULT_WORDING_TRANSLATIONS}
        )
    return wording


@transaction.atomic
def consent_wording_publish(*, text: str) -> ConsentWording:
    """A new version of the sign-up wording; earlier consents keep pointing at what they showed."""
    latest = ConsentWording.objects.select_for_update().order_by("-version").first()
    return ConsentWording.objects.create(version=(latest.version + 1) if latest else 1, text=text.strip())


def _confirm_token(consent: ConsentRecord) -> str:
    return token_make(value={"c": consent.pk, "k": str(consent.subscriber.key)}, salt=CONFIRM_SALT)


def confirm_url(consent: ConsentRecord) -> str:
    """The confirmation link, in the language the person signed up in."""
    return public_url("newsletters:confirm", language=consent.language, args=[_confirm_token(consent)])


# --- Who may sign an address up --------------------------------------------------------------------------


def erased_digests(email: str) -> list[str]:
    """The keyed hashes an erased address is recorded under (``ErasedAddress.digest``): with ``SECRET_KEY``,
    then with each of ``SECRET_KEY_FALLBACKS``, so a marker written before the key was rotated still
    matches. New markers are written with the first."""
    email = normalise_email(email)
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac(ERASED_SALT, email, secret=secret, algorithm="sha256").hexdigest() for secret in secrets
    ]


def erased_address_of(email: str) -> ErasedAddress | None:
    """The marker left when this address was erased, if any (see ``subscriber_erase``)."""
    return ErasedAddress.objects.filter(digest__in=erased_digests(email)).order_by("-erased_at").first()


_SUPPRESSED_REFUSALS = {
    Subscriber.Status.UNSUBSCRIBED: "This address unsubscribed on {date}",
    Subscriber.Status.BOUNCED: "Emails to this address bounced (it was suppressed on {date})",
    Subscriber.Status.COMPLAINED: "This address reported our email as spam on {date}",
}
_ONLY_THEMSELVES = "If the person asks to subscribe again, they can do so themselves on the sign-up page."


def staff_signup_check(*, email: str, subscriber: Subscriber | None = None) -> None:
    """The rule of every door through which staff, not the person, sign an address up: the subscriber
    import, and "add subscriber" in the admin and the API (consent method "import").

    An address whose owner asked to be erased is refused, so nobody is sent a confirmation email, or kept
    on file, again after asking to be forgotten. Given the address's ``subscriber``, one who unsubscribed,
    bounced or complained is refused too: staff never send them a confirmation email. Only the person's own
    sign-up (the public form or API, an enquiry) is let through, and confirming it deletes the erasure
    marker (``subscription_confirm``): it is their new consent.

    Raises a ``ValidationError`` on ``email`` that says why and what the person can do.
    """
    erased = erased_address_of(email)
    if erased is not None:
        date = secretariat_date(erased.erased_at).isoformat()
        raise ValidationError(
            {"email": f"This address asked to be erased on {date}; it cannot be imported. {_ONLY_THEMSELVES}"}
        )
    if subscriber is not None and subscriber.status in Subscriber.SUPPRESSED_STATUSES:
        when = subscriber.status_changed_at or subscriber.updated_at
        reason = _SUPPRESSED_REFUSALS[subscriber.status].format(date=secretariat_date(when).isoformat())
        raise ValidationError({"email": f"{reason}; staff cannot sign it up again. {_ONLY_THEMSELVES}"})


@transaction.atomic
def subscription_request(
    *,
    email: str,
    name: str = "",
    topics: list[Topic] | None = None,
    method: str,
    ip_address: str | None = None,
    contact=None,
    language: str | None = None,
) -> None:
    """Someone asks for updates. Returns nothing on purpose: the caller answers the same for any address.

    A new or returning address (pending, unsubscribed, bounced, complained) gets a consent record and a
    confirmation email; nothing changes until the link is followed. An address that is already confirmed
    gets a note with its preferences link, and nothing changes either.

    ``language`` is the language of the form (or the API request's): the wording shown, the consent
    record and the confirmation email are in it; confirming makes it the subscriber's language.

    A sign-up by staff (``method`` "import") is first put to ``staff_signup_check``: an erased,
    unsubscribed, bounced or complained address is refused with a ``ValidationError``.
    """
    language = recipient_language(language)
    email = normalise_email(email)
    if not email:
        raise ValidationError({"email": _("Enter your email address.")})
    chosen = list(topics or []) or list(Topic.objects.filter(default=True))
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if method == ConsentRecord.Method.IMPORT:
        staff_signup_check(email=email, subscriber=subscriber)
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email,
                    name=name.strip(),
                    contact=contact,
                    status=Subscriber.Status.PENDING,
                    preferred_language=language,
                )
                subscriber.topics.set(chosen)
        except IntegrityError:
            # The same address signed up at the same moment in another request.
            subscriber = Subscriber.objects.select_for_update().get(email=email)
    if subscriber.status == Subscriber.Status.CONFIRMED:
        # To the mailbox owner, in their own language: they did not necessarily send this request.
        with in_language(subscriber.preferred_language) as owner_language:
            preferences_link = rendering.preferences_url(subscriber.key)
        email_queue(
            kind="newsletters.already_subscribed",
            to=subscriber.email,
            template="newsletter_already_subscribed",
            context={"name": subscriber.name, "preferences_url": preferences_link},
            language=owner_language,
        )
        return
    wording = consent_wording_current()
    consent = ConsentRecord.objects.create(
        subscriber=subscriber,
        method=method,
        wording=wording,
        ip_address=ip_address if settings.NEWSLETTER_RECORD_IP else None,
        requested_name=name.strip(),
        language=language,
        wording_text=wording.text_in(language),
    )
    consent.requested_topics.set(chosen)
    if contact is not None and subscriber.contact_id is None:
        Subscriber.objects.filter(pk=subscriber.pk).update(contact=contact)
    email_queue(
        kind="newsletters.confirmation",
        to=subscriber.email,
        template="newsletter_confirm",
        context={
            "name": name.strip(),
            "topics": [t.name_in(language) for t in chosen],
            # What each topic brings, in the same language (only those with a description).
            "topic_descriptions": [
                {"name": t.name_in(language), "description": t.description_in(language)}
                for t in chosen
                if t.description_in(language)
            ],
            "confirm_url": confirm_url(consent),
            "wording": consent.wording_text,
            "max_age_days": settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS,
        },
        dedupe_key=f"newsletters.confirm.{consent.pk}",
        language=language,
    )


@transaction.atomic
def subscriber_import(
    *, email: str, name: str | None, topics: list[Topic] | None, language: str | None = None
) -> tuple[Subscriber, bool]:
    """One row of a subscriber import; returns the subscriber and whether it is new.

    A known address (in any case) is updated: its name and topics when the row gives them, never its
    status, so an import cannot resubscribe someone who left and sends them nothing. A new address goes
    through ``subscription_request`` like any sign-up: pending, with an "import" consent record, and the
    double opt-in confirmation email after commit. Only confirming makes them a recipient.

    An address whose owner asked to be erased is refused (``staff_signup_check``), a ``ValidationError``
    the import shows as the row's error: nothing is created and nothing is sent. Until the person confirms
    a sign-up of their own, that holds even if they have started one (a pending subscriber).
    """
    email = normalise_email(email)
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is not None:
        # A new address is checked by subscription_request, with the rest of staff sign-ups.
        staff_signup_check(email=email)
    if subscriber is None:
        subscription_request(
            email=email, name=name or "", topics=topics, method=ConsentRecord.Method.IMPORT, language=language
        )
        return Subscriber.objects.get(email=email), True
    changed = []
    if name and name.strip() != subscriber.name:
        subscriber.name = name.strip()
        changed.append("name")
    if language and recipient_language(language) != subscriber.preferred_language:
        subscriber.preferred_language = recipient_language(language)
        changed.append("preferred_language")
    if changed:
        subscriber.save(update_fields=[*changed, "updated_at"])
    if topics is not None:
        subscriber.topics.set(topics)
    return subscriber, False


def subscribers_follow_contact(*, keep_contact, gone_contact, **_: Any) -> None:
    """Hook ``contacts_merged``: a contact folded into another (same person) takes its subscriptions with
    it, instead of leaving them unlinked when the folded contact is deleted."""
    Subscriber.objects.filter(contact=gone_contact).update(contact=keep_contact, updated_at=timezone.now())


@transaction.atomic
def subscription_confirm(*, token: str) -> Subscriber:
    """Follow a confirmation link: the subscriber is confirmed with the name and topics they asked for.

    Following the same link again changes nothing, so an old link cannot undo a later unsubscribe.
    """
    value = token_read(
        token=token,
        salt=CONFIRM_SALT,
        max_age_seconds=settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS * 86400,
        parse=lambda v: {"c": token_pk(v["c"]), "k": token_uuid(v["k"])},
    )
    try:
        consent = (
            ConsentRecord.objects.select_for_update()
            .select_related("subscriber")
            .get(pk=value["c"], subscriber__key=value["k"])
        )
    except (ConsentRecord.DoesNotExist, KeyError, TypeError, ValueError, ValidationError) as exc:
        raise BadToken(_("This link is no longer valid. Please sign up again.")) from exc
    subscriber = consent.subscriber
    if consent.confirmed_at:
        return subscriber
    now = timezone.now()
    consent.confirmed_at = now
    consent.save(update_fields=["confirmed_at", "updated_at"])
    # The person's own new consent: an erasure they asked for earlier no longer stands in staff's way.
    ErasedAddress.objects.filter(digest__in=erased_digests(subscriber.email)).delete()
    subscriber.status = Subscriber.Status.CONFIRMED
    subscriber.confirmed_at = now
    subscriber.status_changed_at = now
    if consent.requested_name:
        subscriber.name = consent.requested_name
    # The language they signed up in becomes theirs, like the name and topics: only on confirmation.
    subscriber.preferred_language = recipient_language(consent.language)
    subscriber.save()
    topics = list(consent.requested_topics.all())
    if topics:
        subscriber.topics.set(topics)
    return subscriber


def subscriber_from_token(*, token: str) -> Subscriber:
    key = token_read(token=token, salt=rendering.SUBSCRIBER_SALT, max_age_seconds=None, parse=token_uuid)
    subscriber = Subscriber.objects.filter(key=key).first()
    if subscriber is None:
        raise BadToken(_("This link is no longer valid: the subscription no longer exists."))
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Leave every list at once. Bounced or complained addresses stay as they are (already suppressed)."""
    updated = Subscriber.objects.filter(
        pk=subscriber.pk, status__in=[Subscriber.Status.CONFIRMED, Subscriber.Status.PENDING]
    ).update(status=Subscriber.Status.UNSUBSCRIBED, status_changed_at=timezone.now())
    if updated:
        log.info("subscriber %s unsubscribed", subscriber.pk)
    subscriber.refresh_from_db()
    return subscriber


@transaction.atomic
def subscriber_update_preferences(
    *, subscriber: Subscriber, name: str, topics: list[Topic], unsubscribe_all: bool = False
) -> Subscriber:
    if unsubscribe_all:
        return subscriber_unsubscribe(subscriber=subscriber)
    if not topics:
        raise ValidationError(
            {
                "topics": _(
                    "Choose at least one topic, or tick 'Unsubscribe from all emails' to stop every email."
                )
            }
        )
    subscriber.name = name.strip()
    subscriber.save(update_fields=["name", "updated_at"])
    # Topics staff keep off the public form stay as they are: the person never saw them here.
    hidden = list(subscriber.topics.filter(public=False))
    subscriber.topics.set([*topics, *hidden])
    return subscriber


_STAFF_EDITABLE = {"name", "contact", "topics", "preferred_language"}


@transaction.atomic
def subscriber_update(*, subscriber: Subscriber, by=None, **fields: Any) -> Subscriber:
    """Staff correct a subscriber's name, topics or the contact they are linked to.

    The status is not among them: it changes only by confirming, unsubscribing, a bounce or a complaint,
    each with its consent or suppression record.
    """
    unknown = set(fields) - _STAFF_EDITABLE
    if unknown:
        raise ValidationError(
            {name: "This cannot be changed here; the subscriber's own actions change it." for name in unknown}
        )
    changed = ["updated_at"]
    if "name" in fields:
        subscriber.name = (fields["name"] or "").strip()
        changed.append("name")
    if "contact" in fields:
        subscriber.contact = fields["contact"]
        changed.append("contact")
    if "preferred_language" in fields:
        subscriber.preferred_language = fields["preferred_language"]
        changed.append("preferred_language")
    subscriber.full_clean(exclude=["topics"], validate_unique=False)
    subscriber.save(update_fields=changed)
    if "topics" in fields:
        subscriber.topics.set(fields["topics"])
    return subscriber


# --- Bounces and complaints ------------------------------------------------------------------------------


@transaction.atomic
def bounce_record(
    *,
    email: str,
    kind: str,
    provider: str,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
    description: str = "",
) -> BounceEvent | None:
    """A provider reported a bounce or complaint. Hard bounces and complaints suppress the address at once;
    soft bounces after ``NEWSLETTER_SOFT_BOUNCE_LIMIT`` of them since the subscriber last confirmed.

    Returns None for an unknown address or an event already recorded (providers retry webhooks).
    """
    subscriber = Subscriber.objects.select_for_update().filter(email=normalise_email(email)).first()
    if subscriber is None:
        return None
    try:
        with transaction.atomic():
            event = BounceEvent.objects.create(
                subscriber=subscriber,
                kind=kind,
                provider=provider,
                event_id=event_id or None,
                occurred_at=occurred_at or timezone.now(),
                description=description[:2000],
            )
    except IntegrityError:
        return None
    new_status = None
    if kind == BounceEvent.Kind.COMPLAINT:
        new_status = Subscriber.Status.COMPLAINED
    elif kind == BounceEvent.Kind.HARD_BOUNCE:
        new_status = Subscriber.Status.BOUNCED
    else:
        soft = subscriber.bounce_events.filter(kind=BounceEvent.Kind.SOFT_BOUNCE)
        if subscriber.confirmed_at:
            soft = soft.filter(created_at__gte=subscriber.confirmed_at)
        if soft.count() >= settings.NEWSLETTER_SOFT_BOUNCE_LIMIT:
            new_status = Subscriber.Status.BOUNCED
    if new_status and subscriber.status in (
        Subscriber.Status.CONFIRMED,
        Subscriber.Status.PENDING,
        Subscriber.Status.BOUNCED,
    ):
        subscriber.status = new_status
        subscriber.status_changed_at = timezone.now()
        subscriber.save(update_fields=["status", "status_changed_at", "updated_at"])
    return event


# --- Privacy ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureResult:
    deliveries_kept: int
    emails_deleted: int


@transaction.atomic
def subscriber_erase(*, subscriber: Subscriber) -> ErasureResult:
    """Delete the person's data: the subscriber, consent records, bounce reports and the confirmation
    emails sent to them. Delivery rows stay without a subscriber, so newsletter counts do not change.

    What is kept is that the address asked to be erased, as a keyed hash of it (``ErasedAddress``), so
    staff cannot sign it up again by import or by hand (``staff_signup_check``); the person still can.
    """
    deliveries = Delivery.objects.filter(subscriber=subscriber)
    # Anyone still queued for a newsletter in progress will receive nothing.
    deliveries.filter(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]).update(
        status=Delivery.Status.SKIPPED, claim=None
    )
    kept = deliveries.update(subscriber=None)
    emails_deleted, _ = OutboundEmail.objects.filter(
        to__iexact=subscriber.email, kind__startswith="newsletters."
    ).delete()
    subscriber.delete()
    ErasedAddress.objects.update_or_create(
        digest=erased_digests(subscriber.email)[0], defaults={"erased_at": timezone.now()}
    )
    return ErasureResult(deliveries_kept=kept, emails_deleted=emails_deleted)


# --- Hooks -----------------------------------------------------------------------------------------------


def on_enquiry_submitted(*, enquiry, **_: Any) -> None:
    """An applicant who ticked "send me updates" starts a pending subscription (double opt-in as usual).

    A resubmitted enquiry does not send a second confirmation while the first link still works.
    """
    if not getattr(enquiry, "wants_updates", False) or not enquiry.email:
        return
    recent = timezone.now() - timedelta(days=settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS)
    if ConsentRecord.objects.filter(
        subscriber__email=normalise_email(enquiry.email),
        method=ConsentRecord.Method.ENQUIRY,
        confirmed_at__isnull=True,
        created_at__gte=recent,
    ).exists():
        return
    subscription_request(
        email=enquiry.email,
        name=enquiry.contact_name,
        method=ConsentRecord.Method.ENQUIRY,
        ip_address=enquiry.submitted_ip,
        contact=enquiry.contact,
        language=getattr(enquiry, "preferred_language", None),
    )


@transaction.atomic
def on_enquiry_approved(*, enquiry, **_: Any) -> None:
    """Link the applicant's subscription to the contact the approval created, so audiences narrowed by
    organisation kind or country include them."""
    if not enquiry.email or not getattr(enquiry, "contact_id", None):
        return
    Subscriber.objects.filter(email=normalise_email(enquiry.email), contact__isnull=True).update(
        contact_id=enquiry.contact_id
    )


def register_hooks() -> None:
    from newsletters.search import subscriber_search_hits

    hooks.register("search", subscriber_search_hits)
    hooks.register("enquiry_submitted", on_enquiry_submitted)
    hooks.register("enquiry_approved", on_enquiry_approved)
    hooks.register("contacts_merged", subscribers_follow_contact)
