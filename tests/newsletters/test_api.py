import pytest
from django.utils import timezone

from coalition.models import OutboundEmail
from newsletters.models import Delivery, Newsletter, Subscriber, Topic

from .factories import NewsletterFactory, SubscriberFactory, TopicFactory, bulk_subscribers

pytestmark = pytest.mark.django_db


def test_staff_without_newsletter_permissions_and_anonymous_visitors_see_no_subscribers(
    anon_api, staff_api, viewer_api, outsider_user
):
    from ..conftest import api_client_for

    SubscriberFactory()
    assert anon_api.get("/api/v1/subscribers/").status_code in (401, 403)
    assert api_client_for(outsider_user).get("/api/v1/subscribers/").status_code == 403
    assert viewer_api.get("/api/v1/subscribers/").status_code == 200
    # Secretariat staff may read but not write newsletters.
    assert staff_api.get("/api/v1/newsletters/").status_code == 200
    assert staff_api.post("/api/v1/newsletters/", {}, format="json").status_code == 403


@pytest.mark.parametrize("n", [5, 50])
def test_listing_subscribers_costs_the_same_queries_for_5_and_50_rows(
    comms_api, django_assert_max_num_queries, n
):
    topic = TopicFactory()
    for subscriber in bulk_subscribers(topic, n, prefix=f"list{n}-"):
        subscriber.topics.add(Topic.objects.get(slug="progress-updates"))
    with django_assert_max_num_queries(8):
        response = comms_api.get("/api/v1/subscribers/")
    assert response.status_code == 200 and response.json()["count"] == n


@pytest.mark.parametrize("n", [5, 50])
def test_listing_newsletters_with_progress_costs_the_same_queries_for_5_and_50_rows(
    comms_api, django_assert_max_num_queries, n
):
    topic = TopicFactory()
    for _ in range(n):
        NewsletterFactory(topics=[topic])
    with django_assert_max_num_queries(8):
        response = comms_api.get("/api/v1/newsletters/")
    assert response.status_code == 200 and len(response.json()["results"]) == n
    assert response.json()["results"][0]["progress"]["percent"] == 0.0


@pytest.mark.parametrize("n", [5, 50])
def test_listing_topics_costs_the_same_queries_for_5_and_50_rows(comms_api, django_assert_max_num_queries, n):
    for _ in range(n):
        TopicFactory()
    with django_assert_max_num_queries(6):
        assert comms_api.get("/api/v1/newsletter-topics/").status_code == 200


def test_a_communications_officer_writes_and_sends_a_newsletter_through_the_api(comms_api, settings):
    topic = TopicFactory(slug="cop-briefings")
    bulk_subscribers(topic, 3, prefix="api")
    response = comms_api.post(
        "/api/v1/newsletters/",
        {
            "subject": "COP30 briefing",
            "body_markdown": "Hello {{ name }}",
            "topics": ["cop-briefings"],
            "organisation_kinds": [],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert (
        comms_api.patch(
            f"/api/v1/newsletters/{pk}/", {"preheader": "What to expect"}, format="json"
        ).status_code
        == 200
    )
    assert "What to expect" in comms_api.get(f"/api/v1/newsletters/{pk}/preview/").content.decode()
    assert (
        comms_api.post(
            f"/api/v1/newsletters/{pk}/test-send/", {"to": "me@example.org"}, format="json"
        ).status_code
        == 202
    )
    assert OutboundEmail.objects.filter(kind="newsletters.test", to="me@example.org").exists()
    response = comms_api.post(f"/api/v1/newsletters/{pk}/send/")
    assert response.status_code == 200 and response.json()["status"] == "sending"
    assert response.json()["progress"] == {
        "status": "sending",
        "total": 3,
        "queued": 3,
        "sent": 0,
        "failed": 0,
        "skipped": 0,
        "percent": 0.0,
        "eta_seconds": response.json()["progress"]["eta_seconds"],
    }
    assert comms_api.post(f"/api/v1/newsletters/{pk}/send/").status_code == 409
    assert comms_api.patch(f"/api/v1/newsletters/{pk}/", {"subject": "x"}, format="json").status_code == 409
    assert comms_api.post(f"/api/v1/newsletters/{pk}/pause/").json()["status"] == "paused"
    assert comms_api.post(f"/api/v1/newsletters/{pk}/resume/").json()["status"] == "sending"
    progress = comms_api.get(f"/api/v1/newsletters/{pk}/progress/").json()
    assert progress["total"] == 3 and progress["eta_seconds"] is not None
    assert comms_api.post(f"/api/v1/newsletters/{pk}/cancel/").json()["status"] == "cancelled"


def test_scheduling_through_the_api_checks_the_time(comms_api):
    newsletter = NewsletterFactory(topics=[TopicFactory()])
    response = comms_api.post(
        f"/api/v1/newsletters/{newsletter.pk}/schedule/", {"at": "2001-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400 and "future" in str(response.json())
    at = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    response = comms_api.post(f"/api/v1/newsletters/{newsletter.pk}/schedule/", {"at": at}, format="json")
    assert response.json()["status"] == "scheduled"


def test_a_subscriber_is_exported_as_json_and_erased_keeping_delivery_counts(comms_api, admin_api):
    topic = TopicFactory()
    subscriber = SubscriberFactory(email="erase@example.org", topics=[topic])
    newsletter = NewsletterFactory(topics=[topic])
    Delivery.objects.create(
        newsletter=newsletter, subscriber=subscriber, status="sent", sent_at=timezone.now()
    )
    OutboundEmail.objects.create(
        kind="newsletters.confirmation", to="erase@example.org", subject="s", body_text="b"
    )
    data = comms_api.get(f"/api/v1/subscribers/{subscriber.pk}/export/").json()
    assert data["email"] == "erase@example.org" and data["deliveries"][0]["newsletter"] == newsletter.subject
    response = admin_api.post(f"/api/v1/subscribers/{subscriber.pk}/erase/")
    assert response.status_code == 200 and response.json() == {"deliveries_kept": 1, "emails_deleted": 1}
    assert not Subscriber.objects.filter(email="erase@example.org").exists()
    assert not OutboundEmail.objects.filter(to="erase@example.org").exists()
    assert Delivery.objects.get().subscriber is None
    assert Newsletter.objects.filter(pk=newsletter.pk, deliveries__status="sent").count() == 1


def test_erasing_needs_the_delete_permission(viewer_api):
    subscriber = SubscriberFactory()
    assert viewer_api.post(f"/api/v1/subscribers/{subscriber.pk}/erase/").status_code == 403
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_staff_add_a_subscriber_who_still_confirms_by_email(comms_api):
    response = comms_api.post(
        "/api/v1/subscribers/", {"email": "card@example.org", "topics": ["progress-updates"]}, format="json"
    )
    assert response.status_code == 202
    subscriber = Subscriber.objects.get(email="card@example.org")
    assert subscriber.status == "pending" and subscriber.consents.get().method == "import"
