"""Topics are written through their services from every door: the admin (form, list, delete), the API and
the demo loader; a topic an unsent newsletter is addressed to is not deleted from under it."""

import pytest
from django.urls import reverse

from coalition.exceptions import InvalidTransition
from newsletters import services
from newsletters.models import Newsletter, Topic
from tests.conftest import record_calls

from .factories import NewsletterFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The names of the topic services the doors call; each call goes through."""
    return record_calls(monkeypatch, services, "topic_create", "topic_update", "topic_delete")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _form(**changes) -> dict:
    data = {
        "name": "Removal science",
        "slug": "removal-science",
        "description": "Papers and field results.",
        "public": "on",
        "sort_order": "3",
    }
    return {**data, **changes}


def test_a_topic_in_use_by_an_unsent_newsletter_is_not_deleted_and_the_message_names_it():
    topic = TopicFactory(name="Events")
    NewsletterFactory(subject="COP31 side event", topics=[topic], status=Newsletter.Status.SCHEDULED)
    NewsletterFactory(subject="Last year's briefing", topics=[topic], status=Newsletter.Status.SENT)
    message = "“Events” is the audience of “COP31 side event” \\(scheduled\\)"
    with pytest.raises(InvalidTransition, match=message):
        services.topic_delete(topic=topic)
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_a_topic_only_sent_newsletters_used_is_deleted_and_its_subscribers_stay():
    topic = TopicFactory()
    sent = NewsletterFactory(topics=[topic], status=Newsletter.Status.SENT)
    subscriber = SubscriberFactory()
    subscriber.topics.add(topic)
    services.topic_delete(topic=topic)
    assert not Topic.objects.filter(pk=topic.pk).exists()
    subscriber.refresh_from_db()
    sent.refresh_from_db()
    assert list(subscriber.topics.all()) == [] and sent.status == Newsletter.Status.SENT


def test_the_admin_adds_changes_and_edits_in_the_list_through_the_services(admin_client, calls):
    add = admin_client.post(reverse("admin:newsletters_topic_add"), _form())
    assert add.status_code == 302, add.context["adminform"].form.errors if add.context else add
    topic = Topic.objects.get(slug="removal-science")
    change = admin_client.post(
        reverse("admin:newsletters_topic_change", args=[topic.pk]), _form(name="Removal research")
    )
    assert change.status_code == 302
    listing = admin_client.post(
        reverse("admin:newsletters_topic_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(topic.pk),
            "form-0-sort_order": "9",
            "_save": "Save",
        },
    )
    assert listing.status_code == 302
    topic.refresh_from_db()
    assert (topic.name, topic.sort_order, topic.public) == ("Removal research", 9, False)
    assert calls == ["topic_create", "topic_update", "topic_update"]


def test_the_admin_delete_page_shows_what_stops_it_and_deletes_nothing(admin_client, calls):
    topic = TopicFactory(name="Events")
    NewsletterFactory(subject="COP31 side event", topics=[topic], status=Newsletter.Status.DRAFT)
    url = reverse("admin:newsletters_topic_delete", args=[topic.pk])
    page = admin_client.get(url)
    assert "Newsletter not yet sent: COP31 side event (draft)" in page.content.decode()
    refused = admin_client.post(url, {"post": "yes"})
    assert refused.status_code in (200, 403)
    assert Topic.objects.filter(pk=topic.pk).exists() and calls == []


def test_the_admin_deletes_unused_topics_one_by_one_through_the_service(admin_client, calls):
    topics = [TopicFactory(), TopicFactory()]
    response = admin_client.post(
        reverse("admin:newsletters_topic_changelist"),
        {"action": "delete_selected", "_selected_action": [t.pk for t in topics], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Topic.objects.filter(pk__in=[t.pk for t in topics]).exists()
    assert calls == ["topic_delete", "topic_delete"]


def test_the_api_writes_through_the_services_and_answers_409_for_a_topic_in_use(admin_api, calls):
    created = admin_api.post(
        "/api/v1/newsletter-topics/",
        {"name": "Policy", "slug": "policy", "name_translations": {"fr": "Politique"}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    topic = Topic.objects.get(slug="policy")
    assert topic.name_translations == {"fr": "Politique"}
    changed = admin_api.patch(f"/api/v1/newsletter-topics/{topic.pk}/", {"public": False}, format="json")
    assert changed.status_code == 200
    NewsletterFactory(subject="Policy brief", topics=[topic])
    refused = admin_api.delete(f"/api/v1/newsletter-topics/{topic.pk}/")
    assert refused.status_code == 409 and "“Policy brief” (draft)" in refused.json()["detail"]
    assert calls == ["topic_create", "topic_update", "topic_delete"]
