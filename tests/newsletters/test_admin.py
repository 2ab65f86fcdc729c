import json

import pytest

from coalition.models import OutboundEmail
from newsletters.demo import load
from newsletters.models import Newsletter, Subscriber, Topic
from newsletters.sending import services as sending

from .factories import NewsletterFactory, SubscriberFactory, TopicFactory, bulk_subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def comms_client(client, comms_user):
    client.force_login(comms_user)
    return client


def test_the_newsletter_editor_shows_audience_buttons_and_a_preview(comms_client):
    topic = TopicFactory()
    bulk_subscribers(topic, 4, prefix="adm")
    newsletter = NewsletterFactory(topics=[topic], body_markdown="Hello {{ name }}, **news**")
    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/").content.decode()
    assert "Audience now: <strong>4</strong>" in page and "Send now" in page and "Send test" in page
    assert "Schedule" in page and "iframe" in page
    preview = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/preview/").content.decode()
    assert "<strong>news</strong>" in preview and "Hello Chris," in preview


def test_the_buttons_send_pause_resume_and_cancel_and_errors_are_shown(comms_client):
    topic = TopicFactory()
    bulk_subscribers(topic, 3, prefix="btn")
    newsletter = NewsletterFactory(topics=[topic])
    url = f"/admin/newsletters/newsletter/{newsletter.pk}/act/"
    comms_client.post(url, {"do": "test", "to": "chris@secretariat.example.org"})
    assert OutboundEmail.objects.filter(kind="newsletters.test").count() == 1
    comms_client.post(url, {"do": "send"})
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING
    response = comms_client.post(url, {"do": "send"}, follow=True)
    assert "only a draft or a scheduled newsletter can be sent" in response.content.decode()
    comms_client.post(url, {"do": "pause"})
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.PAUSED
    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/").content.decode()
    assert 'role="progressbar"' in page and "3 queued" in page and "Resume" in page
    comms_client.post(url, {"do": "resume"})
    comms_client.post(url, {"do": "cancel"})
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.CANCELLED


def test_the_newsletter_list_shows_a_progress_bar_and_progress_is_available_as_json(comms_client, settings):
    settings.NEWSLETTER_RATE_LIMIT = 0
    topic = TopicFactory()
    bulk_subscribers(topic, 4, prefix="bar")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    page = comms_client.get("/admin/newsletters/newsletter/").content.decode()
    assert 'role="progressbar"' in page and "0 sent, 4 queued" in page
    progress = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/progress/").json()
    assert progress["total"] == 4 and progress["queued"] == 4 and progress["percent"] == 0.0


def test_staff_export_and_erase_a_subscriber_from_the_admin(client, admin_user):
    client.force_login(admin_user)
    subscriber = SubscriberFactory(email="gdpr@example.org")
    export = client.get(f"/admin/newsletters/subscriber/{subscriber.pk}/export/")
    assert json.loads(export.content)["email"] == "gdpr@example.org"
    assert (
        "Erase personal data"
        in client.get(f"/admin/newsletters/subscriber/{subscriber.pk}/change/").content.decode()
    )
    assert client.get(f"/admin/newsletters/subscriber/{subscriber.pk}/erase/").status_code == 200
    client.post(f"/admin/newsletters/subscriber/{subscriber.pk}/erase/")
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_a_viewer_cannot_erase_or_send(client, viewer_user):
    client.force_login(viewer_user)
    subscriber = SubscriberFactory()
    newsletter = NewsletterFactory(topics=[TopicFactory()])
    assert client.post(f"/admin/newsletters/subscriber/{subscriber.pk}/erase/").status_code == 403
    assert (
        client.post(f"/admin/newsletters/newsletter/{newsletter.pk}/act/", {"do": "send"}).status_code == 403
    )
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.DRAFT


def test_the_admin_lists_render(comms_client):
    SubscriberFactory(topics=[TopicFactory()])
    for path in ("subscriber", "topic", "delivery", "bounceevent", "consentwording", "newsletter"):
        assert comms_client.get(f"/admin/newsletters/{path}/").status_code == 200, path
    assert comms_client.get("/admin/newsletters/newsletter/add/").status_code == 200


def test_the_demo_loader_is_idempotent():
    load(profile="demo")
    load(profile="demo")
    assert Topic.objects.filter(slug="removals-policy").count() == 1
    assert Subscriber.objects.filter(status="confirmed").count() == 3
    assert all(s.consents.count() == 1 for s in Subscriber.objects.all())
