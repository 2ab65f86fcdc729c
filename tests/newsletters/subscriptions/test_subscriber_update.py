"""Staff edits of a subscriber go through ``subscriber_update``, from the API as from anywhere."""

import pytest

from newsletters.models import Subscriber
from newsletters.subscriptions.services import subscriber_update
from tests.newsletters.factories import SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_the_api_updates_name_and_topics_through_the_service(comms_api):
    subscriber = SubscriberFactory(name="Ana", status=Subscriber.Status.CONFIRMED)
    topic = TopicFactory(slug="ndc-watch")
    response = comms_api.patch(
        f"/api/v1/subscribers/{subscriber.pk}/",
        {"name": "  Ana Lucía  ", "topics": ["ndc-watch"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    subscriber.refresh_from_db()
    assert subscriber.name == "Ana Lucía"  # the service trims; the serializer alone kept the spaces
    assert list(subscriber.topics.all()) == [topic]


def test_the_api_cannot_change_an_address_or_a_status(comms_api):
    subscriber = SubscriberFactory(email="ana@example.org", status=Subscriber.Status.CONFIRMED)
    response = comms_api.patch(
        f"/api/v1/subscribers/{subscriber.pk}/", {"email": "eve@example.net"}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()
    subscriber.refresh_from_db()
    assert subscriber.email == "ana@example.org"


def test_the_service_refuses_a_status_change():
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    with pytest.raises(Exception) as excinfo:
        subscriber_update(subscriber=subscriber, status=Subscriber.Status.CONFIRMED)
    assert "status" in str(excinfo.value)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
