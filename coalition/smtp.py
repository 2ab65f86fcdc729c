"""What an SMTP failure means: one classifier for every sender (the outbox and the newsletter batches).

smtplib reports failures in several shapes: ``SMTPRecipientsRefused`` whenever *every* recipient of a
message is refused, whatever the codes (451 "try again later" as much as 550 "no such user");
``SMTPSenderRefused``/``SMTPDataError`` with one code; ``SMTPServerDisconnected`` or an ``OSError`` when
the connection breaks. What a sender needs to know is simpler:

- per recipient, is the refusal **transient** (4xx, a lost connection: try again later, with backoff)
  or **permanent** (5xx: the address or the message is refused; retrying will not help), and why;
- whether the **connection** is still usable, or must be reopened before the next message (after a
  421, smtplib has already closed the socket; sending on it fails with "please run connect() first").
"""

import logging
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as DjangoSmtpBackend

log = logging.getLogger(__name__)

TRANSIENT = "transient"
PERMANENT = "permanent"


@dataclass(frozen=True)
class SmtpFailure:
    """The verdict on one failed send attempt."""

    # Per recipient address: (TRANSIENT or PERMANENT, reason). Empty when the failure is not about a
    # recipient (a lost connection, a refused sender or message): then ``kind`` applies to all of them.
    recipients: dict[str, tuple[str, str]] = field(default_factory=dict)
    kind: str = TRANSIENT
    reason: str = ""
    # True when the connection is closed or in an unknown state: reopen it before the next message.
    reconnect: bool = False
    # True when the connection itself failed (could not connect, dropped): the server, not the message.
    connection_lost: bool = False
    # True when the server refused the session, not this message or recipient: its greeting, our login,
    # our sender address (a rotated password, a suspended account, an unverified sender). Every message
    # would meet the same; it is retried later, never held against a recipient.
    server_fault: bool = False
    # True when it happened while opening the session (``smtp_open``), before any message was given.
    opening: bool = False

    def kind_for(self, address: str) -> str:
        return self.recipients.get(address, (self.kind, self.reason))[0]

    def reason_for(self, address: str) -> str:
        return self.recipients.get(address, (self.kind, self.reason))[1]

    @property
    def permanent(self) -> bool:
        return self.kind == PERMANENT


class SMTPReplyLost(smtplib.SMTPException):
    """The connection failed after the whole message was sent and before the server said whether it took
    it: the message may have been delivered. Not a lost connection to try again on at once (that sends it
    twice when the server only answered slowly), but an attempt that counts, retried after the backoff."""


def _decode(message) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    return str(message)


#: Refusals of the session itself (greeting, HELO/EHLO, login), whatever their code.
SESSION_REFUSALS = (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError)


def _kind_for_code(code: int) -> str:
    return PERMANENT if 500 <= code < 600 else TRANSIENT


def smtp_classify(exc: BaseException) -> SmtpFailure:
    """Classify an exception raised while building or sending one message."""
    if isinstance(exc, ValueError):
        # BadHeaderError and kin: a value that cannot go into a header. Django raises it while building the
        # message, before anything reaches the server; no retry can fix it.
        return SmtpFailure(kind=PERMANENT, reason=f"The message cannot be built: {exc}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        recipients = {
            address: (_kind_for_code(code), f"{code} {_decode(message)}".strip())
            for address, (code, message) in exc.recipients.items()
        }
        codes = [code for code, _ in exc.recipients.values()]
        kinds = {kind for kind, _ in recipients.values()}
        reason = "; ".join(f"{address}: {reason}" for address, (_, reason) in recipients.items())
        return SmtpFailure(
            recipients=recipients,
            # The message as a whole is permanent only if every recipient is permanently refused.
            kind=PERMANENT if kinds == {PERMANENT} else TRANSIENT,
            reason=reason,
            # 421 is the server closing the channel, not a verdict on the address: smtplib has closed the
            # socket already; reconnect and try again.
            reconnect=421 in codes,
            connection_lost=421 in codes,
        )
    if isinstance(exc, SMTPReplyLost):
        return SmtpFailure(kind=TRANSIENT, reason=str(exc), reconnect=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SmtpFailure(
            kind=TRANSIENT,
            reason=f"Connection lost: {exc}",
            reconnect=True,
            connection_lost=True,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        # SMTPSenderRefused, SMTPDataError, SMTPAuthenticationError, a refused HELO/EHLO…
        code = exc.smtp_code
        session = isinstance(exc, SESSION_REFUSALS) or (
            isinstance(exc, smtplib.SMTPSenderRefused) and code != 552  # 552 at MAIL: this message's size
        )
        return SmtpFailure(
            # "503 bad sequence": the session lost its place; a fresh one will do.
            kind=TRANSIENT if session or code == 503 else _kind_for_code(code),
            reason=f"{code} {_decode(exc.smtp_error)}".strip(),
            # 421 means the server is closing the channel; anything that is not a clean reply leaves the
            # session in a state we do not know, so start a fresh one.
            reconnect=code in (421, 503) or session or not (400 <= code < 600),
            connection_lost=code == 421,
            server_fault=session,
        )
    if isinstance(exc, (OSError, socket.timeout, ssl.SSLError)):
        return SmtpFailure(
            kind=TRANSIENT,
            reason=f"Connection failed: {exc!r}",
            reconnect=True,
            connection_lost=True,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        # The server offers no AUTH or STARTTLS the settings ask for: a configuration fault.
        return SmtpFailure(kind=TRANSIENT, reason=f"Not supported by the server: {exc}", reconnect=True,
                           server_fault=True)  # fmt: skip
    if isinstance(exc, smtplib.SMTPException):
        return SmtpFailure(kind=TRANSIENT, reason=repr(exc), reconnect=True)
    raise TypeError(f"not an SMTP failure: {exc!r}")


def smtp_session_failure(exc: BaseException) -> SmtpFailure:
    """Classify a failure while *opening* the session: connecting, the greeting, EHLO, STARTTLS, the login.

    Whatever its code, it is about the server or our settings, never a recipient: "454 TLS not available"
    from a server that advertised STARTTLS is as much a session refusal as a refused login. A connection
    that could not be made stays a lost connection (tried once more, then the send waits)."""
    failure = smtp_classify(exc)
    if failure.connection_lost:
        return replace(failure, opening=True)
    return replace(failure, recipients={}, kind=TRANSIENT, reconnect=True, server_fault=True, opening=True)


def smtp_open(backend) -> SmtpFailure | None:
    """Open the Django backend's connection; on failure, drop whatever half-open connection is left (a
    plain-text one after a refused STARTTLS must never carry a message) and return the verdict."""
    try:
        backend.open()
    except SMTP_ERRORS as exc:
        smtp_drop(backend)
        return smtp_session_failure(exc)
    return None


def smtp_drop(backend) -> None:
    """Close the backend's connection whatever state it is in; the next message opens a fresh one."""
    try:
        backend.close()
    except Exception:  # noqa: BLE001 - a broken connection may fail to say QUIT; it is gone either way
        log.debug("closing a broken SMTP connection failed", exc_info=True)
    if hasattr(backend, "connection"):
        backend.connection = None


_HARD_BOUNCE_TEXT = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|not found|"
    r"invalid (recipient|mailbox|address)|mailbox unavailable|address rejected",
    re.IGNORECASE,
)


def is_hard_bounce(failure: SmtpFailure, address: str, *, sole_recipient: bool = False) -> bool:
    """Whether the server refused ``address`` itself, for good: a 5xx to RCPT whose enhanced status is
    5.1.x (no such mailbox or domain: RFC 3463), or, from a server that gives none, a 551/553 or a 550
    that says so ("user unknown"). A 5xx about our message or our sending ("5.7.1 rejected as spam") is
    not: the address may be fine.

    With ``sole_recipient`` (the message had only ``address``), a refusal of the message itself counts
    too: servers that check the mailbox only after the data answer the final dot with "550 5.1.1 user
    unknown". A refusal of our session or of our sender address (5.1.7, 5.1.8) never does."""
    if address in failure.recipients:
        reason = failure.reason_for(address)
    elif sole_recipient and not failure.recipients and not failure.server_fault:
        reason = failure.reason
    else:
        return False
    if failure.kind_for(address) != PERMANENT:
        return False
    match = re.match(r"\s*(\d{3})(?:[\s-]+(\d)\.(\d{1,3})\.(\d{1,3}))?", reason)
    if match is None:
        return False
    code, klass, subject, detail = match[1], match[2], match[3], match[4]
    if klass is not None:
        return klass == "5" and subject == "1" and detail not in ("7", "8")
    return code in ("551", "553") or (code == "550" and bool(_HARD_BOUNCE_TEXT.search(reason)))


# What a send may raise that is a verdict on this message or connection, not a bug: the classifier knows each.
SMTP_ERRORS = (smtplib.SMTPException, OSError, ValueError)


def retry_backoff(attempts: int) -> timedelta:
    """How long to wait before attempt ``attempts + 1``: doubling from ``SMTP_RETRY_BACKOFF`` seconds,
    at most an hour."""
    base = settings.SMTP_RETRY_BACKOFF
    return timedelta(seconds=min(3600.0, base * 2 ** max(0, attempts - 1)))


# --- The SMTP backend: the reply to the final dot gets its own, longer timeout ---------------------------


class _PatientReplies:
    """Mixed into ``smtplib.SMTP``: the reply to a message's final dot is waited for ``SMTP_DATA_END_TIMEOUT``
    (servers scan the message before they answer; RFC 5321 allows ten minutes), not the connection's
    timeout, and a connection that fails before that reply raises ``SMTPReplyLost``: the server may have
    taken the message, so it is an attempt that counts, never a lost connection to send it again over at
    once. Every other reply keeps ``EMAIL_TIMEOUT``."""

    _in_data = False
    _awaiting_data_end = False

    def putcmd(self, cmd, args=""):
        self._in_data = cmd.lower() == "data"
        return super().putcmd(cmd, args)

    def send(self, s):
        result = super().send(s)
        if self._in_data and isinstance(s, bytes | bytearray) and bytes(s).endswith(b"\r\n.\r\n"):
            self._awaiting_data_end = True
        return result

    def getreply(self):
        if not self._awaiting_data_end:
            return super().getreply()
        self._awaiting_data_end = self._in_data = False
        return _data_end_reply(self, super().getreply)


def _data_end_reply(smtp: smtplib.SMTP, read) -> tuple[int, bytes]:
    """``read()`` the reply to the final dot with ``SMTP_DATA_END_TIMEOUT`` on the socket (then the
    connection's own timeout again); a connection that fails meanwhile raises ``SMTPReplyLost``."""
    sock = smtp.sock
    timeout = sock.gettimeout() if sock is not None else None
    if sock is not None and timeout is not None:
        sock.settimeout(max(timeout, float(settings.SMTP_DATA_END_TIMEOUT)))
    try:
        return read()
    except SMTPReplyLost:
        raise
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise SMTPReplyLost(
            f"The connection failed after the message was sent, before the server said whether it took "
            f"it ({exc}); it may have been delivered."
        ) from exc
    finally:
        if smtp.sock is not None and timeout is not None:
            smtp.sock.settimeout(timeout)


def smtp_data_end_reply(smtp: smtplib.SMTP) -> tuple[int, bytes]:
    """The reply to a message's final dot, just sent on ``smtp`` by hand (the newsletter's raw sending):
    patient as ``_PatientReplies`` is, over any SMTP connection."""
    if getattr(smtp, "_awaiting_data_end", False):
        return smtp.getreply()  # a _PatientReplies connection does it itself
    return _data_end_reply(smtp, smtp.getreply)


class _PatientSMTP(_PatientReplies, smtplib.SMTP):
    pass


class _PatientSMTPSSL(_PatientReplies, smtplib.SMTP_SSL):
    pass


class EmailBackend(DjangoSmtpBackend):
    """Django's SMTP backend with ``_PatientReplies`` connections (``EMAIL_URL`` selects it)."""

    @property
    def connection_class(self):
        return _PatientSMTPSSL if self.use_ssl else _PatientSMTP
