"""Writes of the newsletters domain: subscriptions and consent, suppression, privacy, and sending.

How a newsletter is sent (the guarantee: every confirmed recipient once; a crash re-sends at most the
messages that were in flight)
-----------------------------------------------------------------------------------------------------
1. ``newsletter_send`` runs ONE transaction: it locks the newsletter, moves it from draft/scheduled to
   ``sending`` (a second "send" finds it sending and is refused), renders the content once, and
   materialises the audience with ``INSERT … SELECT … ON CONFLICT DO NOTHING`` into ``Delivery`` —
   one row per (newsletter, subscriber), unique. That freezes the list: later sign-ups are not added,
   and the unique pair means no path can ever create a second delivery for the same person. It also
   cuts the delivery ids into ``SendBatch`` ranges of ``NEWSLETTER_BATCH_SIZE`` (SQL only: memory
   stays flat whatever the audience size).
2. After commit, up to ``NEWSLETTER_PARALLEL_BATCHES`` batches are dispatched as Celery tasks; each batch
   that finishes dispatches the next (``newsletter_advance``).
3. A batch task (``send_batch_run``) opens ONE SMTP connection and loops: claim up to
   ``NEWSLETTER_CLAIM_SIZE`` queued rows of its range (``SELECT … FOR UPDATE SKIP LOCKED`` then
   ``UPDATE … SET status='sending', claim=<uuid>``), and for each row: wait for the global rate limit,
   personalise, send, and mark rows ``sent`` in groups of ``NEWSLETTER_MARK_EVERY``. Every
   ``TICK_SECONDS`` it re-reads what may have changed: pause or cancel, subscribers who left after the
   list was frozen (they get nothing), whether the claim is still its own; and it touches the claim so
   the sweep knows it is alive. Two workers running the same batch (a redelivered task, "send" pressed
   twice) claim disjoint rows, so nobody gets two copies.
4. A worker killed mid-send leaves its claimed rows in ``sending``. The sweep (every minute) puts rows
   claimed more than ``NEWSLETTER_STALE_SECONDS`` ago back to ``queued`` and re-dispatches batches
   without a heartbeat for as long; a new worker sends them. Only messages the SMTP server accepted but
   whose ``sent`` mark had not committed at the kill go out twice: at most ``NEWSLETTER_MARK_EVERY`` per
   killed worker process, never more than its claim. They carry the same Message-ID both times.
5. Transient SMTP failures (4xx, lost connections) put the row back to ``queued`` with a backoff
   (``next_attempt_at``); permanent ones (5xx, refused recipient) mark it ``failed`` with the reason.
   Pause and cancel are read between messages; the newsletter is ``sent`` when no row is queued or
   in flight.
"""

import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from coalition import hooks
from coalition.emails import absolute_url, email_queue
from coalition.exceptions import BadToken, InvalidTransition
from coalition.models import OutboundEmail
from coalition.tokens import token_make, token_pk, token_read, token_uuid

from . import rendering, selectors
from .models import (
    BounceEvent,
    ConsentRecord,
    ConsentWording,
    Delivery,
    Newsletter,
    SendBatch,
    Subscriber,
    Topic,
)
from .ratelimit import rate_wait

log = logging.getLogger(__name__)

CONFIRM_SALT = "newsletters.confirm"
DEFAULT_WORDING = (
    "I would like to receive the coalition's progress updates and newsletters by email. "
    "I can change my topics or unsubscribe at any time with the link in every email."
)
# A batch task hands over to a fresh task after this long, well inside the task time limit.
BATCH_TIME_BUDGET_SECONDS = 240


# --- Subscriptions and consent ---------------------------------------------------------------------------


def consent_wording_current() -> ConsentWording:
    wording = ConsentWording.objects.order_by("-version").first()
    if wording is None:
        wording, _ = ConsentWording.objects.get_or_create(version=1, defaults={"text": DEFAULT_WORDING})
    return wording


@transaction.atomic
def consent_wording_publish(*, text: str) -> ConsentWording:
    """A new version of the sign-up wording; earlier consents keep pointing at what they showed."""
    latest = ConsentWording.objects.select_for_update().order_by("-version").first()
    return ConsentWording.objects.create(version=(latest.version + 1) if latest else 1, text=text.strip())


def _confirm_token(consent: ConsentRecord) -> str:
    return token_make(value={"c": consent.pk, "k": str(consent.subscriber.key)}, salt=CONFIRM_SALT)


def confirm_url(consent: ConsentRecord) -> str:
    return absolute_url(reverse("newsletters:confirm", args=[_confirm_token(consent)]))


@transaction.atomic
def subscription_request(
    *,
    email: str,
    name: str = "",
    topics: list[Topic] | None = None,
    method: str,
    ip_address: str | None = None,
    contact=None,
) -> None:
    """Someone asks for updates. Returns nothing on purpose: the caller answers the same for any address.

    A new or returning address (pending, unsubscribed, bounced, complained) gets a consent record and a
    confirmation email; nothing changes until the link is followed. An address that is already confirmed
    gets a note with its preferences link, and nothing changes either.
    """
    email = (email or "").strip().lower()
    if not email:
        raise ValidationError({"email": "Enter your email address."})
    chosen = list(topics or []) or list(Topic.objects.filter(default=True))
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email, name=name.strip(), contact=contact, status=Subscriber.Status.PENDING
                )
                subscriber.topics.set(chosen)
        except IntegrityError:
            # The same address signed up at the same moment in another request.
            subscriber = Subscriber.objects.select_for_update().get(email=email)
    if subscriber.status == Subscriber.Status.CONFIRMED:
        email_queue(
            kind="newsletters.already_subscribed",
            to=subscriber.email,
            template="newsletter_already_subscribed",
            context={"name": subscriber.name, "preferences_url": rendering.preferences_url(subscriber.key)},
        )
        return
    wording = consent_wording_current()
    consent = ConsentRecord.objects.create(
        subscriber=subscriber,
        method=method,
        wording=wording,
        ip_address=ip_address if settings.NEWSLETTER_RECORD_IP else None,
        requested_name=name.strip(),
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
            "topics": [t.name for t in chosen],
            "confirm_url": confirm_url(consent),
            "wording": wording.text,
            "max_age_days": settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS,
        },
        dedupe_key=f"newsletters.confirm.{consent.pk}",
    )


@transaction.atomic
def subscriber_import(*, email: str, name: str | None, topics: list[Topic] | None) -> tuple[Subscriber, bool]:
    """One row of a subscriber import; returns the subscriber and whether it is new.

    A known address (in any case) is updated: its name and topics when the row gives them, never its
    status, so an import cannot resubscribe someone who left and sends them nothing. A new address goes
    through ``subscription_request`` like any sign-up: pending, with an "import" consent record, and the
    double opt-in confirmation email after commit. Only confirming makes them a recipient.
    """
    email = (email or "").strip().lower()
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is None:
        subscription_request(email=email, name=name or "", topics=topics, method=ConsentRecord.Method.IMPORT)
        return Subscriber.objects.get(email=email), True
    if name and name.strip() != subscriber.name:
        subscriber.name = name.strip()
        subscriber.save(update_fields=["name", "updated_at"])
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
        raise BadToken("This link is no longer valid. Please sign up again.") from exc
    subscriber = consent.subscriber
    if consent.confirmed_at:
        return subscriber
    now = timezone.now()
    consent.confirmed_at = now
    consent.save(update_fields=["confirmed_at", "updated_at"])
    subscriber.status = Subscriber.Status.CONFIRMED
    subscriber.confirmed_at = now
    subscriber.status_changed_at = now
    if consent.requested_name:
        subscriber.name = consent.requested_name
    subscriber.save()
    topics = list(consent.requested_topics.all())
    if topics:
        subscriber.topics.set(topics)
    return subscriber


def subscriber_from_token(*, token: str) -> Subscriber:
    key = token_read(token=token, salt=rendering.SUBSCRIBER_SALT, max_age_seconds=None, parse=token_uuid)
    subscriber = Subscriber.objects.filter(key=key).first()
    if subscriber is None:
        raise BadToken("This link is no longer valid: the subscription no longer exists.")
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
            {"topics": "Choose at least one topic, or tick 'Unsubscribe from all' to stop every email."}
        )
    subscriber.name = name.strip()
    subscriber.save(update_fields=["name", "updated_at"])
    # Topics staff keep off the public form stay as they are: the person never saw them here.
    hidden = list(subscriber.topics.filter(public=False))
    subscriber.topics.set([*topics, *hidden])
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
    subscriber = Subscriber.objects.select_for_update().filter(email=(email or "").strip().lower()).first()
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
    emails sent to them. Delivery rows stay without a subscriber, so newsletter counts do not change."""
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
    return ErasureResult(deliveries_kept=kept, emails_deleted=emails_deleted)


# --- Writing ---------------------------------------------------------------------------------------------

NEWSLETTER_FIELDS = (
    "subject",
    "preheader",
    "body_markdown",
    "organisation_kinds",
    "organisation_countries",
    "scheduled_at",
)


@transaction.atomic
def newsletter_create(*, by=None, topics: list[Topic] | None = None, **fields: Any) -> Newsletter:
    newsletter = Newsletter(created_by=by, **fields)
    newsletter.full_clean(exclude=["topics"])
    newsletter.save()
    newsletter.topics.set(topics or [])
    return newsletter


@transaction.atomic
def newsletter_update(
    *, newsletter: Newsletter, topics: list[Topic] | None = None, **fields: Any
) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if not locked.is_editable:
        raise InvalidTransition(
            f"This newsletter is {locked.get_status_display().lower()}; it can no longer be edited."
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["topics"])
    locked.save()
    if topics is not None:
        locked.topics.set(topics)
    return locked


def newsletter_rendered(*, newsletter: Newsletter) -> rendering.RenderedNewsletter:
    if newsletter.rendered_html:
        return rendering.RenderedNewsletter(
            subject=newsletter.subject, html=newsletter.rendered_html, text=newsletter.rendered_text
        )
    return rendering.newsletter_render(
        subject=newsletter.subject, preheader=newsletter.preheader, body_markdown=newsletter.body_markdown
    )


@transaction.atomic
def newsletter_test_send(*, newsletter: Newsletter, to: str, name: str = "") -> OutboundEmail:
    """Send the newsletter as it will look to one address (through the transactional outbox)."""
    from coalition.tasks import enqueue_after_commit, outbox_send_task

    to = (to or "").strip()
    if "@" not in to:
        raise ValidationError({"to": "Enter the email address to send the test to."})
    rendered = newsletter_rendered(newsletter=newsletter)
    sample_key = uuid.UUID(int=0)  # links in a test point nowhere real
    message = rendering.newsletter_message(
        rendered=rendered, name=name, email=to, key=sample_key, newsletter_id=newsletter.pk
    )
    headers = {k: v for k, v in message.extra_headers.items() if k != "Message-ID"}
    email = OutboundEmail.objects.create(
        kind="newsletters.test",
        to=to,
        subject=f"[Test] {rendered.subject}",
        body_text=message.body,
        body_html=message.alternatives[0][0],
        headers=headers,
    )
    enqueue_after_commit(outbox_send_task, email.pk)
    return email


@transaction.atomic
def newsletter_schedule(*, newsletter: Newsletter, at: datetime, by=None) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if not locked.is_editable:
        raise InvalidTransition(
            f"This newsletter is {locked.get_status_display().lower()}; it cannot be scheduled."
        )
    if at <= timezone.now():
        raise ValidationError({"scheduled_at": "Choose a time in the future, or send now."})
    if not locked.topics.exists():
        raise ValidationError({"topics": "Choose at least one topic before scheduling."})
    locked.status = Newsletter.Status.SCHEDULED
    locked.scheduled_at = at
    locked.sent_by = by
    locked.save(update_fields=["status", "scheduled_at", "sent_by", "updated_at"])
    return locked


@transaction.atomic
def newsletter_unschedule(*, newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status != Newsletter.Status.SCHEDULED:
        raise InvalidTransition("Only a scheduled newsletter can be taken back to draft.")
    locked.status = Newsletter.Status.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    return locked


_FREEZE_SQL = """
INSERT INTO newsletters_delivery (newsletter_id, subscriber_id, status, attempts, last_error)
SELECT %s, audience.subscriber_id, 'queued', 0, '' FROM ({audience}) AS audience(subscriber_id)
ORDER BY audience.subscriber_id
ON CONFLICT (newsletter_id, subscriber_id) DO NOTHING
"""
_BATCHES_SQL = """
INSERT INTO newsletters_sendbatch (newsletter_id, number, first_delivery_id, last_delivery_id, status)
SELECT %s, numbered.n, MIN(numbered.id), MAX(numbered.id), 'pending'
FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS n
      FROM newsletters_delivery WHERE newsletter_id = %s) AS numbered
GROUP BY numbered.n
"""


@transaction.atomic
def newsletter_send(*, newsletter: Newsletter, by=None) -> Newsletter:
    """Start sending now: freeze the audience as delivery rows and dispatch the first batches.

    Refused (InvalidTransition) unless the newsletter is a draft or scheduled, so pressing "send" twice
    starts one send.
    """
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status not in Newsletter.EDITABLE_STATUSES:
        raise InvalidTransition(
            f"This newsletter is {locked.get_status_display().lower()}; only a draft or a scheduled "
            "newsletter can be sent."
        )
    if not locked.topics.exists():
        raise ValidationError(
            {"topics": "Choose at least one topic: the audience is the topics' subscribers."}
        )
    rendered = rendering.newsletter_render(
        subject=locked.subject, preheader=locked.preheader, body_markdown=locked.body_markdown
    )
    locked.rendered_html, locked.rendered_text = rendered.html, rendered.text
    locked.status = Newsletter.Status.SENDING
    locked.started_at = timezone.now()
    locked.sent_by = by or locked.sent_by
    locked.save()
    audience_sql, params = selectors.newsletter_audience(newsletter=locked).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_FREEZE_SQL.format(audience=audience_sql), [locked.pk, *params])
        cursor.execute(_BATCHES_SQL, [locked.pk, settings.NEWSLETTER_BATCH_SIZE, locked.pk])
    _advance_locked(locked)
    return locked


@transaction.atomic
def newsletter_pause(*, newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status != Newsletter.Status.SENDING:
        raise InvalidTransition("Only a newsletter that is sending can be paused.")
    locked.status = Newsletter.Status.PAUSED
    locked.save(update_fields=["status", "updated_at"])
    # Running batch tasks see the pause before their next message and hand their rows back.
    locked.batches.filter(status=SendBatch.Status.DISPATCHED).update(status=SendBatch.Status.PENDING)
    return locked


@transaction.atomic
def newsletter_resume(*, newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status != Newsletter.Status.PAUSED:
        raise InvalidTransition("Only a paused newsletter can be resumed.")
    locked.status = Newsletter.Status.SENDING
    locked.save(update_fields=["status", "updated_at"])
    # Batches that had finished their range may hold rows handed back at the pause.
    _reopen_batches_with_due_rows(locked)
    _advance_locked(locked)
    return locked


@transaction.atomic
def newsletter_cancel(*, newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status not in (
        Newsletter.Status.SCHEDULED,
        Newsletter.Status.SENDING,
        Newsletter.Status.PAUSED,
    ):
        raise InvalidTransition("Only a scheduled, sending or paused newsletter can be cancelled.")
    locked.status = Newsletter.Status.CANCELLED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "finished_at", "updated_at"])
    locked.deliveries.filter(status=Delivery.Status.QUEUED).update(status=Delivery.Status.CANCELLED)
    locked.batches.exclude(status=SendBatch.Status.DONE).update(status=SendBatch.Status.DONE)
    return locked


def _reopen_batches_with_due_rows(newsletter: Newsletter) -> None:
    now = timezone.now()
    due_rows = Delivery.objects.filter(
        newsletter_id=newsletter.pk,
        status=Delivery.Status.QUEUED,
        id__gte=OuterRef("first_delivery_id"),
        id__lte=OuterRef("last_delivery_id"),
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    newsletter.batches.filter(status=SendBatch.Status.DONE).filter(Exists(due_rows)).update(
        status=SendBatch.Status.PENDING
    )


def _advance_locked(newsletter: Newsletter, *, stale_before: datetime | None = None) -> list[int]:
    """With the newsletter row locked: dispatch batches up to the window; finish when nothing is left."""
    from .tasks import enqueue_after_commit, send_batch_task

    if newsletter.status != Newsletter.Status.SENDING:
        return []
    now = timezone.now()
    batches = newsletter.batches
    to_dispatch: list[int] = []
    if stale_before is not None:
        # Dispatched but silent: the task was lost with its worker (or never reached the broker).
        stale = list(
            batches.filter(status=SendBatch.Status.DISPATCHED, heartbeat_at__lt=stale_before).values_list(
                "pk", flat=True
            )
        )
        to_dispatch += stale
        _reopen_batches_with_due_rows(newsletter)
    active = batches.filter(status=SendBatch.Status.DISPATCHED).count()
    free = max(0, settings.NEWSLETTER_PARALLEL_BATCHES - active)
    if free:
        to_dispatch += list(
            batches.filter(status=SendBatch.Status.PENDING)
            .order_by("number")
            .values_list("pk", flat=True)[:free]
        )
    if to_dispatch:
        SendBatch.objects.filter(pk__in=to_dispatch).update(
            status=SendBatch.Status.DISPATCHED, dispatched_at=now, heartbeat_at=now
        )
        for batch_id in to_dispatch:
            enqueue_after_commit(send_batch_task, batch_id)
        return to_dispatch
    in_flight = newsletter.deliveries.filter(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING])
    if not in_flight.exists():
        newsletter.status = Newsletter.Status.SENT
        newsletter.finished_at = now
        newsletter.save(update_fields=["status", "finished_at", "updated_at"])
        batches.exclude(status=SendBatch.Status.DONE).update(status=SendBatch.Status.DONE)
    return []


@transaction.atomic
def newsletter_advance(*, newsletter_id: int, stale_before: datetime | None = None) -> list[int]:
    newsletter = Newsletter.objects.select_for_update().filter(pk=newsletter_id).first()
    if newsletter is None:
        return []
    return _advance_locked(newsletter, stale_before=stale_before)


def newsletters_sweep() -> dict[str, int]:
    """Every minute: start due scheduled newsletters, take back work from dead workers, keep sends moving."""
    now = timezone.now()
    started = 0
    for newsletter in Newsletter.objects.filter(status=Newsletter.Status.SCHEDULED, scheduled_at__lte=now):
        try:
            newsletter_send(newsletter=newsletter)
            started += 1
        except (InvalidTransition, ValidationError) as exc:
            log.warning("scheduled newsletter %s not started: %s", newsletter.pk, exc)
    stale_before = now - timedelta(seconds=settings.NEWSLETTER_STALE_SECONDS)
    requeued = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale_before).update(
        status=Delivery.Status.QUEUED, claim=None
    )
    redispatched = 0
    for newsletter_id in Newsletter.objects.filter(status=Newsletter.Status.SENDING).values_list(
        "pk", flat=True
    ):
        redispatched += len(newsletter_advance(newsletter_id=newsletter_id, stale_before=stale_before))
    return {"started": started, "requeued": requeued, "dispatched": redispatched}


# --- The batch loop ------------------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class _Connection:
    """One SMTP connection for a batch, reopened after an error breaks it."""

    def __init__(self) -> None:
        from coalition.emails import smtp_connection

        self.backend = smtp_connection()
        self.opened = False

    def send(self, message) -> None:
        if not self.opened:
            self.backend.open()
            self.opened = True
        message.connection = self.backend
        self.backend.send_messages([message])

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        if self.opened:
            try:
                self.backend.close()
            finally:
                self.opened = False


def _claim(batch: SendBatch, claim: uuid.UUID) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(
                newsletter_id=batch.newsletter_id,
                id__gte=batch.first_delivery_id,
                id__lte=batch.last_delivery_id,
                status=Delivery.Status.QUEUED,
            )
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[: settings.NEWSLETTER_CLAIM_SIZE]
        )
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).update(
            status=Delivery.Status.SENDING, claimed_at=now, claim=claim, attempts=F("attempts") + 1
        )
    return list(Delivery.objects.filter(id__in=ids, claim=claim).select_related("subscriber").order_by("id"))


def _release(claim: uuid.UUID, *, status: str = Delivery.Status.QUEUED) -> int:
    return Delivery.objects.filter(claim=claim, status=Delivery.Status.SENDING).update(
        status=status, claim=None, attempts=F("attempts") - 1
    )


class _Stop(Exception):
    """The newsletter was paused or cancelled: stop after handing the claimed rows back."""


# How often (seconds) a batch re-reads what may change under it: pause/cancel, who left, whether the
# claim is still its own; and touches the claim so the sweep knows the worker is alive.
TICK_SECONDS = 0.5


class _ClaimSender:
    """Sends one claim's rows over the batch's SMTP connection.

    Rows sent are marked ``sent`` in groups of ``NEWSLETTER_MARK_EVERY`` (and at every tick): a worker
    killed mid-claim leaves at most that many sent-but-unmarked rows, which is the re-send bound.
    """

    def __init__(self, *, newsletter_id: int, claim: uuid.UUID, rows: list[Delivery], rendered, conn) -> None:
        self.newsletter_id = newsletter_id
        self.claim = claim
        self.rows = rows
        self.rendered = rendered
        self.conn = conn
        self.pending: list[int] = []
        self.sendable = {
            r.pk
            for r in rows
            if r.subscriber is not None and r.subscriber.status == Subscriber.Status.CONFIRMED
        }
        self.last_tick = time.monotonic()

    def flush(self) -> None:
        if self.pending:
            Delivery.objects.filter(id__in=self.pending, claim=self.claim).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="", claim=None
            )
            self.pending = []

    def tick(self) -> None:
        self.flush()
        self.last_tick = time.monotonic()
        status = Newsletter.objects.filter(pk=self.newsletter_id).values_list("status", flat=True).first()
        if status != Newsletter.Status.SENDING:
            raise _Stop(status or Newsletter.Status.CANCELLED)
        mine = Delivery.objects.filter(claim=self.claim, status=Delivery.Status.SENDING)
        # Still ours (the sweep did not take it back) and the person is still confirmed.
        self.sendable = set(
            mine.filter(subscriber__status=Subscriber.Status.CONFIRMED).values_list("pk", flat=True)
        )
        mine.update(claimed_at=timezone.now())

    def run(self, *, deadline: float) -> int:
        sent = 0
        for delivery in self.rows:
            if time.monotonic() - self.last_tick >= TICK_SECONDS:
                self.tick()
            if time.monotonic() > deadline:
                break
            if delivery.pk not in self.sendable:
                Delivery.objects.filter(
                    pk=delivery.pk, claim=self.claim, status=Delivery.Status.SENDING
                ).update(
                    status=Delivery.Status.SKIPPED,
                    claim=None,
                    last_error="Not a confirmed subscriber when the message was due.",
                )
                continue
            sent += self.send(delivery)
        self.flush()
        return sent

    def send(self, delivery: Delivery) -> bool:
        subscriber = delivery.subscriber
        try:
            message = rendering.newsletter_message(
                rendered=self.rendered,
                name=subscriber.name,
                email=subscriber.email,
                key=subscriber.key,
                newsletter_id=delivery.newsletter_id,
                delivery_id=delivery.pk,
            )
        except ValueError as exc:
            self.failed(delivery, error=repr(exc), permanent=True)
            return False
        rate_wait()
        try:
            self.conn.send(message)
        except ValueError as exc:
            # BadHeaderError and kin (Django builds the MIME message only when sending): this row can never
            # be sent, so it fails alone and the batch goes on.
            self.failed(delivery, error=repr(exc), permanent=True)
            return False
        except smtplib.SMTPRecipientsRefused as exc:
            self.failed(delivery, error=repr(exc), permanent=True)
            return False
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            if not permanent:
                self.conn.reset()
            self.failed(delivery, error=repr(exc), permanent=permanent)
            return False
        except (OSError, smtplib.SMTPException) as exc:
            self.conn.reset()
            self.failed(delivery, error=repr(exc), permanent=False)
            return False
        self.pending.append(delivery.pk)
        if len(self.pending) >= settings.NEWSLETTER_MARK_EVERY:
            self.flush()
        return True

    def failed(self, delivery: Delivery, *, error: str, permanent: bool) -> None:
        self.flush()
        attempts = Delivery.objects.filter(pk=delivery.pk).values_list("attempts", flat=True).first() or 1
        log.warning("delivery %s failed (attempt %s): %s", delivery.pk, attempts, error)
        if permanent or attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
            Delivery.objects.filter(pk=delivery.pk, claim=self.claim).update(
                status=Delivery.Status.FAILED, last_error=error[:2000], claim=None
            )
        else:
            Delivery.objects.filter(pk=delivery.pk, claim=self.claim).update(
                status=Delivery.Status.QUEUED,
                next_attempt_at=timezone.now() + _backoff(attempts),
                last_error=error[:2000],
                claim=None,
            )


def send_batch_run(*, batch_id: int) -> int:
    """Send one batch's due deliveries over one SMTP connection. Safe to run twice at once.

    Returns the number of messages this run sent.
    """
    from .tasks import enqueue, send_batch_task

    batch = SendBatch.objects.select_related("newsletter").filter(pk=batch_id).first()
    if batch is None or batch.status != SendBatch.Status.DISPATCHED:
        return 0
    newsletter = batch.newsletter
    if newsletter.status != Newsletter.Status.SENDING:
        return 0
    rendered = newsletter_rendered(newsletter=newsletter)
    conn = _Connection()
    deadline = time.monotonic() + BATCH_TIME_BUDGET_SECONDS
    sent = 0
    try:
        while True:
            SendBatch.objects.filter(pk=batch_id).update(heartbeat_at=timezone.now())
            claim = uuid.uuid4()
            rows = _claim(batch, claim)
            if not rows:
                break
            sender = _ClaimSender(
                newsletter_id=newsletter.pk, claim=claim, rows=rows, rendered=rendered, conn=conn
            )
            try:
                sent += sender.run(deadline=deadline)
            except _Stop as stop:
                sender.flush()
                cancelled = str(stop) == Newsletter.Status.CANCELLED
                _release(claim, status=Delivery.Status.CANCELLED if cancelled else Delivery.Status.QUEUED)
                return sent
            except BaseException:
                # Anything unexpected (a soft time limit, a database error): keep what was sent, hand the
                # rest back now rather than wait for the sweep.
                sender.flush()
                _release(claim)
                raise
            if time.monotonic() > deadline:
                # Hand over to a fresh task rather than run into the task time limit.
                _release(claim)
                enqueue(send_batch_task, batch_id)
                return sent
    finally:
        conn.close()
    SendBatch.objects.filter(pk=batch_id, status=SendBatch.Status.DISPATCHED).update(
        status=SendBatch.Status.DONE, heartbeat_at=timezone.now()
    )
    newsletter_advance(newsletter_id=newsletter.pk)
    return sent


# --- Progress updates ------------------------------------------------------------------------------------


def previous_month(today: date) -> tuple[date, date]:
    first_this = today.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return last_prev.replace(day=1), first_this


@transaction.atomic
def progress_update_draft(*, start: date, end: date, by=None) -> Newsletter:
    """Draft the "progress update" for [start, end) from what happened; never sends it.

    One draft per period: running it again returns the existing newsletter unchanged.
    """
    existing = Newsletter.objects.filter(kind=Newsletter.Kind.PROGRESS_UPDATE, period_start=start).first()
    if existing:
        return existing
    items = selectors.progress_items(start=start, end=end)
    body = selectors.progress_markdown(start=start, end=end, items=items)
    topics = list(Topic.objects.filter(slug="progress-updates")) or list(Topic.objects.filter(default=True))
    label = (
        f"{start:%B %Y}" if (end - start).days <= 31 and start.day == 1 else f"{start:%d %b} – {end:%d %b %Y}"
    )
    try:
        with transaction.atomic():
            newsletter = newsletter_create(
                by=by,
                topics=topics,
                kind=Newsletter.Kind.PROGRESS_UPDATE,
                subject=f"{settings.COALITION_SHORT_NAME} progress update: {label}",
                preheader=selectors.progress_preheader(items=items),
                body_markdown=body,
                period_start=start,
                period_end=end,
            )
    except (IntegrityError, ValidationError):
        # Drafted at the same moment by another run.
        return Newsletter.objects.get(kind=Newsletter.Kind.PROGRESS_UPDATE, period_start=start)
    return newsletter


# --- Hooks -----------------------------------------------------------------------------------------------


def on_enquiry_submitted(*, enquiry, **_: Any) -> None:
    """An applicant who ticked "send me updates" starts a pending subscription (double opt-in as usual).

    A resubmitted enquiry does not send a second confirmation while the first link still works.
    """
    if not getattr(enquiry, "wants_updates", False) or not enquiry.email:
        return
    recent = timezone.now() - timedelta(days=settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS)
    if ConsentRecord.objects.filter(
        subscriber__email=enquiry.email.strip().lower(),
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
    )


@transaction.atomic
def on_enquiry_approved(*, enquiry, **_: Any) -> None:
    """Link the applicant's subscription to the contact the approval created, so audiences narrowed by
    organisation kind or country include them."""
    if not enquiry.email or not getattr(enquiry, "contact_id", None):
        return
    Subscriber.objects.filter(email=enquiry.email.strip().lower(), contact__isnull=True).update(
        contact_id=enquiry.contact_id
    )


def register_hooks() -> None:
    from .search import subscriber_search_hits

    hooks.register("search", subscriber_search_hits)
    hooks.register("enquiry_submitted", on_enquiry_submitted)
    hooks.register("enquiry_approved", on_enquiry_approved)
    hooks.register("contacts_merged", subscribers_follow_contact)
