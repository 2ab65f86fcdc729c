"""The batch loop: claim queued delivery rows, send them under the rate limit, mark them."""

import collections
import contextlib
import logging
import queue
import re
import smtplib
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone, translation

from coalition.exceptions import InvalidTransition
from coalition.queueing import enqueue_in
from coalition.smtp import (
    SMTP_ERRORS,
    SmtpFailure,
    is_hard_bounce,
    retry_backoff,
    smtp_classify,
    smtp_data_end_reply,
    smtp_drop,
    smtp_open,
)
from newsletters.models import (
    BounceEvent,
    Delivery,
    Newsletter,
    SendBatch,
    Subscriber,
)
from newsletters.sending import rendering
from newsletters.sending.ratelimit import rate_wait
from newsletters.sending.services import (
    SEND_BATCH_TASK,
    batch_dispatch,
    newsletter_advance,
    newsletter_pause_refused,
)
from newsletters.services import newsletter_rendered_versions
from newsletters.subscriptions.services import bounce_record

log = logging.getLogger(__name__)

# A batch task hands over to a fresh task after this long, well inside the task time limit.
BATCH_TIME_BUDGET_SECONDS = 240


# --- The batch loop ------------------------------------------------------------------------------------


_PLAIN_ADDRESS = re.compile(r"[^\s\"<>()\[\],;:\\@]+@[^\s\"<>()\[\],;:\\@]+")


def _envelope_address(address: str) -> str:
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


def _after_refusal(smtp: smtplib.SMTP, code: int) -> None:
    # As smtplib does: 421 means the server is closing the channel; otherwise reset the transaction.
    if code == 421:
        smtp.close()
    else:
        smtp._rset()


def _sendmail(smtp: smtplib.SMTP, message: rendering.RawMessage) -> None:
    """``smtplib.SMTP.sendmail`` for the skeleton's bytes (CRLF line ends throughout): the same commands,
    the same replies read, the same exceptions raised and the same RSET/close after a refusal, without
    parsing plain addresses again and with the body dot-stuffed by one bytes replace instead of a regular
    expression over the whole message (those were a tenth of the worker's time per message)."""
    smtp.ehlo_or_helo_if_needed()
    size = f" size={len(message.data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    smtp.putcmd("mail", f"FROM:{_envelope_address(message.from_email)}{size}")
    code, reply = smtp.getreply()
    if code != 250:
        _after_refusal(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, message.from_email)
    refused = {}
    for recipient in message.recipients:
        smtp.putcmd("rcpt", f"TO:{_envelope_address(recipient)}")
        code, reply = smtp.getreply()
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(message.recipients):
        smtp._rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        # Refused before the message (throttling, a policy): the transaction is reset too, or the next
        # recipient's MAIL on this connection would meet "503 nested MAIL command".
        _after_refusal(smtp, code)
        raise smtplib.SMTPDataError(code, reply)
    # A line starting with a dot gets a second one (RFC 5321 4.5.2); the message ends with CRLF.
    smtp.send(message.data.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    # Servers scan the message before they answer: its reply gets SMTP_DATA_END_TIMEOUT, and a connection
    # lost before it is an attempt that counts (SMTPReplyLost), never a resend at once.
    code, reply = smtp_data_end_reply(smtp)
    if code != 250:
        _after_refusal(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


class _Connection:
    """One SMTP connection, reopened after an error breaks it (``reset``).

    A ``RawMessage`` (the skeleton's bytes) goes straight to ``smtplib``'s ``sendmail`` over the Django
    SMTP backend's connection (its host, port, TLS, login and timeout); an ``EmailMessage`` (other
    backends: the console, files, the test outbox) goes through the backend as usual.
    """

    def __init__(self) -> None:
        from coalition.outbox.rendering import smtp_connection

        self.backend = smtp_connection()
        self.opened = False

    def send(self, message) -> None:
        if isinstance(message, rendering.RawMessage):
            if self.backend.connection is None:
                raise smtplib.SMTPServerDisconnected("The connection is closed.")
            _sendmail(self.backend.connection, message)
            return
        message.connection = self.backend
        self.backend.send_messages([message])

    def try_send(self, message) -> SmtpFailure | None:
        """Send, and on a broken connection reconnect and try once more at once; the verdict."""
        failure = self._try_send_once(message)
        if failure is not None and failure.connection_lost:
            # The connection broke (421, dropped, reset): reconnect and try the message again at once.
            failure = self._try_send_once(message)
        return failure

    def _try_send_once(self, message) -> SmtpFailure | None:
        if not self.opened:
            # A refusal while opening (the greeting, STARTTLS, the login) is the server's, never the
            # recipient's; and the half-open connection it leaves is dropped, never used.
            failure = smtp_open(self.backend)
            if failure is not None:
                return failure
            self.opened = True
        try:
            self.send(message)
        except SMTP_ERRORS as exc:
            failure = smtp_classify(exc)
            if failure.reconnect:
                self.reset()
            return failure
        return None

    def reset(self) -> None:
        """Drop the connection, whatever state it is in; the next message opens a fresh one."""
        smtp_drop(self.backend)
        self.opened = False

    def close(self) -> None:
        if self.opened:
            try:
                self.backend.close()
            finally:
                self.opened = False

    def close_quietly(self) -> None:
        self.reset()


class _Connections:
    """The SMTP connections of one batch run: ``NEWSLETTER_SMTP_CONNECTIONS`` persistent connections,
    each used by one thread, so several messages' round trips overlap; the caller keeps the rows and
    every database write in its own thread.

    With a backend that is not SMTP (the console, files, the test outbox) there is one connection and
    ``submit`` sends at once in the caller's thread.
    """

    def __init__(self, size: int | None = None) -> None:
        from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

        first = _Connection()
        self.raw = isinstance(first.backend, SmtpBackend)
        self.size = max(1, size or settings.NEWSLETTER_SMTP_CONNECTIONS) if self.raw else 1
        self.all = [first, *(_Connection() for _ in range(self.size - 1))]
        self.idle: queue.SimpleQueue[_Connection] = queue.SimpleQueue()
        for conn in self.all:
            self.idle.put(conn)
        self.pool = (
            ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="newsletter-smtp")
            if self.size > 1
            else None
        )

    def _send(self, message) -> SmtpFailure | None:
        conn = self.idle.get()
        try:
            return conn.try_send(message)
        finally:
            self.idle.put(conn)

    def submit(self, message) -> Future:
        if self.pool is not None:
            return self.pool.submit(self._send, message)
        done: Future = Future()
        try:
            done.set_result(self._send(message))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future, like a thread's
            done.set_exception(exc)
        return done

    def close_quietly(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        for conn in self.all:
            conn.close_quietly()


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


class _ServerDown(Exception):
    """The SMTP server cannot be reached even on a fresh connection: hand the claim back, retry later."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(retry_in)
        self.retry_in = retry_in


# Claims this process could not settle because the database failed mid-batch: (claim, ids sent but not
# yet marked). Settled on the next successful connection (``_settle_unsettled``), so the rows do not
# wait for the stale-claim sweep, and the messages already sent are not sent again.
_UNSETTLED: list[tuple[uuid.UUID, list[int], str]] = []


def _settle(claim: uuid.UUID, sent_ids: list[int], status: str = Delivery.Status.QUEUED) -> None:
    with transaction.atomic():
        if sent_ids:
            Delivery.objects.filter(id__in=sent_ids, claim=claim, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="", claim=None
            )
        _release(claim, status=status)


def _settle_unsettled() -> None:
    while _UNSETTLED:
        claim, sent_ids, status = _UNSETTLED[0]
        _settle(claim, sent_ids, status)
        _UNSETTLED.pop(0)


def _settle_or_remember(claim: uuid.UUID, sent_ids: list[int], status: str = Delivery.Status.QUEUED) -> None:
    """Mark what was sent and hand the rest of the claim back; if the database fails, remember it."""
    try:
        _settle(claim, sent_ids, status)
    except Exception:  # noqa: BLE001 - the database is what failed; settle on the next connection
        log.warning("could not release claim %s now; it is settled on the next connection", claim)
        _UNSETTLED.append((claim, list(sent_ids), status))


# How often (seconds) a batch re-reads what may change under it: pause/cancel, who left, whether the
# claim is still its own; and touches the claim so the sweep knows the worker is alive.
TICK_SECONDS = 0.5


class _ClaimSender:
    """Sends one claim's rows over the batch's SMTP connections.

    Messages are built here and handed to the connections' threads; their verdicts are read back in the
    order sent, and every database write happens in this thread. Rows sent are marked ``sent`` with one
    UPDATE per group: the rows sent but not yet marked plus the messages in flight never exceed
    ``NEWSLETTER_MARK_EVERY`` (and everything is marked at every tick), so a worker killed mid-claim
    re-sends at most that many, never more than its claim.
    """

    def __init__(self, *, newsletter_id: int, claim: uuid.UUID, rows: list[Delivery], rendered, conn) -> None:
        self.newsletter_id = newsletter_id
        self.claim = claim
        self.rows = rows
        # One rendered version per language ({"en": …, "fr": …}); a single one serves as the default.
        self.rendered = rendered if isinstance(rendered, dict) else {rendering.DEFAULT_LANGUAGE: rendered}
        self.conn = conn
        # One message skeleton per version, built in its language (raw SMTP connections only).
        self.skeletons = {}
        if self.conn.raw:
            for language, version in self.rendered.items():
                with translation.override(language):
                    self.skeletons[language] = rendering.message_skeleton(
                        rendered=version, newsletter_id=newsletter_id, version=language
                    )
        self.pending: list[int] = []
        self.in_flight: collections.deque[tuple[Delivery, Future]] = collections.deque()
        self.sendable = {
            r.pk
            for r in rows
            if r.subscriber is not None and r.subscriber.status == Subscriber.Status.CONFIRMED
        }
        self.last_tick = time.monotonic()
        # The rows that met the same refusal one after another, and that refusal (``_refusal_key``).
        self.streak: list[int] = []
        self.streak_key: str | None = None

    def flush(self) -> None:
        if self.pending:
            Delivery.objects.filter(id__in=self.pending, claim=self.claim).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="", claim=None
            )
            self.pending = []

    def settle(self, status: str = Delivery.Status.QUEUED) -> None:
        """On the way out: mark what was sent, hand the rest back as ``status``; never raises (a claim
        the database refuses is kept in ``_UNSETTLED``)."""
        pending, self.pending = self.pending, []
        _settle_or_remember(self.claim, pending, status)

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
        try:
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
            while self.in_flight:
                sent += self._collect()
        except BaseException:
            # Stopping (pause, cancel, the server down, an error): wait for what is in flight, keep what
            # the server accepted for marking; the rest of the claim is handed back by ``settle``.
            self._drain()
            raise
        self.flush()
        return sent

    def send(self, delivery: Delivery) -> int:
        """Build the message and hand it to a connection; returns how many earlier messages were
        confirmed sent meanwhile."""
        try:
            message = self._message(delivery)
        except ValueError as exc:
            # A value that cannot go into a header (CR/LF injected around the forms): this row alone fails.
            self.failed(delivery, failure=smtp_classify(exc))
            return 0
        confirmed = self._make_room()
        rate_wait()
        self.in_flight.append((delivery, self.conn.submit(message)))
        return confirmed

    def _message(self, delivery: Delivery):
        subscriber = delivery.subscriber
        # The version recorded on the row when sending started; its links in the same language.
        language = delivery.language if delivery.language in self.rendered else rendering.DEFAULT_LANGUAGE
        with translation.override(language):
            if self.skeletons:
                return self.skeletons[language].message(
                    name=subscriber.name, email=subscriber.email, key=subscriber.key, delivery_id=delivery.pk
                )
            return rendering.newsletter_message(
                rendered=self.rendered[language],
                name=subscriber.name,
                email=subscriber.email,
                key=subscriber.key,
                newsletter_id=delivery.newsletter_id,
                delivery_id=delivery.pk,
            )

    def _make_room(self) -> int:
        """Wait until one more message may go out: fewer than the connections in flight, and sent-but-
        unmarked plus in flight below ``NEWSLETTER_MARK_EVERY`` (the re-send bound)."""
        limit = max(1, settings.NEWSLETTER_MARK_EVERY)
        confirmed = 0
        while True:
            if len(self.in_flight) >= self.conn.size:
                confirmed += self._collect()
            elif len(self.pending) + len(self.in_flight) >= limit:
                if self.pending:
                    self.flush()
                else:
                    confirmed += self._collect()
            else:
                return confirmed

    def _collect(self) -> int:
        """Read the verdict of the oldest message in flight; 1 if it was sent."""
        delivery, future = self.in_flight.popleft()
        failure = future.result()
        if failure is None:
            self.streak, self.streak_key = [], None
            self.pending.append(delivery.pk)
            if len(self.pending) >= settings.NEWSLETTER_MARK_EVERY:
                self.flush()
            return 1
        if failure.connection_lost or failure.server_fault:
            # Not even a fresh connection works, or the server refuses our session (its greeting, our
            # login, our sender): the server or the settings, not this recipient. The row is handed back
            # untouched with the claim (its attempt not counted, so an outage fails nobody), saying why:
            # every row of the claim not yet sent records the reason and when it is tried again, so
            # staff see what the send waits for.
            log.warning("sending newsletter %s paused: %s", self.newsletter_id, failure.reason)
            retry_in = retry_backoff(max(1, delivery.attempts))
            Delivery.objects.filter(claim=self.claim, status=Delivery.Status.SENDING).exclude(
                pk__in=self.pending
            ).update(last_error=failure.reason[:2000], next_attempt_at=timezone.now() + retry_in)
            raise _ServerDown(retry_in.total_seconds())
        self.failed(delivery, failure=failure)
        return 0

    def _drain(self) -> None:
        """Wait for every message in flight; those the server accepted are marked with the claim."""
        while self.in_flight:
            delivery, future = self.in_flight.popleft()
            try:
                if future.result() is None:
                    self.pending.append(delivery.pk)
            except Exception:  # noqa: BLE001 - an unexpected error in flight: the row is handed back
                log.warning("sending delivery %s failed unexpectedly", delivery.pk, exc_info=True)

    def failed(self, delivery: Delivery, *, failure: SmtpFailure) -> int:
        """Retry later (transient, until NEWSLETTER_MAX_ATTEMPTS) or fail (permanent); returns the
        attempts made so far."""
        self.flush()
        address = delivery.subscriber.email
        kind, reason = failure.kind_for(address), failure.reason_for(address)
        attempts = Delivery.objects.filter(pk=delivery.pk).values_list("attempts", flat=True).first() or 1
        log.warning("delivery %s failed (attempt %s, %s): %s", delivery.pk, attempts, kind, reason)
        if kind == "permanent" or attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
            Delivery.objects.filter(pk=delivery.pk, claim=self.claim).update(
                status=Delivery.Status.FAILED, last_error=reason[:2000], claim=None
            )
            if is_hard_bounce(failure, address, sole_recipient=True):
                # The server said at once that the mailbox does not exist: what a provider's bounce report
                # says later, recorded the same way (the address is suppressed from further sending).
                bounce_record(
                    email=address,
                    kind=BounceEvent.Kind.HARD_BOUNCE,
                    provider="smtp",
                    event_id=f"smtp:delivery:{delivery.pk}",
                    description=reason,
                )
        else:
            Delivery.objects.filter(pk=delivery.pk, claim=self.claim).update(
                status=Delivery.Status.QUEUED,
                next_attempt_at=timezone.now() + retry_backoff(attempts),
                last_error=reason[:2000],
                claim=None,
            )
        self._same_refusal(delivery, failure=failure, kind=kind, reason=reason)
        return attempts

    def _same_refusal(self, delivery: Delivery, *, failure: SmtpFailure, kind: str, reason: str) -> None:
        """Trip when ``NEWSLETTER_SAME_REFUSAL_LIMIT`` messages in a row meet the same refusal that is not
        about their mailbox: a blocklist, a quota, throttling, a policy on our message. That is the server
        speaking of us, not of the recipients, and would fail everyone in turn. The rows of the run are
        put back as they were (their attempts not counted); a temporary refusal waits like an outage, a
        permanent one pauses the newsletter for staff to look at, saying why on every row."""
        key = _refusal_key(failure, delivery.subscriber.email, kind=kind, reason=reason)
        if key is None:
            self.streak, self.streak_key = [], None
            return
        if key != self.streak_key:
            self.streak, self.streak_key = [], key
        self.streak.append(delivery.pk)
        if len(self.streak) < max(2, settings.NEWSLETTER_SAME_REFUSAL_LIMIT):
            return
        retry_in = retry_backoff(1)
        Delivery.objects.filter(
            pk__in=self.streak, status__in=[Delivery.Status.FAILED, Delivery.Status.QUEUED]
        ).update(
            status=Delivery.Status.QUEUED,
            attempts=F("attempts") - 1,
            next_attempt_at=timezone.now() + retry_in,
            last_error=reason[:2000],
        )
        count, self.streak, self.streak_key = len(self.streak), [], None
        if kind != "permanent":
            log.warning(
                "sending newsletter %s waits: %s refusals in a row: %s", self.newsletter_id, count, reason
            )
            raise _ServerDown(retry_in.total_seconds())
        log.warning(
            "newsletter %s paused: %s messages in a row refused: %s", self.newsletter_id, count, reason
        )
        with contextlib.suppress(InvalidTransition):  # staff paused or cancelled it meanwhile
            newsletter_pause_refused(
                newsletter=Newsletter.objects.get(pk=self.newsletter_id), reason=reason, count=count
            )
        raise _Stop(Newsletter.Status.PAUSED)


# An enhanced status about the recipient's address or mailbox (RFC 3463: X.1.X, X.2.X): particular to it.
_RECIPIENT_STATUS = re.compile(r"\s*\d{3}[\s-]+[45]\.[12]\.\d{1,3}")
_BRACKETED_OR_ADDRESS = re.compile(r"<[^>]*>|[^\s<>]+@[^\s<>]+")


def _refusal_key(failure: SmtpFailure, address: str, *, kind: str, reason: str) -> str | None:
    """The server's refusal with what is particular to the recipient taken out, when it is one every
    message may meet (a policy, a quota, a blocklist, throttling); None when it is about this recipient's
    mailbox, or not a server's reply at all."""
    if failure.connection_lost or failure.server_fault or not re.match(r"\s*[45]\d\d\b", reason):
        return None
    if _RECIPIENT_STATUS.match(reason) or is_hard_bounce(failure, address, sole_recipient=True):
        return None
    text = _BRACKETED_OR_ADDRESS.sub(" ", reason.replace(address, " "))
    return f"{kind} {' '.join(text.lower().split())}"


def _next_retry_in(batch: SendBatch) -> float | None:
    """Seconds until the batch's first row waiting for a retry is due; None if none is waiting."""
    rows = Delivery.objects.filter(
        newsletter_id=batch.newsletter_id,
        id__gte=batch.first_delivery_id,
        id__lte=batch.last_delivery_id,
        status=Delivery.Status.QUEUED,
    )
    if rows.filter(next_attempt_at__isnull=True).exists():
        return 0.0  # handed back without a backoff (by a run that stopped early): due now
    due = rows.aggregate(due=Min("next_attempt_at"))["due"]
    if due is None:
        return None
    return max(0.0, (due - timezone.now()).total_seconds())


def _retry_later(batch_id: int, seconds: float) -> None:
    """Keep the batch dispatched and run it again when its next retry is due.

    The wait is capped well inside NEWSLETTER_STALE_SECONDS, so the sweep never takes a batch that is only
    waiting for its backoff for one whose worker died.
    """
    seconds = min(max(0.5, seconds), max(1.0, settings.NEWSLETTER_STALE_SECONDS / 2))
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run inline (no broker, the embedded default): queueing the retry would run it now, before
        # it is due. No task holds the batch, so its heartbeat is dated to turn stale when the retry is
        # due: the sweep (every minute, on the scheduler) dispatches it again then, not
        # NEWSLETTER_STALE_SECONDS later.
        stale_at = timezone.now() + timedelta(seconds=seconds - settings.NEWSLETTER_STALE_SECONDS)
        SendBatch.objects.filter(pk=batch_id).update(heartbeat_at=stale_at)
        return
    SendBatch.objects.filter(pk=batch_id).update(heartbeat_at=timezone.now())
    enqueue_in(seconds, SEND_BATCH_TASK, batch_id)


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
    _settle_unsettled()
    rendered = newsletter_rendered_versions(newsletter=newsletter)
    conn = _Connections()
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
                cancelled = str(stop) == Newsletter.Status.CANCELLED
                sender.settle(Delivery.Status.CANCELLED if cancelled else Delivery.Status.QUEUED)
                return sent
            except _ServerDown as down:
                sender.settle()
                _retry_later(batch_id, down.retry_in)
                return sent
            except BaseException:
                # Anything unexpected (a soft time limit, a database error): keep what was sent, hand the
                # rest back now rather than wait for the sweep; if the database is what failed, the claim
                # is settled on this process's next successful connection.
                sender.settle()
                raise
            if time.monotonic() > deadline:
                # Hand over to a fresh task rather than run into the task time limit.
                _release(claim)
                batch_dispatch(batch_id=batch_id)
                return sent
    finally:
        conn.close_quietly()
    retry_in = _next_retry_in(batch)
    if retry_in is not None:
        # Rows of this range wait for a retry after a temporary refusal: come back when the first is due.
        _retry_later(batch_id, retry_in)
        return sent
    SendBatch.objects.filter(pk=batch_id, status=SendBatch.Status.DISPATCHED).update(
        status=SendBatch.Status.DONE, heartbeat_at=timezone.now()
    )
    newsletter_advance(newsletter_id=newsletter.pk)
    return sent
