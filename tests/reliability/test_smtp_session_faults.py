"""SMTP faults at every step of a session, against a server scripted to answer as real ones do.

A refusal of our *session* (the greeting, our login, our sender) is the server's or the settings' fault,
not a recipient's: nobody is failed for it, the batch pauses and comes back. A refusal of the DATA command
leaves the next message on the connection unharmed. A 5xx to RCPT that says the mailbox does not exist
suppresses the address, as a provider's bounce report does. The outbox sweep stops at a server that is
down instead of waiting out each email's timeouts. Sending runs in this process (``send_batch_run``), with
no backoff, so each test takes seconds.
"""

import time

import pytest

from coalition.models import OutboundEmail
from coalition.outbox import services as outbox
from newsletters.models import BounceEvent, Delivery, Newsletter, SendBatch, Subscriber
from newsletters.sending import batches
from newsletters.sending import services as sending
from tests.members.enquiries.test_worker import broker_down  # noqa: F401 - fixture
from tests.newsletters.conftest import newsletter_queue  # noqa: F401 - fixture
from tests.newsletters.factories import NewsletterFactory, TopicFactory, bulk_subscribers
from tests.reliability.smtp_script import GreetingServer, ScriptedSmtpServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp_at(settings, newsletter_queue):  # noqa: F811
    def point(port: int, *, user: str = "", password: str = "") -> None:
        settings.EMAIL_BACKEND = "coalition.smtp.EmailBackend"  # what EMAIL_URL selects
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = user, password
        settings.EMAIL_TIMEOUT = 2
        settings.SMTP_RETRY_BACKOFF = 0
        settings.NEWSLETTER_RATE_LIMIT = 0
        settings.NEWSLETTER_MAX_ATTEMPTS = 3
        settings.NEWSLETTER_SMTP_CONNECTIONS = 1

    return point


def _newsletter(count: int, prefix: str) -> tuple[Newsletter, list[str]]:
    topic = TopicFactory(slug=f"faults-{prefix}")
    subscribers = bulk_subscribers(topic, count, prefix=prefix)
    newsletter = NewsletterFactory(topics=[topic], subject=f"Briefing {prefix}")
    sending.newsletter_send(newsletter=newsletter)
    return newsletter, [s.email.lower() for s in subscribers]


def _run(newsletter: Newsletter, passes: int = 6) -> dict[str, tuple[str, int, str]]:
    """Run the newsletter's batches ``passes`` times (what the worker and the sweep would do)."""
    for _ in range(passes):
        newsletter.refresh_from_db()
        if newsletter.status != Newsletter.Status.SENDING:
            break
        batch_ids = SendBatch.objects.filter(newsletter=newsletter).exclude(status=SendBatch.Status.DONE)
        batch_ids.update(status=SendBatch.Status.DISPATCHED)
        for batch_id in list(batch_ids.values_list("pk", flat=True)):
            batches.send_batch_run(batch_id=batch_id)
        sending.newsletter_advance(newsletter_id=newsletter.pk)
    return {
        d.subscriber.email.lower(): (d.status, d.attempts, d.last_error)
        for d in Delivery.objects.filter(newsletter=newsletter).select_related("subscriber")
    }


@pytest.mark.parametrize(
    "reply", ["451 4.3.0 Try again later", "452 4.3.1 Insufficient system storage", "554 5.7.1 Not now"]
)
def test_a_refused_data_command_leaves_the_next_message_on_the_connection_unharmed(smtp_at, reply):
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        newsletter, addresses = _newsletter(4, f"data{reply[:3]}")
        refused = set()

        def data_command(envelope):
            first = addresses[0]
            if first in [a.lower() for a in envelope.rcpt_tos] and first not in refused:
                refused.add(first)
                return reply
            return None

        server.handler.data_command = data_command
        rows = _run(newsletter)
    assert all(rows[a][0] == "sent" for a in addresses[1:]), rows
    assert "503" not in " ".join(server.handler.mail_replies)
    assert rows[addresses[0]][0] == ("failed" if reply.startswith("5") else "sent")
    assert set(server.handler.received().values()) == {1}


@pytest.mark.parametrize(
    "greeting", ["421 4.3.2 Service not available", "554 5.7.1 Service unavailable; client host blocked"]
)
def test_a_server_refusing_every_session_fails_nobody_and_the_newsletter_waits(smtp_at, greeting):
    with GreetingServer(greeting) as server:
        smtp_at(server.port)
        newsletter, addresses = _newsletter(5, f"greet{greeting[:3]}")
        rows = _run(newsletter, passes=8)  # well past NEWSLETTER_MAX_ATTEMPTS
    assert {status for status, _attempts, _error in rows.values()} == {"queued"}, rows
    assert all(attempts == 0 for _status, attempts, _error in rows.values())
    assert any(greeting[:3] in error for _status, _attempts, error in rows.values())  # staff see why
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING


def test_a_refused_login_fails_nobody_and_the_newsletter_goes_out_once_it_is_fixed(smtp_at):
    with ScriptedSmtpServer(auth_required=True) as server:
        smtp_at(server.port, user="secretariat", password="rotated")
        newsletter, addresses = _newsletter(4, "auth535")
        server.handler.auth = lambda args: "535 5.7.8 Authentication credentials invalid"
        rows = _run(newsletter, passes=5)
        assert {status for status, _attempts, _error in rows.values()} == {"queued"}, rows
        server.handler.auth = None  # the password is put right
        rows = _run(newsletter)
    assert {status for status, _attempts, _error in rows.values()} == {"sent"}, rows
    assert set(server.handler.received().values()) == {1}


def test_a_mailbox_the_server_says_does_not_exist_is_suppressed_a_policy_refusal_is_not(smtp_at):
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        newsletter, addresses = _newsletter(4, "bounce")
        unknown, policy = addresses[1], addresses[2]
        server.handler.rcpt = lambda address, n: (
            "550 5.1.1 Recipient address rejected: User unknown" if address == unknown
            else "550 5.7.1 Message rejected as spam" if address == policy
            else None
        )  # fmt: skip
        rows = _run(newsletter)
        assert rows[unknown][0] == rows[policy][0] == "failed"
        assert Subscriber.objects.get(email__iexact=unknown).status == Subscriber.Status.BOUNCED
        assert Subscriber.objects.get(email__iexact=policy).status == Subscriber.Status.CONFIRMED
        event = BounceEvent.objects.get()
        assert (event.kind, event.provider) == ("hard_bounce", "smtp") and "5.1.1" in event.description
        tried = dict(server.handler.rcpts)
        second = NewsletterFactory(topics=newsletter.topics.all(), subject="Second briefing")
        sending.newsletter_send(newsletter=second)
        _run(second)
    assert server.handler.rcpts[unknown] == tried[unknown]  # not tried again
    assert server.handler.rcpts[policy] == tried[policy] + 1


@pytest.fixture(autouse=True)
def _sent_here_only(monkeypatch):
    """The emails are sent by the test, not by a worker another test left running."""
    monkeypatch.setattr(outbox, "enqueue_after_commit", lambda *args, **kwargs: None)
    monkeypatch.setattr(outbox, "enqueue_in", lambda *args, **kwargs: False)


def _queued_email(to: str) -> OutboundEmail:
    return outbox.email_queue(kind="test", to=to, template="generic", context={"subject": "s", "body": "b"})


@pytest.mark.parametrize("hook", ["auth", "mail"])
def test_an_outbox_email_whose_login_or_sender_is_refused_is_retried_not_failed(smtp_at, hook):
    with ScriptedSmtpServer(auth_required=hook == "auth") as server:
        smtp_at(server.port, user="secretariat" if hook == "auth" else "", password="rotated")
        if hook == "auth":
            server.handler.auth = lambda args: "535 5.7.8 Authentication credentials invalid"
        else:
            server.handler.mail = lambda n: "553 5.7.1 Sender address rejected: not owned by user"
        email = _queued_email("anna@example.org")
        outbox.outbox_send(email_id=email.pk)
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.PENDING and email.last_error[:3] in ("535", "553")
        setattr(server.handler, hook, None)  # the settings are put right
        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
        assert outbox.outbox_send(email_id=email.pk)
    assert server.handler.received() == {"anna@example.org": 1}


def test_the_outbox_sweep_stops_at_a_server_that_does_not_answer(smtp_at, settings):
    with GreetingServer(None) as server:
        smtp_at(server.port)
        settings.EMAIL_TIMEOUT = 1
        emails = [_queued_email(f"guest{i}@example.org") for i in range(5)]
        OutboundEmail.objects.update(next_attempt_at=None)
        started = time.monotonic()
        outbox.outbox_sweep()
        took = time.monotonic() - started
    statuses = sorted(OutboundEmail.objects.values_list("status", flat=True))
    assert statuses == ["pending"] * len(emails)
    assert server.accepted <= 2  # the first email, and its one retry on a fresh connection
    assert took < 2 * 3  # not five emails' worth of timeouts


def test_a_refused_starttls_fails_nobody_and_sends_nothing_in_plain_text(smtp_at, settings):
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        settings.EMAIL_USE_TLS = True
        server.handler.starttls = True  # advertised, then "454 TLS not available"
        newsletter, addresses = _newsletter(3, "tls454")
        rows = _run(newsletter, passes=5)
        email = _queued_email("anna@example.org")
        for _ in range(outbox.MAX_ATTEMPTS + 2):
            OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
            outbox.outbox_send(email_id=email.pk)
    assert {(status, attempts) for status, attempts, _error in rows.values()} == {("queued", 0)}, rows
    assert all("454" in error for _status, _attempts, error in rows.values())  # staff see why, for each
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 0) and "454" in email.last_error
    assert server.handler.received() == {}  # not one message went over the unencrypted connection


def test_an_outbox_email_waits_out_an_outage_of_any_length_and_goes_once_the_server_is_back(smtp_at):
    with GreetingServer("421 4.3.2 Service not available") as down:
        smtp_at(down.port)
        email = _queued_email("anna@example.org")
        for _ in range(outbox.MAX_ATTEMPTS + 2):
            OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
            outbox.outbox_send(email_id=email.pk)
        email.refresh_from_db()
        assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 0), email.last_error
        assert "421" in email.last_error  # staff see why it waits
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
        assert outbox.outbox_send(email_id=email.pk)
    assert server.handler.received() == {"anna@example.org": 1}


def test_a_server_slow_to_answer_the_final_dot_gets_each_message_once(smtp_at, settings):
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        settings.EMAIL_TIMEOUT = 1
        settings.SMTP_DATA_END_TIMEOUT = 6
        server.handler.data_end_delay = lambda n: 2.5 if n == 1 else 0  # it scans the first message
        newsletter, addresses = _newsletter(3, "slowdot")
        rows = _run(newsletter)
    assert {(status, attempts) for status, attempts, _error in rows.values()} == {("sent", 1)}, rows
    assert server.handler.received() == dict.fromkeys(addresses, 1)


def test_a_connection_lost_after_the_data_counts_an_attempt_instead_of_resending_at_once(smtp_at):
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        newsletter, addresses = _newsletter(2, "dropdot")
        server.handler.data_end_drop = lambda n: True  # takes every message, then hangs up without a word
        rows = _run(newsletter, passes=8)
    assert {(status, attempts) for status, attempts, _error in rows.values()} == {("failed", 3)}, rows
    assert all("may have been delivered" in error for _status, _attempts, error in rows.values())
    # One message per attempt: never sent again at once on a fresh connection, never beyond the attempts.
    assert server.handler.received() == dict.fromkeys(addresses, 3)


def test_a_mailbox_refused_at_the_final_dot_is_suppressed_a_message_refusal_is_not(smtp_at):
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        newsletter, addresses = _newsletter(3, "dotbounce")
        unknown, policy = addresses[0], addresses[1]

        def data_end(envelope, n):
            rcpts = [a.lower() for a in envelope.rcpt_tos]
            if unknown in rcpts:
                return f"550 5.1.1 <{unknown}>: Recipient address rejected: User unknown in virtual table"
            if policy in rcpts:
                return "554 5.7.1 Message rejected: spam score too high"
            return None

        server.handler.data_end = data_end
        rows = _run(newsletter)
    assert rows[unknown][0] == rows[policy][0] == "failed" and rows[addresses[2]][0] == "sent"
    assert Subscriber.objects.get(email__iexact=unknown).status == Subscriber.Status.BOUNCED
    assert Subscriber.objects.get(email__iexact=policy).status == Subscriber.Status.CONFIRMED
    event = BounceEvent.objects.get()
    assert event.subscriber.email.lower() == unknown and "5.1.1" in event.description


def test_with_the_broker_down_at_send_the_batches_wait_for_the_next_sweep_not_the_stale_timeout(
    smtp_at,
    broker_down,  # noqa: F811
):
    newsletter, _addresses = _newsletter(3, "brokerdown")
    statuses = set(SendBatch.objects.filter(newsletter=newsletter).values_list("status", flat=True))
    assert statuses == {SendBatch.Status.PENDING}  # not "dispatched" with a task that was never queued


def test_the_sweep_dispatches_batches_the_broker_did_not_take(smtp_at):
    newsletter, _addresses = _newsletter(3, "brokerback")
    SendBatch.objects.filter(newsletter=newsletter).update(status=SendBatch.Status.PENDING)
    sending.newsletters_sweep()  # the broker is up again: within the minute, not after the stale timeout
    statuses = set(SendBatch.objects.filter(newsletter=newsletter).values_list("status", flat=True))
    assert statuses == {SendBatch.Status.DISPATCHED}


def test_throttling_of_every_message_makes_the_send_wait_instead_of_failing_everyone(smtp_at, settings):
    settings.NEWSLETTER_SAME_REFUSAL_LIMIT = 3
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        newsletter, addresses = _newsletter(6, "throttle")
        slow_down = "451 4.7.1 <{}>: Recipient address rejected: too many messages, slow down"
        server.handler.rcpt = lambda address, n: slow_down.format(address) if n <= 24 else None
        rows = _run(newsletter, passes=14)  # 18 refusals would fail everyone at 3 attempts each
    assert {status for status, _attempts, _error in rows.values()} == {"sent"}, rows
    assert server.handler.received() == dict.fromkeys(addresses, 1)


def test_a_blocklisting_server_pauses_the_newsletter_instead_of_failing_everyone(smtp_at, settings):
    settings.NEWSLETTER_SAME_REFUSAL_LIMIT = 3
    blocked = "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org"
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        newsletter, addresses = _newsletter(6, "blocklist")
        server.handler.rcpt = lambda address, n: blocked
        rows = _run(newsletter)
        newsletter.refresh_from_db()
        assert newsletter.status == Newsletter.Status.PAUSED
        assert {(status, attempts) for status, attempts, _error in rows.values()} == {("queued", 0)}, rows
        assert sum(blocked in error for _status, _attempts, error in rows.values()) == 3  # staff see why
        assert sum(server.handler.rcpts.values()) == 3  # the server is not asked for the other three
        (alert,) = OutboundEmail.objects.filter(kind="newsletters.paused")
        assert alert.to == settings.SECRETARIAT_EMAIL
        assert newsletter.subject in alert.subject and "blocked using zen.spamhaus.org" in alert.body_text
        assert f"/admin/newsletters/newsletter/{newsletter.pk}/change/" in alert.body_text
        server.handler.rcpt = None  # delisted
        sending.newsletter_resume(newsletter=newsletter)
        rows = _run(newsletter)
    assert {status for status, _attempts, _error in rows.values()} == {"sent"}, rows
    assert server.handler.received() == dict.fromkeys(addresses, 1)


def test_mailboxes_refused_one_after_another_fail_alone_and_do_not_pause_the_newsletter(smtp_at, settings):
    settings.NEWSLETTER_SAME_REFUSAL_LIMIT = 3
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        newsletter, addresses = _newsletter(6, "disabled")
        disabled = set(addresses[:4])
        server.handler.rcpt = lambda address, n: (
            f"550 5.2.1 <{address}>: Mailbox disabled for this recipient" if address in disabled else None
        )
        rows = _run(newsletter)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT
    assert {a for a, (status, _attempts, _error) in rows.items() if status == "failed"} == disabled


def test_an_outbox_email_whose_reply_is_lost_after_the_data_counts_its_attempts(
    smtp_at, settings, monkeypatch
):
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 3)
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        settings.EMAIL_TIMEOUT = settings.SMTP_DATA_END_TIMEOUT = 1
        server.handler.data_end_delay = lambda n: 1.5  # slower than even the final dot's timeout, every time
        email = _queued_email("anna@example.org")
        for _ in range(6):
            OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
            outbox.outbox_send(email_id=email.pk)
    email.refresh_from_db()
    # Not an outage to wait out for ever, re-sending every minute: each try counts, then it fails.
    assert (email.status, email.attempts) == (OutboundEmail.Status.FAILED, 3)
    assert server.handler.received()["anna@example.org"] <= 2 * 3


def test_an_outbox_email_to_a_server_slow_to_answer_the_final_dot_goes_once(smtp_at, settings):
    with ScriptedSmtpServer() as server:
        smtp_at(server.port)
        settings.EMAIL_TIMEOUT, settings.SMTP_DATA_END_TIMEOUT = 1, 6
        server.handler.data_end_delay = lambda n: 2.5  # it scans the message before it answers
        email = _queued_email("anna@example.org")
        assert outbox.outbox_send(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.SENT, 1)
    assert server.handler.received() == {"anna@example.org": 1}
