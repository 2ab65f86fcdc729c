import re
import time

import pytest
from django.core import mail, signing
from django.test import Client

from coalition import hooks
from coalition.antispam import _SALT as STARTED_SALT
from coalition.models import OutboundEmail
from members.models import Enquiry
from newsletters.models import ConsentRecord, Subscriber, Topic
from newsletters.subscriptions import services as subscriptions
from tests.newsletters.factories import SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _started(seconds_ago: float = 10) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=STARTED_SALT)


def _confirm_link(email: OutboundEmail) -> str:
    return re.search(r"(/subscribe/confirm/[^/\s]+/)", email.body_text).group(1)


@pytest.fixture
def topics():
    return {
        "progress": Topic.objects.get(slug="progress-updates"),
        "policy": TopicFactory(slug="removals-policy", name="Carbon removal policy"),
        "hidden": TopicFactory(slug="members-briefing", name="Members' briefing", public=False),
    }


def test_the_subscribe_page_shows_public_topics_and_the_consent_wording(client, topics):
    page = client.get("/subscribe/").content.decode()
    assert "Carbon removal policy" in page and "Members&#x27; briefing" not in page
    from django.utils.html import escape

    assert escape(subscriptions.consent_wording_current().text) in page
    assert 'name="homepage"' in page


def test_signing_up_on_the_form_creates_a_pending_subscriber_and_a_confirmation_email(client, topics):
    response = client.post(
        "/subscribe/",
        {
            "email": "Ingrid.Lund@Example.org",
            "name": "Ingrid",
            "topics": [topics["policy"].pk],
            "form_started": _started(),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/subscribe/thanks/"
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ingrid.lund@example.org" and subscriber.status == Subscriber.Status.PENDING
    consent = subscriber.consents.get()
    assert consent.method == ConsentRecord.Method.FORM and consent.wording.version == 1
    assert consent.ip_address is None  # recording the IP is off by default
    email = OutboundEmail.objects.get(kind="newsletters.confirmation")
    assert email.to == "ingrid.lund@example.org" and "/subscribe/confirm/" in email.body_text


def test_the_ip_address_is_recorded_only_when_the_setting_is_on(client, topics, settings):
    settings.NEWSLETTER_RECORD_IP = True
    client.post(
        "/subscribe/", {"email": "a@example.org", "form_started": _started()}, REMOTE_ADDR="192.0.2.7"
    )
    assert ConsentRecord.objects.get().ip_address == "192.0.2.7"


def test_the_honeypot_rejects_a_bot_with_a_message(client, topics):
    response = client.post(
        "/subscribe/", {"email": "bot@example.org", "homepage": "http://spam", "form_started": _started()}
    )
    assert response.status_code == 400 and "automated" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_the_api_answers_the_same_for_a_new_a_pending_and_a_confirmed_address(anon_api, topics):
    SubscriberFactory(email="known@example.org", topics=[topics["progress"]])
    answers = []
    for address in ("new@example.org", "new@example.org", "KNOWN@example.org"):
        response = anon_api.post(
            "/api/v1/subscriptions/", {"email": address, "topics": ["removals-policy"]}, format="json"
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] == answers[2] and answers[0][0] == 202
    # The confirmed subscriber is told privately, and nothing about their subscription changes.
    known = Subscriber.objects.get(email="known@example.org")
    assert list(known.topics.all()) == [topics["progress"]] and not known.consents.exists()
    assert (
        OutboundEmail.objects.filter(kind="newsletters.already_subscribed", to="known@example.org").count()
        == 1
    )


def test_the_api_refuses_a_filled_honeypot_and_an_unknown_topic_with_messages(anon_api, topics):
    response = anon_api.post(
        "/api/v1/subscriptions/", {"email": "x@example.org", "homepage": "y"}, format="json"
    )
    assert response.status_code == 400 and "automated" in str(response.json())
    response = anon_api.post(
        "/api/v1/subscriptions/", {"email": "x@example.org", "topics": ["members-briefing"]}, format="json"
    )
    assert response.status_code == 400 and "topics" in response.json()


def test_sign_ups_are_throttled(anon_api, topics, monkeypatch):
    from coalition.throttles import PublicRateThrottle

    # The class keeps the rates it read at import; patch them for this test only (monkeypatch restores
    # the original dict, so a later test never inherits "2/hour").
    rates = {**PublicRateThrottle.THROTTLE_RATES, "subscriptions": "2/hour"}
    monkeypatch.setattr(PublicRateThrottle, "THROTTLE_RATES", rates)
    codes = [
        anon_api.post("/api/v1/subscriptions/", {"email": f"r{i}@example.org"}, format="json").status_code
        for i in range(3)
    ]
    assert codes == [202, 202, 429]


def test_following_the_confirmation_link_confirms_with_the_requested_name_and_topics(client, topics):
    subscriptions.subscription_request(
        email="amara@example.org", name="Amara", topics=[topics["policy"]], method=ConsentRecord.Method.API
    )
    link = _confirm_link(OutboundEmail.objects.get())
    # Opening the link (a mail scanner does) changes nothing; the button does.
    assert client.get(link).status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert client.post(link).status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED and subscriber.name == "Amara"
    assert list(subscriber.topics.all()) == [topics["policy"]]
    assert subscriber.consents.get().confirmed_at is not None


def test_an_expired_or_tampered_confirmation_link_is_refused_with_a_message(client, topics, settings):
    subscriptions.subscription_request(email="late@example.org", method=ConsentRecord.Method.FORM)
    link = _confirm_link(OutboundEmail.objects.get())
    assert client.post(link[:-5] + "xxxx/").status_code == 400
    settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS = -1
    response = client.post(link)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_someone_who_unsubscribed_must_confirm_again_to_come_back(client, topics):
    subscriber = SubscriberFactory(email="back@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    subscriptions.subscription_request(email="back@example.org", method=ConsentRecord.Method.FORM)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    client.post(_confirm_link(OutboundEmail.objects.get(kind="newsletters.confirmation")))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_an_old_confirmation_link_cannot_undo_a_later_unsubscribe(client, topics):
    subscriptions.subscription_request(email="once@example.org", method=ConsentRecord.Method.FORM)
    link = _confirm_link(OutboundEmail.objects.get())
    client.post(link)
    subscriptions.subscriber_unsubscribe(subscriber=Subscriber.objects.get())
    client.post(link)
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED


def test_the_email_is_unique_whatever_its_case(topics):
    SubscriberFactory(email="case@example.org")
    subscriptions.subscription_request(email="CASE@Example.ORG", method=ConsentRecord.Method.FORM)
    assert Subscriber.objects.count() == 1
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.bulk_create([Subscriber(email="Case@example.org")])


def test_an_enquiry_that_wants_updates_starts_a_pending_subscription(topics):
    enquiry = Enquiry.objects.create(
        organisation_name="Climeworks",
        organisation_kind="company",
        contact_name="Jan Wurzbacher",
        email="jan@climeworks.example.com",
        motivation="Removals",
        consent_to_contact=True,
        wants_updates=True,
    )
    hooks.run("enquiry_submitted", enquiry=enquiry)
    subscriber = Subscriber.objects.get(email="jan@climeworks.example.com")
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.consents.get().method == ConsentRecord.Method.ENQUIRY
    assert OutboundEmail.objects.filter(kind="newsletters.confirmation", to=subscriber.email).exists()


def test_a_resubmitted_enquiry_sends_no_second_confirmation_and_approval_links_the_contact(topics):
    from tests.members.factories import ContactFactory

    enquiry = Enquiry.objects.create(
        organisation_name="Ørsted", organisation_kind="company", contact_name="Mads",
        email="mads@orsted.example.com", motivation="x", consent_to_contact=True, wants_updates=True,
    )  # fmt: skip
    hooks.run("enquiry_submitted", enquiry=enquiry)
    hooks.run("enquiry_submitted", enquiry=enquiry)
    assert OutboundEmail.objects.filter(kind="newsletters.confirmation").count() == 1
    enquiry.contact = ContactFactory(email="mads@orsted.example.com")
    enquiry.save()
    hooks.run("enquiry_approved", enquiry=enquiry)
    assert Subscriber.objects.get(email="mads@orsted.example.com").contact == enquiry.contact


def test_an_enquiry_without_the_tick_starts_nothing(topics):
    enquiry = Enquiry.objects.create(
        organisation_name="Acme",
        organisation_kind="company",
        contact_name="A",
        email="a@acme.example.com",
        motivation="x",
        consent_to_contact=True,
        wants_updates=False,
    )
    hooks.run("enquiry_submitted", enquiry=enquiry)
    assert not Subscriber.objects.exists()


def test_a_confirmation_email_reaches_the_smtp_server(mailbox, topics):
    subscriptions.subscription_request(email="smtp@example.org", method=ConsentRecord.Method.FORM)
    from coalition.outbox.services import outbox_send

    outbox_send(email_id=OutboundEmail.objects.get().pk)
    message = mailbox.wait_for(1)[0]
    assert "confirm" in message["Subject"].lower()
    assert "/subscribe/confirm/" in message.get_body(("plain",)).get_content()
    assert not mail.outbox


def test_preferences_change_topics_and_name_and_keep_hidden_topics(topics):
    subscriber = SubscriberFactory(topics=[topics["progress"], topics["hidden"]])
    from newsletters.sending.rendering import subscriber_token

    client = Client()
    url = f"/subscription/preferences/{subscriber_token(subscriber.key)}/"
    assert "Your email preferences" in client.get(url).content.decode()
    response = client.post(url, {"name": "New Name", "topics": [topics["policy"].pk]})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.name == "New Name"
    assert set(subscriber.topics.values_list("slug", flat=True)) == {"removals-policy", "members-briefing"}
    response = client.post(url, {"name": "New Name"})
    assert response.status_code == 400 and "at least one topic" in response.content.decode()
    client.post(url, {"name": "x", "unsubscribe_all": "on"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_a_new_consent_wording_is_a_new_version_and_old_consents_keep_theirs(client, topics, admin_user):
    subscriptions.subscription_request(email="v1@example.org", method=ConsentRecord.Method.FORM)
    client.force_login(admin_user)
    client.post(
        "/admin/newsletters/consentwording/add/", {"text": "Send me the updates. I can leave any time."}
    )
    assert subscriptions.consent_wording_current().version == 2
    subscriptions.subscription_request(email="v2@example.org", method=ConsentRecord.Method.FORM)
    assert ConsentRecord.objects.get(subscriber__email="v1@example.org").wording.version == 1
    assert ConsentRecord.objects.get(subscriber__email="v2@example.org").wording.text.startswith("Send me")


def test_a_published_consent_wording_is_neither_changed_nor_deleted_in_the_admin(client, admin_user):
    wording = subscriptions.consent_wording_current()
    client.force_login(admin_user)
    assert (
        client.post(f"/admin/newsletters/consentwording/{wording.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    client.post(
        "/admin/newsletters/consentwording/",
        {"action": "delete_selected", "_selected_action": [wording.pk], "post": "yes"},
    )
    assert subscriptions.consent_wording_current() == wording
