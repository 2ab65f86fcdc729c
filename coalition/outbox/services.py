"""Writes for the shared outbox."""

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from coalition.models import OutboundEmail
from coalition.outbox.rendering import email_render, outbound_message, smtp_connection
from coalition.queueing import enqueue_after_commit, enqueue_in
from coalition.smtp import SMTP_ERRORS, SmtpFailure, retry_backoff, smtp_classify, smtp_drop, smtp_open

log = logging.getLogger(__name__)

# The registered name of ``coalition.outbox.tasks.outbox_send_task`` (kept from before the outbox package).
SEND_TASK = "coalition.tasks.outbox_send_task"

MAX_ATTEMPTS = 8
# A claim older than this belongs to a worker that died mid-send; the email is tried again
# (at most the messages in flight at the crash can be sent twice).
STALE_CLAIM = timedelta(minutes=15)


def email_queue(
    *,
    kind: str,
    to: str,
    template: str,
    context: dict[str, Any],
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, str]] | None = None,
    reply_to: str = "",
    language: str | None = None,
) -> OutboundEmail:
    """Record an email to send once the current transaction commits.

    With a ``dedupe_key`` a second call for the same key returns the first row and queues nothing, so
    "send the welcome once" holds even if the calling service runs twice. ``language`` is the
    recipient's preferred language (English when empty); links in ``context`` must already be in it
    (``coalition.i18n.public_url``).
    """
    if dedupe_key:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    rendered = email_render(template=template, context=context, language=language)
    return email_queue_rendered(
        kind=kind,
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        dedupe_key=dedupe_key,
        headers=headers,
        attachments=attachments,
        reply_to=reply_to,
    )


def email_queue_rendered(
    *,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, str]] | None = None,
    reply_to: str = "",
) -> OutboundEmail:
    """Record an already rendered email and send it after commit (``email_queue`` renders templates)."""
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                kind=kind,
                to=to,
                reply_to=reply_to,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=headers or {},
                attachments=attachments or [],
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        # A concurrent call with the same key won the race.
        return OutboundEmail.objects.get(dedupe_key=dedupe_key)
    enqueue_after_commit(SEND_TASK, email.pk)
    return email


def _due(now) -> Q:
    """Pending and not waiting for a retry: the one definition the claim and the sweep share."""
    return Q(status=OutboundEmail.Status.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def outbox_claim(*, email_id: int) -> OutboundEmail | None:
    """Atomically move one due email to ``sending``; None if another worker has it or it is done."""
    now = timezone.now()
    claimed = OutboundEmail.objects.filter(_due(now), pk=email_id).update(
        status=OutboundEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return OutboundEmail.objects.get(pk=email_id)


def outbox_send(*, email_id: int, connection=None) -> bool:
    """Send one outbox email if it is due. Returns True if this call sent it."""
    sent, _failure = _outbox_send(email_id=email_id, connection=connection)
    return sent


def _outbox_send(*, email_id: int, connection=None) -> tuple[bool, SmtpFailure | None]:
    """``outbox_send``, with the failure if the email was due and could not be sent."""
    email = outbox_claim(email_id=email_id)
    if email is None:
        return False, None
    failure = _try_send(email, connection=connection)
    if failure is not None and failure.connection_lost:
        # The connection broke (421, dropped): reconnect and try once more before backing off.
        failure = _try_send(email, connection=None)
    if failure is not None:
        _outbox_fail(email, failure=failure)
        return False, failure
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True, None


def _try_send(email: OutboundEmail, *, connection) -> SmtpFailure | None:
    """Send over ``connection`` (a shared one, kept open), or over a connection of its own, closed after.

    The connection is opened first, apart: a refusal while opening (the greeting, STARTTLS, the login) is
    the server's or the settings', and the half-open connection it leaves is dropped, never used."""
    backend = connection if connection is not None else smtp_connection()
    failure = smtp_open(backend)
    if failure is not None:
        return failure
    try:
        outbound_message(email, connection=backend).send()
    except SMTP_ERRORS as exc:
        failure = smtp_classify(exc)
        if failure.reconnect and connection is not None:
            smtp_drop(connection)  # a connection of its own is dropped below anyway
        return failure
    finally:
        if connection is None:
            smtp_drop(backend)
    return None


def _outbox_fail(email: OutboundEmail, *, failure: SmtpFailure) -> None:
    if failure.opening or failure.server_fault:
        # The server is down or refuses our session: not this email's fault. Its attempt is not counted,
        # so an outage of any length fails nobody; the sweep tries it again once the backoff is over
        # (and stops at the first email that meets the same fault). A connection lost *while sending*
        # still counts: the server may have taken the message before it went quiet, and an uncounted
        # attempt would send it again every minute.
        reason = failure.reason[:2000]
        log.warning("email %s to %s waits: %s", email.pk, email.to, reason)
        OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.SENDING).update(
            status=OutboundEmail.Status.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=timezone.now() + retry_backoff(max(1, email.attempts - 1)),
            last_error=reason,
        )
        return
    kind, reason = failure.kind_for(email.to), failure.reason_for(email.to)
    log.warning(
        "email %s to %s failed (attempt %s, %s): %s", email.pk, email.to, email.attempts, kind, reason
    )
    if kind == "permanent" or email.attempts >= MAX_ATTEMPTS:
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=OutboundEmail.Status.FAILED, last_error=reason
        )
        return
    delay = retry_backoff(email.attempts)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.PENDING, next_attempt_at=timezone.now() + delay, last_error=reason
    )
    # Come back when the backoff ends (the minutely sweep would too; this does not wait for it).
    enqueue_in(delay.total_seconds(), SEND_TASK, email.pk)


@transaction.atomic
def outbox_release_stale_claims() -> int:
    cutoff = timezone.now() - STALE_CLAIM
    return OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING, claimed_at__lt=cutoff).update(
        status=OutboundEmail.Status.PENDING, next_attempt_at=None
    )


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    return list(
        OutboundEmail.objects.filter(_due(timezone.now()))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def outbox_resend(*, email_ids: list[int]) -> int:
    """Give failed emails a fresh round of attempts and queue them after commit.

    Only emails that are ``failed`` now are touched (a conditional update), so pressing "send again"
    twice, or on an email that is pending or was sent meanwhile, queues nothing more. Returns how many
    emails were queued.
    """
    failed = list(
        OutboundEmail.objects.select_for_update()
        .filter(pk__in=email_ids, status=OutboundEmail.Status.FAILED)
        .values_list("pk", flat=True)
    )
    OutboundEmail.objects.filter(pk__in=failed).update(
        status=OutboundEmail.Status.PENDING, attempts=0, next_attempt_at=None, claimed_at=None
    )
    for email_id in failed:
        enqueue_after_commit(SEND_TASK, email_id)
    return len(failed)


def outbox_sweep() -> int:
    """Release stale claims, then send every due email inline; returns how many were sent.

    When the server is down or refuses our session (an email's connection failed even when reopened, or
    our login or sender was refused), the sweep stops there: every further email would wait out the same
    timeouts and meet the same fault. They stay due for the next sweep."""
    outbox_release_stale_claims()
    sent = 0
    for email_id in outbox_due_ids():
        done, failure = _outbox_send(email_id=email_id)
        sent += done
        if failure is not None and (failure.connection_lost or failure.server_fault):
            log.warning("outbox sweep stopped after email %s: %s", email_id, failure.reason)
            break
    return sent
