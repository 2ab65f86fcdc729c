"""The send pipeline with real workers, Redis and the aiosmtpd sink on loopback.

Dedicated workers consume their own queue (see conftest.py), so these tests control exactly which
workers run, kill them with SIGKILL and start new ones.
"""

import collections
import email.policy
import time
from urllib.parse import urlsplit

import pytest
from django.test import Client

from coalition.exceptions import InvalidTransition
from newsletters import tasks
from newsletters.models import Delivery, Newsletter, Subscriber
from newsletters.sending import services as sending
from tests.conftest import api_client_for
from tests.newsletters.factories import NewsletterFactory, TopicFactory, bulk_subscribers
from tests.waiting import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _counts(mailbox, subject: str | None = None) -> collections.Counter:
    with mailbox.lock:
        messages = list(mailbox.messages)
    return collections.Counter(
        str(m["To"].addresses[0].addr_spec) for m in messages if subject is None or m["Subject"] == subject
    )


def _finished(newsletter: Newsletter) -> bool:
    newsletter.refresh_from_db()
    return newsletter.status == Newsletter.Status.SENT


def test_a_newsletter_reaches_500_confirmed_subscribers_exactly_once_and_nobody_else(start_worker, mailbox):
    topic = TopicFactory(slug="progress-500")
    confirmed = bulk_subscribers(topic, 500, prefix="member")
    excluded = []
    for status in ("pending", "unsubscribed", "bounced", "complained"):
        excluded += bulk_subscribers(topic, 5, prefix=f"{status}-", status=status)
    newsletter = NewsletterFactory(topics=[topic], subject="Progress update: 500")
    start_worker(
        "nl500", SITE_URL="https://crm.example.org", NEWSLETTER_RATE_LIMIT="0", NEWSLETTER_BATCH_SIZE="100"
    )

    sending.newsletter_send(newsletter=newsletter)
    mailbox.wait_for(500, timeout=180)
    assert wait_until(lambda: _finished(newsletter), timeout=30)
    mailbox.settle(quiet=1.5)

    counts = _counts(mailbox)
    assert set(counts) == {s.email for s in confirmed}
    assert set(counts.values()) == {1}
    assert not {s.email for s in excluded} & set(counts)
    assert Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.SENT).count() == 500

    message = mailbox.to("member7@example.net")[0]
    assert message.policy == email.policy.default
    unsubscribe = message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.startswith(
        "<https://crm.example.org/subscription/unsubscribe/"
    ) and unsubscribe.endswith(">")
    assert "Hello Member 7," in message.get_body(("plain",)).get_content()
    assert "/subscription/preferences/" in message.get_body(("html",)).get_content()

    # RFC 8058: the mailbox provider POSTs to the URL, with no cookie and no CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        urlsplit(unsubscribe.strip("<>")).path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Subscriber.objects.get(email="member7@example.net").status == Subscriber.Status.UNSUBSCRIBED


def test_a_worker_killed_mid_send_is_finished_by_a_new_one_without_loss_and_within_the_in_flight_bound(
    start_worker, mailbox
):
    claim_size, recipients = 10, 300
    topic = TopicFactory(slug="progress-kill")
    bulk_subscribers(topic, recipients, prefix="kill")
    newsletter = NewsletterFactory(topics=[topic], subject="Kill test")
    env = {
        "NEWSLETTER_RATE_LIMIT": "40",
        "NEWSLETTER_CLAIM_SIZE": str(claim_size),
        "NEWSLETTER_BATCH_SIZE": "60",
        "NEWSLETTER_MARK_EVERY": "5",
        "NEWSLETTER_STALE_SECONDS": "3",
    }
    first = start_worker("nlkill1", **env)
    sending.newsletter_send(newsletter=newsletter)
    mailbox.wait_for(85, timeout=60)  # mid-claim for both worker processes
    claimed = Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.SENDING)
    assert wait_until(claimed.exists, timeout=10, every=0.01)
    first.kill()
    at_kill = len(mailbox.messages)
    assert at_kill < recipients, "the send finished before the kill; lower the rate"
    in_flight = claimed.count()
    print(
        "\nstatuses at the kill:",
        dict(collections.Counter(newsletter.deliveries.values_list("status", flat=True))),
    )

    start_worker("nlkill2", **env)
    time.sleep(3.5)  # let the dead worker's claims and batches go stale

    def sweep() -> None:
        tasks.newsletters_sweep_task.apply_async()  # as beat would; no result backend to wait on

    sweep()
    assert wait_until(lambda: _finished(newsletter), timeout=120, every=2.0, tick=sweep)
    mailbox.settle(quiet=2.0)

    counts = _counts(mailbox, "Kill test")
    delivered = len(counts)
    duplicates = sum(n - 1 for n in counts.values())
    print(
        f"\nkill test: {at_kill} messages before SIGKILL, {in_flight} rows claimed at the kill; "
        f"delivered recipients {delivered}/{recipients}, duplicates {duplicates} "
        f"(bound: 5 marks pending x 2 worker processes = {claim_size}, the claim size)"
    )
    assert delivered == recipients
    assert duplicates <= claim_size
    assert Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.SENT).count() == recipients


def test_send_pressed_twice_with_two_workers_running_the_same_batches_sends_each_recipient_once(
    start_worker, mailbox, admin_user
):
    topic = TopicFactory(slug="progress-double")
    bulk_subscribers(topic, 150, prefix="double")
    by_service = NewsletterFactory(topics=[topic], subject="Double send: service")
    by_api = NewsletterFactory(topics=[topic], subject="Double send: API")
    env = {"NEWSLETTER_RATE_LIMIT": "300", "NEWSLETTER_BATCH_SIZE": "25", "NEWSLETTER_CLAIM_SIZE": "5"}
    start_worker("nldouble1", **env)
    start_worker("nldouble2", **env)

    sending.newsletter_send(newsletter=by_service)
    with pytest.raises(InvalidTransition):
        sending.newsletter_send(newsletter=by_service)
    api = api_client_for(admin_user)
    assert api.post(f"/api/v1/newsletters/{by_api.pk}/send/").status_code == 200
    second = api.post(f"/api/v1/newsletters/{by_api.pk}/send/")
    assert second.status_code == 409 and "only a draft" in second.json()["detail"]
    # Two workers pick up the same batches: every batch task is delivered a second time.
    for newsletter in (by_service, by_api):
        for batch_id in newsletter.batches.values_list("pk", flat=True):
            tasks.send_batch_task.apply_async(args=[batch_id])
            tasks.send_batch_task.apply_async(args=[batch_id])

    mailbox.wait_for(300, timeout=120)
    assert wait_until(lambda: _finished(by_service) and _finished(by_api), timeout=60)
    mailbox.settle(quiet=2.0)
    for subject in ("Double send: service", "Double send: API"):
        counts = _counts(mailbox, subject)
        assert len(counts) == 150 and set(counts.values()) == {1}, subject
