"""End to end with a real Celery worker, Redis and an SMTP server on loopback, and through a broker outage."""

import re
import time

import pytest
from django.test import Client

from coalition.celery import app as celery_app
from coalition.models import OutboundEmail
from coalition.outbox.tasks import outbox_sweep
from members.enquiries import services
from members.models import Contact, Engagement, Enquiry, Membership, Organisation
from tests.members.enquiry_factories import OpenTierFactory, form_data
from tests.waiting import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

APPLICANT = "ingrid@climeworks-nordic.example.com"
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once


def _status_link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S+(/join/status/[^/\s]+/)", text)
    assert match, text
    return match.group(1)


def _reset_broker_connections() -> None:
    """Forget the app's pooled broker connections so the next publish uses ``broker_url`` as it is now.

    (Kombu keeps one pool per broker address in a registry: the good one is reused, not closed.)"""
    celery_app._pool = None
    if "amqp" in celery_app.__dict__:
        celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings):
    """The test process's Celery broker and its cache both point at a Redis that is not there."""
    good = celery_app.conf.broker_url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    celery_app.conf.broker_url = UNREACHABLE
    _reset_broker_connections()
    yield
    celery_app.conf.broker_url = good
    _reset_broker_connections()


def test_a_form_submission_reaches_the_applicant_once_and_approval_welcomes_them_once(
    worker, mailbox, staff_user
):
    tier = OpenTierFactory()
    browser = Client()
    response = browser.post("/join/", form_data(tier=tier, email=APPLICANT))
    assert response.status_code == 302

    mailbox.wait_for(2)  # acknowledgement + secretariat notification
    outbox_sweep.delay()  # beat would run it too: it must not send anything again
    mailbox.settle()
    acknowledgements = mailbox.to(APPLICANT)
    assert len(acknowledgements) == 1
    ack = acknowledgements[0]
    assert ack["Subject"] == "We have received your enquiry to join Group of Negative Emitters"
    assert len(mailbox.to("secretariat@example.org")) == 1

    status_page = browser.get(_status_link(ack))
    assert status_page.status_code == 200
    assert "Received" in status_page.content.decode() and "Climeworks Nordic" in status_page.content.decode()

    enquiry = Enquiry.objects.get()
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    services.enquiry_approve(enquiry=Enquiry.objects.get(), by=staff_user)  # a double click
    mailbox.wait_for(3)
    outbox_sweep.delay()
    mailbox.settle()
    welcomes = [m for m in mailbox.to(APPLICANT) if m["Subject"].startswith("Welcome")]
    assert len(welcomes) == 1
    assert welcomes[0]["Subject"] == "Welcome to Group of Negative Emitters, Climeworks Nordic"
    assert len(mailbox.messages) == 3

    organisation = Organisation.objects.get(name="Climeworks Nordic")
    assert Contact.objects.get(organisation=organisation).email == APPLICANT
    assert Membership.objects.get(organisation=organisation).status == Membership.Status.ACTIVE
    assert Engagement.objects.get(organisation=organisation).kind == Engagement.Kind.JOINED
    assert wait_until(lambda: set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"})


def test_with_the_broker_down_a_submission_succeeds_and_the_sweep_delivers_it_once_later(
    worker, mailbox, broker_down, settings
):
    tier = OpenTierFactory()
    started = time.monotonic()
    response = Client().post("/join/", form_data(tier=tier, email=APPLICANT))
    took = time.monotonic() - started
    assert response.status_code == 302 and response["Location"] == "/join/thanks/"
    assert took < 10, f"the submission took {took:.1f}s with the broker down"

    enquiry = Enquiry.objects.get()
    assert enquiry.status == Enquiry.Status.RECEIVED
    pending = OutboundEmail.objects.filter(dedupe_key__startswith=f"enquiry:{enquiry.pk}:")
    assert sorted(pending.values_list("kind", "status")) == [
        ("enquiry.acknowledgement", "pending"),
        ("enquiry.notification", "pending"),
    ]
    # Nothing reached the worker: the sink stays empty.
    assert mailbox.settle(quiet=1.0) == []

    # The broker comes back; beat's sweep (sent here directly) runs on the real worker.
    celery_app.conf.broker_url = settings.CELERY_BROKER_URL
    _reset_broker_connections()
    outbox_sweep.delay()
    mailbox.wait_for(2)
    outbox_sweep.delay()  # a second sweep sends nothing again
    mailbox.settle()
    assert len(mailbox.to(APPLICANT)) == 1
    assert len(mailbox.messages) == 2
    assert wait_until(lambda: set(pending.values_list("status", flat=True)) == {"sent"})


def test_the_broker_override_really_fails_fast(broker_down):
    from coalition.queueing import enqueue

    started = time.monotonic()
    assert enqueue(outbox_sweep.name) is False
    assert time.monotonic() - started < 5


def test_once_the_broker_has_failed_the_next_tasks_of_the_process_do_not_wait_for_it(
    broker_down, monkeypatch
):
    """A broker that hangs would cost each task its timeouts: after one failure, the process leaves tasks
    to the sweep for a while without asking it (and asks again after that)."""
    from coalition import queueing

    assert queueing.enqueue(outbox_sweep.name) is False
    started = time.monotonic()
    assert [queueing.enqueue(outbox_sweep.name) for _ in range(3)] == [False] * 3
    assert queueing.enqueue_in(5, outbox_sweep.name) is False
    assert time.monotonic() - started < 0.1
    monkeypatch.setattr(queueing, "_broker_down_until", time.monotonic() - 1)  # the while is over
    calls = []
    monkeypatch.setattr(
        queueing._task(outbox_sweep.name), "apply_async", lambda **kwargs: calls.append(kwargs)
    )
    assert queueing.enqueue(outbox_sweep.name) is True and len(calls) == 1
