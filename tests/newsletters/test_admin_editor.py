"""The newsletter editor in the admin: its buttons outside the admin's form, edits through the service,
tests of the unsaved form, and the warning when no scheduler runs."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from coalition import scheduler
from coalition.models import OutboundEmail
from newsletters.models import Newsletter
from newsletters.sending import services as sending

from .factories import NewsletterFactory, TopicFactory, bulk_subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def comms_client(client, comms_user):
    client.force_login(comms_user)
    return client


class FormNesting(HTMLParser):
    """Records, for every <form id=…>, the ids of the forms it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.parents: dict[str, list[str]] = {}
        self.buttons: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            name = attrs.get("id") or f"form{len(self.parents)}"
            self.parents[name] = list(self.open)
            self.open.append(name)
        elif tag == "button" and self.open:
            self.buttons.setdefault(self.open[-1], []).append(attrs.get("type", "submit"))

    def handle_endtag(self, tag):
        if tag == "form" and self.open:
            self.open.pop()


def _editor_post(newsletter: Newsletter, **changes) -> dict:
    data = {
        "subject": newsletter.subject,
        "preheader": newsletter.preheader,
        "body_markdown": newsletter.body_markdown,
        "topics": [t.pk for t in newsletter.topics.all()],
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_every_sending_button_sits_in_a_form_of_its_own_outside_the_admin_form(comms_client):
    topic = TopicFactory()
    bulk_subscribers(topic, 2, prefix="nest")
    newsletter = NewsletterFactory(topics=[topic])
    page = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/").content.decode()
    parser = FormNesting()
    parser.feed(page)
    for form in ("nl-send", "nl-schedule", "nl-test"):
        assert parser.parents[form] == [], f"{form} is nested in {parser.parents[form]}"
        assert parser.buttons[form] == ["submit"]
    assert "newsletter_form" in parser.parents
    assert 'data-confirm="Send this newsletter to 2 subscribers now?"' in page


def test_saving_the_editor_goes_through_the_service_and_records_the_author(comms_client, comms_user):
    topic = TopicFactory()
    response = comms_client.post(
        "/admin/newsletters/newsletter/add/",
        {"subject": "Removals in NDCs", "preheader": "", "body_markdown": "Hello", "topics": [topic.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Newsletter.objects.get(subject="Removals in NDCs")
    assert created.created_by == comms_user and list(created.topics.all()) == [topic]
    comms_client.post(
        f"/admin/newsletters/newsletter/{created.pk}/change/", _editor_post(created, subject="Removals 2")
    )
    created.refresh_from_db()
    assert created.subject == "Removals 2"


def test_the_admin_cannot_edit_a_newsletter_that_is_sending(comms_client):
    topic = TopicFactory()
    bulk_subscribers(topic, 2, prefix="lock")
    newsletter = NewsletterFactory(topics=[topic], subject="Frozen subject")
    sending.newsletter_send(newsletter=newsletter)
    response = comms_client.post(
        f"/admin/newsletters/newsletter/{newsletter.pk}/change/",
        _editor_post(newsletter, subject="Changed while sending"),
    )
    assert response.status_code == 200
    assert "it can no longer be edited" in response.content.decode()
    newsletter.refresh_from_db()
    assert newsletter.subject == "Frozen subject"


def test_an_edit_refused_by_the_service_is_shown_on_the_form_and_not_saved(comms_client, monkeypatch):
    """The race: the editor was opened on a draft, and the send started before "Save"."""
    topic = TopicFactory()
    newsletter = NewsletterFactory(topics=[topic], subject="Draft subject")
    post = _editor_post(newsletter, subject="Saved too late")
    Newsletter.objects.filter(pk=newsletter.pk).update(status=Newsletter.Status.SENDING)
    # The admin decides which fields are editable from the row it loads; make it load the draft it showed.
    from newsletters.admin import NewsletterAdmin

    monkeypatch.setattr(NewsletterAdmin, "get_readonly_fields", lambda self, request, obj=None: ["kind"])
    response = comms_client.post(f"/admin/newsletters/newsletter/{newsletter.pk}/change/", post)
    assert response.status_code == 200
    assert "This newsletter is sending; it can no longer be edited." in response.content.decode()
    newsletter.refresh_from_db()
    assert newsletter.subject == "Draft subject"


def test_send_test_sends_the_unsaved_form_and_says_so_without_saving_it(comms_client):
    topic = TopicFactory()
    newsletter = NewsletterFactory(topics=[topic], subject="Saved subject", body_markdown="Saved body")
    response = comms_client.post(
        f"/admin/newsletters/newsletter/{newsletter.pk}/act/",
        {
            **_editor_post(newsletter, subject="Unsaved subject", body_markdown="Unsaved **body**"),
            "do": "test",
            "to": "chris@secretariat.example.org",
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json() == {
        "ok": True,
        "message": "A test of the form as it is now (unsaved edits included) is on its way to "
        "chris@secretariat.example.org.",
    }
    email = OutboundEmail.objects.get(kind="newsletters.test")
    assert email.subject == "[Test] Unsaved subject"
    assert "Unsaved body" in email.body_text  # the text part is plain text, not Markdown
    newsletter.refresh_from_db()
    assert newsletter.subject == "Saved subject" and newsletter.body_markdown == "Saved body"


def test_send_test_without_the_form_sends_the_saved_version_and_says_which(comms_client):
    newsletter = NewsletterFactory(topics=[TopicFactory()], subject="Saved subject")
    response = comms_client.post(
        f"/admin/newsletters/newsletter/{newsletter.pk}/act/",
        {"do": "test", "to": "chris@secretariat.example.org"},
        follow=True,
    )
    assert "A test of the saved version is on its way" in response.content.decode()
    assert OutboundEmail.objects.get(kind="newsletters.test").subject == "[Test] Saved subject"


def test_a_scheduled_newsletter_warns_when_no_scheduler_was_seen_recently(comms_client):
    newsletter = NewsletterFactory(topics=[TopicFactory()])
    sending.newsletter_schedule(newsletter=newsletter, at=timezone.now() + timedelta(hours=1))
    url = f"/admin/newsletters/newsletter/{newsletter.pk}/change/"
    scheduler.heartbeat_record(at=timezone.now() - timedelta(minutes=10))
    assert "No scheduler is running" in comms_client.get(url).content.decode()
    scheduler.heartbeat_record()
    assert "No scheduler is running" not in comms_client.get(url).content.decode()


def test_on_the_embedded_default_a_sending_newsletter_warns_when_no_scheduler_sends_it(
    comms_client, settings
):
    newsletter = NewsletterFactory(topics=[TopicFactory()], status=Newsletter.Status.SENDING)
    url = f"/admin/newsletters/newsletter/{newsletter.pk}/change/"
    scheduler.heartbeat_record(at=timezone.now() - timedelta(minutes=10))
    assert "No scheduler is running" not in comms_client.get(url).content.decode()  # a worker sends it
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: the scheduler process sends
    assert "it is what sends the messages" in comms_client.get(url).content.decode()
    scheduler.heartbeat_record()
    assert "No scheduler is running" not in comms_client.get(url).content.decode()


def test_the_progress_json_carries_the_status_for_the_live_page(comms_client):
    newsletter = NewsletterFactory(topics=[TopicFactory()])
    progress = comms_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/progress/").json()
    assert progress["status"] == "draft" and progress["status_display"] == "Draft"
