"""Delivery through real faults: a real worker, an SMTP server that misbehaves as real ones do, Redis
and PostgreSQL failing under the sender.

Backoffs and rates are made small through the worker's environment so each test stays well under a
minute of sending.
"""

import time
import uuid
from collections import Counter

import psycopg2
import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import OperationalError, connection

from coalition.models import OutboundEmail
from coalition.outbox import tasks as outbox_tasks
from coalition.outbox.services import email_queue
from newsletters.models import Delivery, Newsletter, SendBatch
from newsletters.sending import batches
from newsletters.sending import services as sending
from tests.newsletters.conftest import newsletter_queue, start_worker  # noqa: F401 - fixtures
from tests.newsletters.factories import NewsletterFactory, TopicFactory, bulk_subscribers
from tests.reliability.faults import FaultySmtpServer, PrivateRedis
from tests.waiting import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST_RETRIES = {
    "SMTP_RETRY_BACKOFF": "1",
    "NEWSLETTER_MAX_ATTEMPTS": "12",
    "EMAIL_TIMEOUT": "5",
}


@pytest.fixture
def faulty_smtp():
    with FaultySmtpServer() as sink:
        yield sink


def _status(newsletter: Newsletter) -> str:
    newsletter.refresh_from_db()
    return newsletter.status


def test_a_newsletter_to_1000_reaches_everyone_once_through_451s_a_421_and_a_20_second_outage(
    start_worker,  # noqa: F811
    faulty_smtp,
):
    topic = TopicFactory(slug="faults-1000")
    subscribers = bulk_subscribers(topic, 1000, prefix="fault")
    refused = {s.email.lower() for s in subscribers[100:103]}
    faulty_smtp.permanent = refused
    faulty_smtp.transient_every = 7  # every 7th RCPT: 451 once
    faulty_smtp.close_at = {250}  # one 421, then the server closes the connection
    newsletter = NewsletterFactory(topics=[topic], subject="Through the storm")
    start_worker(
        "faults1000",
        EMAIL_URL=faulty_smtp.url,
        NEWSLETTER_RATE_LIMIT="0",
        NEWSLETTER_BATCH_SIZE="250",
        NEWSLETTER_CLAIM_SIZE="20",
        **{**FAST_RETRIES, "SMTP_RETRY_BACKOFF": "0.5"},
    )

    sending.newsletter_send(newsletter=newsletter)
    assert wait_until(lambda: len(faulty_smtp.received()) >= 300, timeout=90, every=0.05)
    faulty_smtp.outage(20)  # every connection dropped, every new one refused, for 20 s
    assert wait_until(lambda: _status(newsletter) == Newsletter.Status.SENT, timeout=180, every=0.5)

    received = faulty_smtp.received()
    expected = {s.email.lower() for s in subscribers} - refused
    assert set(received) == expected, f"missed: {len(expected - set(received))}"
    assert set(received.values()) == {1}, f"duplicates: {[a for a, n in received.items() if n > 1][:5]}"
    # The faults really happened.
    assert len(faulty_smtp.refused_once) >= 100 and faulty_smtp.closed == 1 and faulty_smtp.dropped > 0

    failed = Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.FAILED).select_related(
        "subscriber"
    )
    assert {d.subscriber.email.lower() for d in failed} == refused
    assert all("550" in d.last_error and "No such user" in d.last_error for d in failed)
    assert all(faulty_smtp.rcpts[address] == 1 for address in refused)  # tried once
    assert Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.SENT).count() == 997

    summary = sending_summary(newsletter)
    assert summary["failed"] == 3 and summary["queued"] == 0 and summary["waiting_for_retry"] == 0
    assert {row["email"].lower() for row in summary["failed_deliveries"]} == refused


def sending_summary(newsletter: Newsletter) -> dict:
    from newsletters.selectors import newsletter_send_summary

    return newsletter_send_summary(newsletter=newsletter)


def test_an_outbox_email_arrives_once_through_a_451_a_421_and_a_short_outage(
    start_worker,  # noqa: F811
    newsletter_queue,  # noqa: F811
    faulty_smtp,
):
    # Route the outbox task to the dedicated worker's queue, in this process and in the worker.
    outbox_tasks.outbox_send_task.queue = newsletter_queue
    outbox_tasks.outbox_send_task._exec_options = None
    try:
        start_worker(
            "faultsoutbox",
            EMAIL_URL=faulty_smtp.url,
            CELERY_TASK_DEFAULT_QUEUE=newsletter_queue,
            **FAST_RETRIES,
        )
        # 451 on the first RCPT of this test.
        faulty_smtp.transient_every = 1
        email_queue(
            kind="test.transient",
            to="once@example.org",
            template="generic",
            context={"subject": "a", "body": "b"},
        )
        assert wait_until(lambda: faulty_smtp.received()["once@example.org"] == 1, timeout=30)
        # 421 then a closed connection on the next one, and the server down for a few seconds after it.
        faulty_smtp.transient_every = None
        faulty_smtp.close_at = {faulty_smtp.rcpt_count + 1}
        email_queue(
            kind="test.closing",
            to="closed@example.org",
            template="generic",
            context={"subject": "c", "body": "d"},
        )
        assert wait_until(lambda: faulty_smtp.closed == 1, timeout=30)
        faulty_smtp.outage(4)
        assert wait_until(lambda: faulty_smtp.received()["closed@example.org"] == 1, timeout=40)
        assert wait_until(
            lambda: (
                set(OutboundEmail.objects.values_list("status", flat=True)) == {OutboundEmail.Status.SENT}
            ),
            timeout=10,
        )
        time.sleep(2)  # nothing more comes
        assert faulty_smtp.received() == Counter({"once@example.org": 1, "closed@example.org": 1})
    finally:
        outbox_tasks.outbox_send_task.queue = None
        outbox_tasks.outbox_send_task._exec_options = None


def test_with_the_rate_limiters_redis_down_for_20_seconds_the_batch_keeps_sending_at_the_fallback_rate(
    start_worker,  # noqa: F811
    faulty_smtp,
    tmp_path,
):
    redis_server = PrivateRedis(tmp_path).start()
    try:
        topic = TopicFactory(slug="redis-down")
        subscribers = bulk_subscribers(topic, 900, prefix="rd")
        newsletter = NewsletterFactory(topics=[topic], subject="Redis down")
        start_worker(
            "faultsredis",
            EMAIL_URL=faulty_smtp.url,
            NEWSLETTER_RATE_LIMIT_REDIS_URL=redis_server.url,
            NEWSLETTER_RATE_LIMIT="30",
            NEWSLETTER_EXPECTED_WORKERS="2",
            NEWSLETTER_BATCH_SIZE="300",
            **FAST_RETRIES,
        )
        sending.newsletter_send(newsletter=newsletter)
        assert wait_until(lambda: len(faulty_smtp.received()) >= 60, timeout=30, every=0.05)

        redis_server.stop()
        down_at, before = time.monotonic(), len(faulty_smtp.received())
        time.sleep(20)
        during = len(faulty_smtp.received()) - before
        redis_server.start()

        # Two processes at 30/2 per second each: about 600 in 20 s; well above nothing, not far above it.
        assert 300 <= during <= 720, during
        assert SendBatch.objects.filter(newsletter=newsletter, status=SendBatch.Status.DISPATCHED).exists()
        assert wait_until(lambda: _status(newsletter) == Newsletter.Status.SENT, timeout=60, every=0.5)
        assert time.monotonic() - down_at < 60
        received = faulty_smtp.received()
        assert set(received) == {s.email.lower() for s in subscribers}
        assert set(received.values()) == {1}
        assert (
            not Delivery.objects.filter(newsletter=newsletter).exclude(status=Delivery.Status.SENT).exists()
        )
    finally:
        redis_server.stop()


# --- The database failing under a batch -------------------------------------------------------------------


class DatabaseKillingBackend(LocmemBackend):
    """Accepts messages like the locmem backend; after the N-th it cuts this process's database
    connection from the server side (``pg_terminate_backend``), as a database restart would."""

    kill_after = 0

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if len(mail.outbox) == self.kill_after:
            pid = connection.connection.info.backend_pid
            params = connection.get_connection_params()
            with psycopg2.connect(**params) as admin, admin.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                for _ in range(100):  # until it is really gone
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                    if not cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
        return sent


def test_a_database_failure_mid_batch_strands_no_row_and_sends_nothing_twice(
    settings,
    monkeypatch,
    newsletter_queue,  # noqa: F811
):
    monkeypatch.setattr(batches, "TICK_SECONDS", 600)  # no tick marks rows early: the 5th send marks five
    settings.EMAIL_BACKEND = f"{__name__}.DatabaseKillingBackend"
    settings.NEWSLETTER_RATE_LIMIT = 0
    settings.NEWSLETTER_CLAIM_SIZE = 10
    settings.NEWSLETTER_MARK_EVERY = 5
    # The database goes after the 5th message, so marking those five sent fails, and so does handing
    # the other five of the claim back.
    DatabaseKillingBackend.kill_after = 5
    topic = TopicFactory(slug="db-fails")
    bulk_subscribers(topic, 10, prefix="dbf")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    batch = SendBatch.objects.get(newsletter=newsletter)
    SendBatch.objects.filter(pk=batch.pk).update(status=SendBatch.Status.DISPATCHED)
    mail.outbox = []

    with pytest.raises(OperationalError):
        batches.send_batch_run(batch_id=batch.pk)
    assert len(mail.outbox) == 5
    assert len(batches._UNSETTLED) == 1  # the failure handler could not reach the database either

    connection.close()  # the next use opens a fresh connection, as the next task would
    DatabaseKillingBackend.kill_after = 0
    batches.send_batch_run(batch_id=batch.pk)

    # Settled on the next connection: the 5 sent-but-unmarked rows marked sent, the 5 others sent now.
    assert batches._UNSETTLED == []
    assert len(mail.outbox) == 10
    assert Counter(m.to[0] for m in mail.outbox).most_common(1)[0][1] == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert _status(newsletter) == Newsletter.Status.SENT
    assert not Delivery.objects.exclude(claim=None).exists()


def test_a_claim_left_unsettled_is_released_before_the_next_claim(newsletter_queue):  # noqa: F811
    """A process whose database failed remembers the claim; the next run hands it back first."""
    topic = TopicFactory(slug="unsettled")
    bulk_subscribers(topic, 3, prefix="uns")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    batch = SendBatch.objects.get(newsletter=newsletter)
    claim = uuid.uuid4()
    rows = batches._claim(batch, claim)
    batches._UNSETTLED.append((claim, [rows[0].pk], Delivery.Status.QUEUED))
    batches._settle_unsettled()
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses[rows[0].pk] == Delivery.Status.SENT
    assert {statuses[r.pk] for r in rows[1:]} == {Delivery.Status.QUEUED}
    assert batches._UNSETTLED == []
