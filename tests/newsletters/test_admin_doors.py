"""The subscriber screens are one more door to the subscription services: adding, editing and deleting a
subscriber in the admin keeps the rules the public form and the API keep (double opt-in, a consent record,
status changed only by the person, erasure that keeps delivery counts)."""

import pytest
from django.urls import reverse

from coalition.models import OutboundEmail
from newsletters.models import ConsentRecord, Delivery, Subscriber, Topic
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:newsletters_subscriber_add")


def _change(subscriber: Subscriber) -> str:
    return reverse("admin:newsletters_subscriber_change", args=[subscriber.pk])


def subscriber_form(**fields) -> dict:
    data = {
        "name": "",
        "contact": "",
        "preferred_language": "",
        "consents-TOTAL_FORMS": "0",
        "consents-INITIAL_FORMS": "0",
        "consents-MIN_NUM_FORMS": "0",
        "consents-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_subscriber_added_by_staff_is_pending_with_a_consent_record_and_a_confirmation_email(staff_client):
    topic = TopicFactory(name="Removals policy")
    response = staff_client.post(
        ADD,
        subscriber_form(
            email="Ana.Silva@Example.org",
            name="Ana Silva",
            topics=[topic.pk],
            preferred_language="es",
            status="confirmed",  # read-only on the page: a forged field changes nothing
        ),
        follow=True,
    )
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ana.silva@example.org"
    assert subscriber.status == Subscriber.Status.PENDING and subscriber.confirmed_at is None
    assert [t.name for t in subscriber.topics.all()] == ["Removals policy"]
    consent = subscriber.consents.get()
    assert consent.method == ConsentRecord.Method.IMPORT and consent.language == "es"
    email = OutboundEmail.objects.get(kind="newsletters.confirmation")
    assert email.to == "ana.silva@example.org" and "/es/subscribe/confirm/" in email.body_text
    assert "confirmation email is on its way to ana.silva@example.org" in response.content.decode()


def test_adding_an_address_that_is_already_there_is_a_form_error_and_sends_nothing(staff_client):
    SubscriberFactory(email="left@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    response = staff_client.post(ADD, subscriber_form(email="LEFT@example.org"))
    assert response.status_code == 200
    assert "There is already a subscriber with this email." in response.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED
    assert not OutboundEmail.objects.exists() and not ConsentRecord.objects.exists()


def test_an_edit_changes_name_topics_and_language_but_never_the_address_or_status(staff_client):
    kept, dropped = TopicFactory(name="Kept"), TopicFactory(name="Dropped")
    subscriber = SubscriberFactory(
        email="reader@example.org", status=Subscriber.Status.UNSUBSCRIBED, topics=[dropped]
    )
    page = staff_client.get(_change(subscriber))
    assert "email" not in page.context["adminform"].form.fields
    response = staff_client.post(
        _change(subscriber),
        subscriber_form(
            email="someone.else@example.org",
            name="Reader Renamed",
            topics=[kept.pk],
            preferred_language="fr",
            status="confirmed",
        ),
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@example.org"
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert (subscriber.name, subscriber.preferred_language) == ("Reader Renamed", "fr")
    assert list(subscriber.topics.values_list("name", flat=True)) == ["Kept"]


def test_deleting_in_the_admin_erases_and_keeps_the_delivery_counts(staff_client):
    topic = Topic.objects.get(slug="progress-updates")
    subscriber = SubscriberFactory(email="gone@example.org", topics=[topic])
    sent, queued = NewsletterFactory(topics=[topic]), NewsletterFactory(topics=[topic])
    Delivery.objects.create(newsletter=sent, subscriber=subscriber, status=Delivery.Status.SENT)
    Delivery.objects.create(newsletter=queued, subscriber=subscriber, status=Delivery.Status.QUEUED)
    OutboundEmail.objects.create(kind="newsletters.confirmation", to="gone@example.org", subject="Confirm")
    delete = reverse("admin:newsletters_subscriber_delete", args=[subscriber.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Subscriber.objects.exists()
    assert sorted(Delivery.objects.values_list("status", "subscriber")) == [
        (Delivery.Status.SENT, None),
        (Delivery.Status.SKIPPED, None),
    ]
    assert not OutboundEmail.objects.filter(to="gone@example.org").exists()


def test_the_delete_action_on_the_list_erases_each_selected_subscriber(staff_client):
    topic = Topic.objects.get(slug="progress-updates")
    first, second = SubscriberFactory(topics=[topic]), SubscriberFactory(topics=[topic])
    newsletter = NewsletterFactory(topics=[topic])
    for subscriber in (first, second):
        Delivery.objects.create(newsletter=newsletter, subscriber=subscriber, status=Delivery.Status.QUEUED)
    response = staff_client.post(
        reverse("admin:newsletters_subscriber_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Subscriber.objects.exists()
    assert list(Delivery.objects.values_list("status", flat=True)) == [Delivery.Status.SKIPPED] * 2
