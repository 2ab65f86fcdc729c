import pytest
from django.test import Client

from newsletters.models import Subscriber
from newsletters.sending.rendering import subscriber_token, unsubscribe_url
from tests.newsletters.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def _path(subscriber) -> str:
    return f"/subscription/unsubscribe/{subscriber_token(subscriber.key)}/"


def test_the_unsubscribe_url_is_absolute_on_the_site():
    subscriber = SubscriberFactory.build()
    assert unsubscribe_url(subscriber.key).startswith("http://127.0.0.1:8000/subscription/unsubscribe/")


def test_a_one_click_post_without_cookies_or_csrf_unsubscribes_at_once_with_200():
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(_path(subscriber), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200  # not a redirect
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED and subscriber.status_changed_at


def test_get_shows_a_confirmation_button_and_changes_nothing():
    subscriber = SubscriberFactory()
    response = Client().get(_path(subscriber))
    assert response.status_code == 200 and b'<form method="post">' in response.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_a_bounced_address_stays_bounced_after_unsubscribing():
    subscriber = SubscriberFactory(status=Subscriber.Status.BOUNCED)
    Client().post(_path(subscriber))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


def test_a_forged_token_is_refused_with_400():
    response = Client().post("/subscription/unsubscribe/not-a-token/")
    assert response.status_code == 400 and b"not valid" in response.content
