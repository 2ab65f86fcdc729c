"""Postmark's tracking webhook, in the payload format Postmark documents, through django-anymail."""

import base64

import pytest
from django.test import Client
from django.utils import timezone

from newsletters.models import BounceEvent, Subscriber
from tests.newsletters.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

URL = "/anymail/postmark/tracking/"


def _auth(settings) -> dict:
    return {
        "HTTP_AUTHORIZATION": "Basic "
        + base64.b64encode(settings.ANYMAIL["WEBHOOK_SECRET"].encode()).decode()
    }


def _bounce(
    email: str, *, type_: str = "HardBounce", type_code: int = 1, id_: int = 4323372036854775807
) -> dict:
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": id_,
        "Type": type_,
        "TypeCode": type_code,
        "Name": "Hard bounce" if type_ == "HardBounce" else "Soft bounce",
        "Tag": "newsletter",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "no-reply@example.org",
        "BouncedAt": timezone.now().isoformat(),
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Progress update",
        "Content": "Return-Path: <>",
    }


def _complaint(email: str) -> dict:
    return {
        "RecordType": "SpamComplaint",
        "MessageStream": "outbound",
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Tag": "newsletter",
        "MessageID": "00000000-0000-0000-0000-000000000000",
        "Metadata": {},
        "ServerID": 1234,
        "Description": "",
        "Details": "Test spam complaint details",
        "Email": email,
        "From": "no-reply@example.org",
        "BouncedAt": "2026-11-05T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": False,
        "Subject": "Progress update",
        "Content": "<Abuse report dump>",
    }


def _post(settings, payload, **extra):
    return Client().post(URL, payload, content_type="application/json", **{**_auth(settings), **extra})


def test_a_hard_bounce_suppresses_the_subscriber_at_once(settings):
    subscriber = SubscriberFactory(email="gone@example.org")
    assert _post(settings, _bounce("Gone@Example.org")).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED
    event = BounceEvent.objects.get()
    assert (
        event.kind == BounceEvent.Kind.HARD_BOUNCE
        and event.provider == "postmark"
        and "5.1.1" in event.description
    )


def test_a_complaint_suppresses_the_subscriber_at_once(settings):
    subscriber = SubscriberFactory(email="angry@example.org")
    assert _post(settings, _complaint("angry@example.org")).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


def test_soft_bounces_suppress_only_after_the_configured_number(settings):
    settings.NEWSLETTER_SOFT_BOUNCE_LIMIT = 3
    subscriber = SubscriberFactory(email="full@example.org")
    for i in range(2):
        _post(settings, _bounce("full@example.org", type_="SoftBounce", type_code=4096, id_=100 + i))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    # The provider retrying the same event does not count twice.
    _post(settings, _bounce("full@example.org", type_="SoftBounce", type_code=4096, id_=101))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    _post(settings, _bounce("full@example.org", type_="SoftBounce", type_code=4096, id_=102))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


def test_the_webhook_refuses_requests_without_the_shared_secret(settings):
    subscriber = SubscriberFactory(email="safe@example.org")
    response = Client().post(URL, _bounce("safe@example.org"), content_type="application/json")
    assert response.status_code in (400, 401, 403)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_a_bounce_for_an_unknown_address_is_accepted_and_ignored(settings):
    assert _post(settings, _bounce("nobody@example.org")).status_code == 200
    assert not BounceEvent.objects.exists()


def test_a_suppressed_address_receives_nothing_until_it_confirms_again(settings, mailbox):
    from newsletters.models import ConsentRecord
    from newsletters.sending import services as sending
    from newsletters.subscriptions import services as subscriptions
    from tests.newsletters.conftest import run_send_in_process
    from tests.newsletters.factories import NewsletterFactory, TopicFactory

    settings.NEWSLETTER_RATE_LIMIT = 0
    topic = TopicFactory()
    subscriber = SubscriberFactory(email="bounce@example.org", topics=[topic])
    _post(settings, _bounce("bounce@example.org"))
    newsletter = NewsletterFactory(topics=[topic])
    sending.newsletter_send(newsletter=newsletter)
    run_send_in_process(newsletter)
    assert mailbox.settle(quiet=0.3) == []
    subscriptions.subscription_request(email="bounce@example.org", method=ConsentRecord.Method.FORM)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED
