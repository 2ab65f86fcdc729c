"""The batch loop: claim queued delivery rows, send them under the rate limit, mark them."""

import logging
import smtplib
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from coalition.queueing import enqueue
from newsletters.models import (
    Delivery,
    Newsletter,
    SendBatch,
    Subscriber,
)
from newsletters.sending import rendering
from newsletters.sending.ratelimit import rate_wait
from newsletters.sending.services import SEND_BATCH_TASK, newsletter_advance
from newsletters.services import newsletter_rendered

log = logging.getLogger(__name__)

# A batch task hands over to a fresh task after this long, well inside the task time limit.
BATCH_TIME_BUDGET_SECONDS = 240


# --- The batch loop ------------------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class _Connection:
    """One SMTP connection for a batch, reopened after an error breaks it."""

    def __init__(self) -> None:
        from coalition.outbox.rendering import smtp_connection

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
                enqueue(SEND_BATCH_TASK, batch_id)
                return sent
    finally:
        conn.close()
    SendBatch.objects.filter(pk=batch_id, status=SendBatch.Status.DISPATCHED).update(
        status=SendBatch.Status.DONE, heartbeat_at=timezone.now()
    )
    newsletter_advance(newsletter_id=newsletter.pk)
    return sent
