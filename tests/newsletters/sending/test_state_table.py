"""The send state table, held schedules, retrying failed deliveries, and the send summary."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coalition.exceptions import InvalidTransition
from coalition.models import OutboundEmail
from newsletters.models import Delivery, Newsletter
from newsletters.selectors import newsletter_send_summary
from newsletters.sending import ratelimit
from newsletters.sending import services as sending
from tests.conftest import api_client_for
from tests.newsletters.conftest import run_send_in_process
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory, bulk_subscribers

pytestmark = pytest.mark.django_db
S = Newsletter.Status


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.NEWSLETTER_RATE_LIMIT = 0
    settings.NEWSLETTER_BATCH_SIZE = 10
    settings.NEWSLETTER_CLAIM_SIZE = 4


@pytest.fixture
def topic():
    return TopicFactory(slug="state-table")


def test_every_status_has_a_row_in_the_transition_table_and_finished_ones_lead_almost_nowhere():
    assert set(sending.ALLOWED_TRANSITIONS) == set(S.values)
    assert sending.ALLOWED_TRANSITIONS[S.CANCELLED] == frozenset()
    assert sending.ALLOWED_TRANSITIONS[S.SENT] == frozenset({S.SENDING})  # "retry failed" only


@pytest.mark.parametrize(
    ("status", "service"),
    [
        (S.DRAFT, sending.newsletter_pause),
        (S.DRAFT, sending.newsletter_resume),
        (S.DRAFT, sending.newsletter_hold),
        (S.SENDING, sending.newsletter_unschedule),
        (S.SENT, sending.newsletter_send),
        (S.SENT, sending.newsletter_cancel),
        (S.CANCELLED, sending.newsletter_send),
        (S.PAUSED, sending.newsletter_hold),
        (S.HELD, sending.newsletter_pause),
    ],
)
def test_a_move_the_table_does_not_allow_is_refused_and_changes_nothing(topic, status, service):
    newsletter = NewsletterFactory(topics=[topic], status=status)
    with pytest.raises(InvalidTransition):
        service(newsletter=newsletter)
    newsletter.refresh_from_db()
    assert newsletter.status == status


def test_a_newsletter_scheduled_two_hours_ago_is_held_by_the_sweep_and_the_secretariat_is_told(
    topic, settings
):
    settings.TIME_ZONE = "America/Panama"  # UTC-5, no summer time
    SubscriberFactory(topics=[topic])
    newsletter = NewsletterFactory(topics=[topic], subject="Yesterday's briefing")
    sending.newsletter_schedule(newsletter=newsletter, at=timezone.now() + timedelta(hours=1))
    scheduled = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    Newsletter.objects.filter(pk=newsletter.pk).update(scheduled_at=scheduled)

    result = sending.newsletters_sweep()

    assert result["held"] == 1 and result["started"] == 0
    newsletter.refresh_from_db()
    assert newsletter.status == S.HELD and not newsletter.deliveries.exists()
    notice = OutboundEmail.objects.get(kind="newsletters.held")
    assert notice.to == settings.SECRETARIAT_EMAIL and "Yesterday's briefing" in notice.subject
    assert f"/admin/newsletters/newsletter/{newsletter.pk}/change/" in notice.body_text
    panama = (scheduled - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M")
    assert f"scheduled for {panama} (America/Panama)" in notice.body_text
    # The next sweep neither sends it nor tells anyone twice.
    assert sending.newsletters_sweep()["held"] == 0
    assert OutboundEmail.objects.filter(kind="newsletters.held").count() == 1


def test_a_schedule_found_within_the_allowed_lateness_is_sent(topic, settings):
    settings.NEWSLETTER_MAX_LATENESS = 3600
    SubscriberFactory(topics=[topic])
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_schedule(newsletter=newsletter, at=timezone.now() + timedelta(hours=1))
    Newsletter.objects.filter(pk=newsletter.pk).update(scheduled_at=timezone.now() - timedelta(minutes=30))
    assert sending.newsletters_sweep()["started"] == 1


def test_staff_send_or_reschedule_a_held_newsletter(topic):
    SubscriberFactory(topics=[topic])
    first = NewsletterFactory(topics=[topic], status=S.HELD)
    second = NewsletterFactory(topics=[topic], status=S.HELD)
    assert sending.newsletter_send(newsletter=first).status == S.SENDING
    rescheduled = sending.newsletter_schedule(newsletter=second, at=timezone.now() + timedelta(days=1))
    assert rescheduled.status == S.SCHEDULED


def test_a_newsletter_is_not_sent_while_a_row_waits_for_a_retry(topic):
    bulk_subscribers(topic, 2, prefix="wait")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    Delivery.objects.filter(newsletter=newsletter).update(status=Delivery.Status.SENT)
    waiting = Delivery.objects.filter(newsletter=newsletter).first()
    Delivery.objects.filter(pk=waiting.pk).update(
        status=Delivery.Status.QUEUED, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    newsletter.batches.update(status="done")
    sending.newsletter_advance(newsletter_id=newsletter.pk)
    newsletter.refresh_from_db()
    assert newsletter.status == S.SENDING
    assert newsletter_send_summary(newsletter=newsletter)["waiting_for_retry"] == 1


def test_retrying_failed_deliveries_sends_them_and_the_newsletter_is_sent_again(topic, mailbox):
    bulk_subscribers(topic, 3, prefix="retryme")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    run_send_in_process(newsletter)
    mailbox.clear()
    failed = Delivery.objects.filter(newsletter=newsletter).first()
    Delivery.objects.filter(pk=failed.pk).update(
        status=Delivery.Status.FAILED, last_error="550 5.1.1 Unknown"
    )
    summary = newsletter_send_summary(newsletter=newsletter)
    assert summary["failed"] == 1
    assert summary["failed_deliveries"] == [
        {"id": failed.pk, "email": failed.subscriber.email, "attempts": 1, "reason": "550 5.1.1 Unknown"}
    ]

    assert sending.newsletter_retry_failed(newsletter=newsletter) == 1
    newsletter.refresh_from_db()
    assert newsletter.status == S.SENDING and newsletter.finished_at is None
    assert sending.newsletter_retry_failed(newsletter=newsletter) == 0  # pressing it twice queues nothing
    run_send_in_process(newsletter)

    newsletter.refresh_from_db()
    assert newsletter.status == S.SENT
    assert [str(m["To"]) for m in mailbox.settle(quiet=0.3)] == [
        f"{failed.subscriber.name} <{failed.subscriber.email}>"
    ]


def test_retrying_a_draft_is_refused(topic):
    with pytest.raises(InvalidTransition):
        sending.newsletter_retry_failed(newsletter=NewsletterFactory(topics=[topic]))


def test_the_api_holds_a_scheduled_newsletter_retries_failed_rows_and_shows_the_summary(topic, comms_user):
    api = api_client_for(comms_user)
    SubscriberFactory(topics=[topic])
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_schedule(newsletter=newsletter, at=timezone.now() + timedelta(hours=1))
    response = api.post(f"/api/v1/newsletters/{newsletter.pk}/hold/")
    assert response.status_code == 200 and response.json()["status"] == "held"
    assert api.post(f"/api/v1/newsletters/{newsletter.pk}/hold/").status_code == 409

    sending.newsletter_send(newsletter=newsletter)
    Delivery.objects.filter(newsletter=newsletter).update(status=Delivery.Status.FAILED, last_error="550 no")
    newsletter.batches.update(status="done")
    sending.newsletter_advance(newsletter_id=newsletter.pk)
    summary = api.get(f"/api/v1/newsletters/{newsletter.pk}/summary/").json()
    assert summary["status"] == "sent" and summary["failed_deliveries"][0]["reason"] == "550 no"

    response = api.post(f"/api/v1/newsletters/{newsletter.pk}/retry-failed/")
    assert response.status_code == 200 and response.json()["retried"] == 1
    assert response.json()["newsletter"]["status"] == "sending"


def test_a_viewer_can_read_the_summary_but_not_retry(topic, viewer_user):
    api = api_client_for(viewer_user)
    newsletter = NewsletterFactory(topics=[topic])
    assert api.get(f"/api/v1/newsletters/{newsletter.pk}/summary/").status_code == 200
    assert api.post(f"/api/v1/newsletters/{newsletter.pk}/retry-failed/").status_code == 403


def test_the_rate_limiter_falls_back_to_a_per_process_share_when_its_redis_is_unreachable(
    settings, monkeypatch
):
    settings.NEWSLETTER_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    settings.NEWSLETTER_EXPECTED_WORKERS = 4
    monkeypatch.setattr(ratelimit, "_redis_down_until", 0.0)
    monkeypatch.setattr(ratelimit, "_fallback", ratelimit._LocalBucket())
    waits = [ratelimit.rate_wait(rate=100.0) for _ in range(3)]
    # 100/s shared by 4 expected workers: this process takes one slot every 40 ms, and does not raise.
    assert waits[0] == pytest.approx(0.0, abs=0.005)
    assert waits[1] == pytest.approx(0.04, abs=0.01) and waits[2] == pytest.approx(0.04, abs=0.01)
