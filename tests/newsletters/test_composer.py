"""The newsletter composer's server side: the live preview (the sending code, unsaved content), the live
audience count, the confirmation step, the schedule in the secretariat's time zone and a sent newsletter's
outcome (delivered, failed, bounced, unsubscribed)."""

import uuid
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from newsletters import selectors, services
from newsletters.models import BounceEvent, Delivery, Newsletter, Subscriber
from newsletters.sending import rendering
from newsletters.sending import services as sending
from tests.members.factories import ContactFactory, OrganisationFactory

from .conftest import run_send_in_process
from .factories import NewsletterFactory, SubscriberFactory, TopicFactory, bulk_subscribers

pytestmark = pytest.mark.django_db

PREVIEW = "/admin/newsletters/newsletter/composer/preview/"
AUDIENCE = "/admin/newsletters/newsletter/composer/audience/"


@pytest.fixture
def comms_client(client, comms_user):
    client.force_login(comms_user)
    return client


def test_the_preview_renders_unsaved_content_exactly_as_the_sent_message_is_built(comms_client, comms_user):
    newsletter = NewsletterFactory(subject="Saved subject", body_markdown="Saved body")
    posted = {
        "newsletter": newsletter.pk,
        "subject": "Typed subject",
        "preheader": "Typed preheader",
        "body_markdown": "Hello {{ name }}.\n\n## Typed heading\n\n<script>alert(1)</script>",
    }

    answer = comms_client.post(PREVIEW, posted).json()

    expected = rendering.newsletter_message(
        rendered=rendering.newsletter_render(
            subject="Typed subject", preheader="Typed preheader", body_markdown=posted["body_markdown"]
        ),
        name=comms_user.get_full_name(),
        email=services.PREVIEW_EMAIL,
        key=uuid.UUID(int=0),
        newsletter_id=newsletter.pk,
    )
    assert answer["subject"] == "Typed subject"
    assert answer["text"] == expected.body
    assert answer["html"] == expected.alternatives[0][0]
    assert "<h2>Typed heading</h2>" in answer["html"] and "<script" not in answer["html"]
    assert f"Hello {comms_user.get_full_name()}." in answer["text"]
    newsletter.refresh_from_db()
    assert newsletter.subject == "Saved subject"  # nothing saved


def test_the_preview_of_a_sent_newsletter_shows_what_was_sent_not_what_is_posted(comms_client):
    topic = TopicFactory()
    bulk_subscribers(topic, 1, prefix="sentpreview")
    newsletter = NewsletterFactory(topics=[topic], subject="As sent", body_markdown="Sent words")
    sending.newsletter_send(newsletter=newsletter)

    answer = comms_client.post(
        PREVIEW, {"newsletter": newsletter.pk, "subject": "Other", "body_markdown": "Other words"}
    ).json()

    assert answer["subject"] == "As sent" and "Sent words" in answer["text"]


def test_the_composer_endpoints_are_for_staff_only_and_take_posts(outsider_user, comms_client):
    assert Client().post(PREVIEW, {"subject": "x"}).status_code == 302  # to the login page
    outsider = Client()
    outsider.force_login(outsider_user)
    assert outsider.post(AUDIENCE, {}).status_code == 302
    assert comms_client.get(PREVIEW).status_code == 403
    assert comms_client.get(AUDIENCE).status_code == 403


def test_the_audience_count_follows_unsaved_topics_and_organisation_filters(comms_client):
    removals, finance = TopicFactory(), TopicFactory()
    bulk_subscribers(removals, 3, prefix="aud-removals")
    bulk_subscribers(finance, 2, prefix="aud-finance")
    bulk_subscribers(finance, 4, prefix="aud-pending", status=Subscriber.Status.PENDING)
    company = OrganisationFactory(kind="company", country="DK")
    SubscriberFactory(topics=[finance], contact=ContactFactory(organisation=company))

    def count(**data):
        return comms_client.post(AUDIENCE, data).json()

    assert count() == {"count": 0, "text": "Choose at least one topic to see who it goes to."}
    assert count(topics=[removals.pk]) == {"count": 3, "text": "Goes to 3 confirmed subscribers."}
    assert count(topics=[removals.pk, finance.pk])["count"] == 6
    assert count(topics=[removals.pk, finance.pk], organisation_kinds=["company"]) == {
        "count": 1,
        "text": "Goes to 1 confirmed subscriber.",
    }
    assert count(topics=[finance.pk], organisation_countries=["SE"])["count"] == 0
    assert count(topics=[finance.pk], organisation_countries=["DK", "nonsense"])["count"] == 1


def test_the_confirmation_step_shows_the_audience_and_sends_through_the_send_action(comms_client):
    topic = TopicFactory()
    bulk_subscribers(topic, 4, prefix="confirm")
    newsletter = NewsletterFactory(topics=[topic])

    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/confirm/").content.decode()
    assert 'id="confirm-audience">4<' in page and "Yes, send it to 4 subscribers" in page
    assert f'action="/admin/newsletters/newsletter/{newsletter.pk}/act/"' in page
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.DRAFT  # looking sends nothing

    comms_client.post(f"/admin/newsletters/newsletter/{newsletter.pk}/act/", {"do": "send"})
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING
    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/confirm/").content.decode()
    assert "it cannot be sent from here" in page and "Yes, send it" not in page


def test_a_viewer_sees_no_confirmation_step(client, viewer_user):
    newsletter = NewsletterFactory()
    client.force_login(viewer_user)
    assert client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/confirm/").status_code == 403


def test_scheduling_reads_the_time_in_the_secretariats_time_zone(comms_client, settings):
    settings.TIME_ZONE = "Europe/Copenhagen"
    topic = TopicFactory()
    newsletter = NewsletterFactory(topics=[topic])
    year = timezone.now().year + 1

    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/").content.decode()
    assert "Send at (Europe/Copenhagen time)" in page
    response = comms_client.post(
        f"/admin/newsletters/newsletter/{newsletter.pk}/act/", {"do": "schedule", "at": f"{year}-01-15T09:00"}
    )

    assert response.status_code == 302
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SCHEDULED
    assert newsletter.scheduled_at.astimezone(UTC).strftime("%H:%M") == "08:00"  # CET is UTC+1
    page = comms_client.get(response["Location"]).content.decode()
    assert f"Scheduled for 15 Jan {year} 09:00 (Europe/Copenhagen)." in page


def test_a_sent_newsletter_shows_delivered_failed_bounced_and_unsubscribed(comms_client):
    topic = TopicFactory()
    readers = bulk_subscribers(topic, 5, prefix="outcome")
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    run_send_in_process(newsletter)
    Delivery.objects.filter(newsletter=newsletter, subscriber=readers[0]).update(
        status=Delivery.Status.FAILED, last_error="550 no such user"
    )
    newsletter.refresh_from_db()
    later = newsletter.started_at + timedelta(minutes=5)
    BounceEvent.objects.create(subscriber=readers[1], kind="hard_bounce", provider="test", occurred_at=later)
    BounceEvent.objects.create(
        subscriber=readers[2], kind="soft_bounce", provider="test", occurred_at=later - timedelta(days=30)
    )  # before this newsletter: not its bounce
    Subscriber.objects.filter(pk=readers[3].pk).update(status="unsubscribed", status_changed_at=later)

    outcome = selectors.newsletter_outcome(newsletter=newsletter)
    assert outcome.as_dict() == {"delivered": 4, "failed": 1, "bounced": 1, "unsubscribed": 1}

    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/").content.decode()
    assert 'data-outcome="delivered">4<' in page and 'data-outcome="unsubscribed">1<' in page
    progress = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/progress/").json()
    assert progress["outcome"] == outcome.as_dict()


def test_a_draft_has_no_outcome_yet(comms_client):
    newsletter = NewsletterFactory()
    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/").content.decode()
    assert 'id="newsletter-outcome" hidden' in page
    assert (
        comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/progress/").json()["outcome"] is None
    )


def test_a_new_newsletter_opens_in_the_composer_and_previews_before_it_is_saved(comms_client):
    page = comms_client.get("/admin/newsletters/newsletter/add/").content.decode()
    assert 'id="composer"' in page and 'id="preview-frame"' in page and "newsletters/composer.js" in page
    assert "Save the draft to send a test, schedule it or send it." in page

    answer = comms_client.post(PREVIEW, {"subject": "First draft", "body_markdown": "*Hi*"}).json()

    assert answer["subject"] == "First draft" and "<em>Hi</em>" in answer["html"]
    assert not Newsletter.objects.exists()


def test_the_topic_picker_shows_each_topics_confirmed_subscribers(comms_client):
    topic = TopicFactory(name="Removals")
    bulk_subscribers(topic, 3, prefix="picker")
    bulk_subscribers(topic, 2, prefix="picker-pending", status=Subscriber.Status.PENDING)
    newsletter = NewsletterFactory(topics=[topic])

    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/").content.decode()

    assert "Removals (3 confirmed)" in page


def test_the_composers_topic_boxes_stand_alone_without_an_add_or_edit_menu(comms_client):
    TopicFactory(name="Removal science")
    page = comms_client.get("/admin/newsletters/newsletter/add/").content.decode()
    assert 'name="topics"' in page and "Removal science" in page
    assert (
        'id="add_id_topics"' not in page
        and "related-widget-wrapper" not in page.split('name="topics"')[0][-400:]
    )
