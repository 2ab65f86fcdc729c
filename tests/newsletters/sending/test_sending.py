"""The send pipeline run in this process against the SMTP sink (worker tests are in test_worker_*.py)."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coalition.exceptions import InvalidTransition
from members.models import Organisation
from newsletters import services
from newsletters.models import Delivery, Newsletter, SendBatch, Subscriber, Topic
from newsletters.sending import batches
from newsletters.sending import services as sending
from newsletters.subscriptions import services as subscriptions
from tests.members.factories import ContactFactory, OrganisationFactory
from tests.newsletters.conftest import run_send_in_process
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory, bulk_subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.NEWSLETTER_RATE_LIMIT = 0
    settings.NEWSLETTER_BATCH_SIZE = 10
    settings.NEWSLETTER_CLAIM_SIZE = 4


@pytest.fixture
def topic():
    return TopicFactory(slug="removals-policy")


def test_sending_freezes_the_audience_as_one_delivery_per_confirmed_subscriber(topic):
    other = TopicFactory()
    confirmed = bulk_subscribers(topic, 25, prefix="ok")
    both = SubscriberFactory(topics=[topic, other])  # in two of the topics: still one delivery
    for status in ("pending", "unsubscribed", "bounced", "complained"):
        SubscriberFactory(status=status, topics=[topic])
    SubscriberFactory(topics=[TopicFactory()])  # another topic only
    newsletter = NewsletterFactory(topics=[topic, other])
    sending.newsletter_send(newsletter=newsletter)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING and newsletter.rendered_html
    recipients = set(Delivery.objects.filter(newsletter=newsletter).values_list("subscriber_id", flat=True))
    assert recipients == {s.pk for s in confirmed} | {both.pk}
    batches = list(SendBatch.objects.filter(newsletter=newsletter).order_by("number"))
    assert len(batches) == 3 and batches[0].first_delivery_id == min(
        Delivery.objects.filter(newsletter=newsletter).values_list("id", flat=True)
    )
    # Someone who confirms after the list was frozen is not added.
    SubscriberFactory(topics=[topic])
    assert Delivery.objects.filter(newsletter=newsletter).count() == 26


def test_pressing_send_twice_starts_one_send(topic):
    bulk_subscribers(topic, 5, prefix="x")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    with pytest.raises(InvalidTransition, match="only a draft or a scheduled"):
        sending.newsletter_send(newsletter=newsletter)
    assert Delivery.objects.count() == 5


def test_a_newsletter_without_topics_cannot_be_sent():
    with pytest.raises(ValidationError):
        sending.newsletter_send(newsletter=NewsletterFactory())


def test_the_audience_can_be_narrowed_by_the_linked_organisations_kind_and_country(topic):
    danish_company = ContactFactory(organisation=OrganisationFactory(country="DK"))
    kenyan_ngo = ContactFactory(organisation=OrganisationFactory(kind=Organisation.Kind.NGO, country="KE"))
    a = SubscriberFactory(topics=[topic], contact=danish_company)
    b = SubscriberFactory(topics=[topic], contact=kenyan_ngo)
    SubscriberFactory(topics=[topic])  # no linked contact
    newsletter = NewsletterFactory(topics=[topic], organisation_kinds=["company"])
    sending.newsletter_send(newsletter=newsletter)
    assert list(newsletter.deliveries.values_list("subscriber_id", flat=True)) == [a.pk]
    newsletter = NewsletterFactory(
        topics=[topic], organisation_countries=["KE", "DK"], organisation_kinds=["ngo"]
    )
    sending.newsletter_send(newsletter=newsletter)
    assert list(newsletter.deliveries.values_list("subscriber_id", flat=True)) == [b.pk]


def test_every_recipient_gets_one_personalised_message_and_the_newsletter_ends_sent(topic, mailbox):
    subscribers = bulk_subscribers(topic, 23, prefix="reader")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    assert run_send_in_process(newsletter) == 23
    messages = mailbox.settle(quiet=0.5)
    assert sorted(str(m["To"]) for m in messages) == sorted(f"{s.name} <{s.email}>" for s in subscribers)
    first = mailbox.to("reader3@example.net")[0]
    assert "Hello Reader 3," in first.get_body(("plain",)).get_content()
    assert "Hello Reader 3," in first.get_body(("html",)).get_content()
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT and newsletter.finished_at
    assert Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.SENT).count() == 23


def test_messages_go_out_over_several_connections_at_once_and_unmarked_ones_stay_within_the_bound(
    topic, mailbox, settings, monkeypatch
):
    settings.NEWSLETTER_BATCH_SIZE, settings.NEWSLETTER_CLAIM_SIZE = 60, 30
    settings.NEWSLETTER_SMTP_CONNECTIONS, settings.NEWSLETTER_MARK_EVERY = 4, 7
    bulk_subscribers(topic, 60, prefix="overlap")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    lock, state = threading.Lock(), {"now": 0, "most": 0, "submitted": 0, "marked": 0, "worst": 0}
    real_send, real_submit = batches._Connection.send, batches._Connections.submit
    real_flush = batches._ClaimSender.flush

    def slow_send(self, message):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            time.sleep(0.01)  # a slow server: round trips overlap only if several are in flight
            return real_send(self, message)
        finally:
            with lock:
                state["now"] -= 1

    def counting_submit(self, message):
        state["submitted"] += 1
        # Sent or in flight, and not yet marked: what a kill now could send twice.
        state["worst"] = max(state["worst"], state["submitted"] - state["marked"])
        return real_submit(self, message)

    def counting_flush(self):
        state["marked"] += len(self.pending)
        return real_flush(self)

    monkeypatch.setattr(batches._Connection, "send", slow_send)
    monkeypatch.setattr(batches._Connections, "submit", counting_submit)
    monkeypatch.setattr(batches._ClaimSender, "flush", counting_flush)

    assert run_send_in_process(newsletter) == 60
    assert len(mailbox.settle(quiet=0.5)) == 60
    assert 1 < state["most"] <= 4
    assert state["worst"] <= 7
    assert Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.SENT).count() == 60


def test_a_line_starting_with_a_dot_arrives_intact(topic, mailbox):
    SubscriberFactory(topics=[topic], email="dots@example.net")
    newsletter = NewsletterFactory(
        topics=[topic], body_markdown="First line\n.hidden config line\n..two dots"
    )
    sending.newsletter_send(newsletter=newsletter)
    assert run_send_in_process(newsletter) == 1
    (message,) = mailbox.settle(quiet=0.3)
    text = message.get_body(("plain",)).get_content()
    assert "\n.hidden config line\n..two dots" in text.replace("\r\n", "\n")


def test_running_the_same_batch_twice_sends_nothing_twice(topic, mailbox):
    bulk_subscribers(topic, 12, prefix="twice")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    run_send_in_process(newsletter)
    batch = SendBatch.objects.filter(newsletter=newsletter).first()
    SendBatch.objects.filter(pk=batch.pk).update(status=SendBatch.Status.DISPATCHED)
    assert batches.send_batch_run(batch_id=batch.pk) == 0
    assert len(mailbox.settle(quiet=0.5)) == 12


def test_someone_who_unsubscribes_after_the_list_was_frozen_gets_nothing(topic, mailbox):
    keep, leave = SubscriberFactory(topics=[topic]), SubscriberFactory(topics=[topic])
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    subscriptions.subscriber_unsubscribe(subscriber=leave)
    run_send_in_process(newsletter)
    assert [str(m["To"]) for m in mailbox.settle(quiet=0.5)] == [f"{keep.name} <{keep.email}>"]
    assert Delivery.objects.get(subscriber=leave).status == Delivery.Status.SKIPPED


def test_a_claim_taken_back_by_the_sweep_is_not_sent_by_the_old_worker(topic, mailbox):
    bulk_subscribers(topic, 3, prefix="taken")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    batch = SendBatch.objects.get(newsletter=newsletter)
    claim = uuid.uuid4()
    rows = batches._claim(batch, claim)
    sender = batches._ClaimSender(
        newsletter_id=newsletter.pk,
        claim=claim,
        rows=rows,
        rendered=services.newsletter_rendered(newsletter=newsletter),
        conn=batches._Connections(),
    )
    # The worker stalled; the sweep gave its rows to someone else before its next tick.
    Delivery.objects.update(claim=uuid.uuid4())
    sender.last_tick = 0
    assert sender.run(deadline=float("inf")) == 0
    assert mailbox.settle(quiet=0.3) == []


def test_a_refused_recipient_is_failed_with_the_reason(topic, mailbox, settings):
    SubscriberFactory(topics=[topic], email="refuse@example.net")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    import smtplib

    original = batches._Connection.send

    def refuse(self, message):
        raise smtplib.SMTPRecipientsRefused({"refuse@example.net": (550, b"5.1.1 No such user")})

    batches._Connection.send = refuse
    try:
        run_send_in_process(newsletter)
    finally:
        batches._Connection.send = original
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and "No such user" in delivery.last_error
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT


def _sent_to_an_unreachable_server(topic, settings, *, subscribers: int, prefix: str):
    """A newsletter whose one batch ran once against an SMTP server that is not there."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    bulk_subscribers(topic, subscribers, prefix=prefix)
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    batch = SendBatch.objects.get(newsletter=newsletter)
    SendBatch.objects.filter(pk=batch.pk).update(status=SendBatch.Status.DISPATCHED)
    batches.send_batch_run(batch_id=batch.pk)
    return newsletter, batch


def test_an_unreachable_smtp_server_leaves_deliveries_queued_for_a_retry_with_backoff(topic, settings):
    newsletter, batch = _sent_to_an_unreachable_server(topic, settings, subscribers=3, prefix="retry")
    first, *others = list(Delivery.objects.order_by("id"))
    assert {r.status for r in [first, *others]} == {Delivery.Status.QUEUED}
    # The server is down, not the recipients: no attempt is counted against anyone (an outage fails
    # nobody); every row of the claim waits for the backoff, saying why (staff see what the send waits
    # for); the batch stays dispatched for the retry.
    for row in [first, *others]:
        assert row.next_attempt_at > timezone.now() and row.attempts == 0 and "refused" in row.last_error
    assert SendBatch.objects.get(pk=batch.pk).status == SendBatch.Status.DISPATCHED
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING  # not finished while retries are due


def test_on_the_embedded_default_the_sweep_takes_a_waiting_batch_again_when_its_retry_is_due(topic, settings):
    """No broker holds a delayed retry there: the sweep must dispatch the batch when its rows are due,
    not NEWSLETTER_STALE_SECONDS (ten minutes) after the outage began."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.NEWSLETTER_STALE_SECONDS = 600
    settings.SMTP_RETRY_BACKOFF = 1
    _sent_to_an_unreachable_server(topic, settings, subscribers=2, prefix="embedded-retry")
    due = Delivery.objects.order_by("next_attempt_at").first().next_attempt_at
    assert due > timezone.now()
    assert sending.newsletters_sweep()["dispatched"] == 0  # not before the retry is due

    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.6)

    assert sending.newsletters_sweep()["dispatched"] == 1


def test_the_sweep_requeues_rows_of_a_dead_worker_and_redispatches_its_batch(topic, settings):
    settings.NEWSLETTER_STALE_SECONDS = 60
    bulk_subscribers(topic, 5, prefix="dead")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    batch = SendBatch.objects.get(newsletter=newsletter)
    batches._claim(batch, uuid.uuid4())  # a worker claimed rows ... and died
    long_ago = timezone.now() - timedelta(minutes=5)
    Delivery.objects.filter(status="sending").update(claimed_at=long_ago)
    SendBatch.objects.update(heartbeat_at=long_ago)
    result = sending.newsletters_sweep()
    assert result["requeued"] == 4 and result["dispatched"] == 1
    assert not Delivery.objects.filter(status="sending").exists()


def test_the_sweep_starts_a_scheduled_newsletter_when_it_is_due(topic):
    SubscriberFactory(topics=[topic])
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_schedule(newsletter=newsletter, at=timezone.now() + timedelta(hours=1))
    assert sending.newsletters_sweep()["started"] == 0
    Newsletter.objects.filter(pk=newsletter.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    assert sending.newsletters_sweep()["started"] == 1
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING and newsletter.deliveries.count() == 1


def test_scheduling_in_the_past_is_refused_with_a_message(topic):
    with pytest.raises(ValidationError, match="future"):
        sending.newsletter_schedule(newsletter=NewsletterFactory(topics=[topic]), at=timezone.now())


def test_pause_stops_between_messages_and_resume_finishes_the_list(topic, mailbox):
    bulk_subscribers(topic, 15, prefix="pause")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    sending.newsletter_pause(newsletter=newsletter)
    first = SendBatch.objects.filter(newsletter=newsletter).order_by("number").first()
    SendBatch.objects.filter(pk=first.pk).update(status=SendBatch.Status.DISPATCHED)
    assert batches.send_batch_run(batch_id=first.pk) == 0
    assert not Delivery.objects.filter(status="sending").exists()
    with pytest.raises(InvalidTransition):
        sending.newsletter_pause(newsletter=newsletter)
    sending.newsletter_resume(newsletter=newsletter)
    run_send_in_process(newsletter)
    assert len(mailbox.settle(quiet=0.5)) == 15


def test_cancel_sends_nothing_more(topic, mailbox):
    bulk_subscribers(topic, 8, prefix="cancel")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    sending.newsletter_cancel(newsletter=newsletter)
    run_send_in_process(newsletter)
    assert mailbox.settle(quiet=0.5) == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.CANCELLED}
    with pytest.raises(InvalidTransition):
        sending.newsletter_resume(newsletter=newsletter)


def test_a_newsletter_that_is_sending_can_no_longer_be_edited(topic):
    newsletter = NewsletterFactory(topics=[topic])
    services.newsletter_update(newsletter=newsletter, subject="Changed")
    sending.newsletter_send(newsletter=newsletter)
    with pytest.raises(InvalidTransition, match="no longer be edited"):
        services.newsletter_update(newsletter=newsletter, subject="Too late")


def test_an_empty_audience_finishes_at_once():
    newsletter = NewsletterFactory(topics=[Topic.objects.get(slug="progress-updates")])
    sending.newsletter_send(newsletter=newsletter)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT


def test_the_global_rate_limit_spaces_messages_across_callers(settings):
    import time

    from newsletters.sending.ratelimit import KEY, _client, rate_wait

    _client(settings.REDIS_URL).delete(KEY)
    started = time.monotonic()
    for _ in range(11):
        rate_wait(50.0)
    assert time.monotonic() - started >= 0.19  # 10 intervals of 20 ms


def test_the_rate_limit_is_shared_by_concurrent_senders(settings):
    import threading
    import time

    from newsletters.sending.ratelimit import KEY, _client, rate_wait

    _client(settings.REDIS_URL).delete(KEY)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [rate_wait(100.0) for _ in range(10)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 40 messages from four senders at 100 per second together: at least 0.39 s, not 0.09 s.
    assert time.monotonic() - started >= 0.38


def test_a_test_send_goes_through_the_outbox_with_the_unsubscribe_headers(topic, mailbox):
    from coalition.models import OutboundEmail
    from coalition.outbox.services import outbox_send

    newsletter = NewsletterFactory(topics=[topic])
    services.newsletter_test_send(newsletter=newsletter, to="editor@secretariat.example.org", name="Chris")
    email = OutboundEmail.objects.get(kind="newsletters.test")
    outbox_send(email_id=email.pk)
    message = mailbox.wait_for(1)[0]
    assert message["Subject"].startswith("[Test]") and message["List-Unsubscribe-Post"]
    assert Subscriber.objects.count() == 0 and Delivery.objects.count() == 0
