"""An address whose owner asked to be erased cannot be signed up again by staff: not by the subscriber
import (preview and run), nor by "add subscriber" in the API or the admin. The person's own sign-up still
works, and once they confirm it the erasure no longer stands in the way. Staff cannot send a confirmation
email to an address that unsubscribed, bounced or complained either."""

import re
import time
from datetime import UTC, datetime

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from coalition.antispam import _SALT as STARTED_SALT
from coalition.models import OutboundEmail
from members.models import ImportJob
from newsletters.models import ConsentRecord, ErasedAddress, Subscriber
from newsletters.subscriptions import services as subscriptions
from tests.members.import_files import csv_bytes
from tests.newsletters.test_admin_doors import subscriber_form

from .factories import SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

COLUMNS = ["email", "name", "topics"]
ERASED = "gone@ngo.example"
REFUSAL = "This address asked to be erased on {date}; it cannot be imported."
ONLY_THEMSELVES = "If the person asks to subscribe again, they can do so themselves on the sign-up page."


@pytest.fixture
def policy():
    return TopicFactory(slug="removals-policy", name="Carbon removal policy")


@pytest.fixture
def erased(policy) -> datetime:
    """A confirmed subscriber erased through the service, as the admin's and the API's erase buttons do."""
    gone = SubscriberFactory(email=ERASED, name="Gone", topics=[policy])
    subscriptions.subscriber_erase(subscriber=gone)
    return timezone.localdate()


@pytest.fixture
def staff(comms_user) -> Client:
    client = Client()
    client.force_login(comms_user)
    return client


def _csv(*rows: tuple[str, str, str]) -> bytes:
    return csv_bytes([dict(zip(COLUMNS, row, strict=True)) for row in rows], COLUMNS)


def _upload(staff: Client, content: bytes) -> str:
    """The staff import page: upload, then the preview page the job redirects to."""
    upload = SimpleUploadedFile("subscribers.csv", content)
    response = staff.post("/staff/imports/", {"resource": "subscribers", "file": upload}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def _confirm(staff: Client) -> tuple[ImportJob, str]:
    job = ImportJob.objects.get()
    page = staff.post(f"/staff/imports/{job.pk}/confirm/", follow=True).content.decode()
    job.refresh_from_db()
    return job, page


def _emails_to(address: str):
    return OutboundEmail.objects.filter(to__iexact=address)


def _started() -> str:
    return signing.dumps(time.time() - 10, salt=STARTED_SALT)


def _sign_up(email: str) -> None:
    response = Client().post(
        "/subscribe/", {"email": email, "name": "Back again", "form_started": _started()}
    )
    assert response.status_code == 302 and response["Location"] == "/subscribe/thanks/"


def _confirm_link(email: OutboundEmail) -> str:
    return re.search(r"(/subscribe/confirm/[^/\s]+/)", email.body_text).group(1)


def test_erasure_keeps_a_marker_without_the_address(erased):
    marker = ErasedAddress.objects.get()
    assert ERASED not in marker.digest and "gone" not in str(marker)
    assert timezone.localdate(marker.erased_at) == erased
    assert not Subscriber.objects.exists()


def test_the_staff_import_refuses_an_erased_address_in_preview_and_run_and_imports_the_other_row(
    staff, erased, policy
):
    content = _csv(
        (" GONE@ngo.example", "Gone", "removals-policy"),  # row 2: erased (any case, stray spaces)
        ("new@ngo.example", "New", "removals-policy"),  # row 3: a new address
    )
    message = REFUSAL.format(date=erased.isoformat())

    preview = _upload(staff, content)

    job = ImportJob.objects.get()
    assert job.dry_run and (job.created_count, job.error_count) == (1, 1)
    assert job.errors == [{"row": 2, "field": "email", "message": f"{message} {ONLY_THEMSELVES}"}]
    assert escape(message) in preview and escape(ONLY_THEMSELVES) in preview
    assert not Subscriber.objects.exists() and not OutboundEmail.objects.exists()

    job, done = _confirm(staff)

    assert not job.dry_run and (job.created_count, job.error_count) == (1, 1)
    assert [(e["row"], e["field"]) for e in job.errors] == [(2, "email")]
    assert escape(message) in done
    assert list(Subscriber.objects.values_list("email", "status")) == [("new@ngo.example", "pending")]
    assert not _emails_to(ERASED).exists()
    assert _emails_to("new@ngo.example").filter(kind="newsletters.confirmation").count() == 1
    assert not [m for m in mail.outbox if ERASED in [a.lower() for a in m.to]]
    assert ErasedAddress.objects.count() == 1  # still refused next time


def test_a_self_sign_up_after_erasure_works_and_once_confirmed_lifts_the_refusal(staff, erased, policy):
    _sign_up("Gone@ngo.example")

    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status) == (ERASED, Subscriber.Status.PENDING)
    assert subscriber.consents.get().method == ConsentRecord.Method.FORM
    confirmation = _emails_to(ERASED).get(kind="newsletters.confirmation")

    # Not confirmed yet: staff still cannot import the address (nor change the pending sign-up).
    _upload(staff, _csv((ERASED, "Imported name", "removals-policy")))
    job = ImportJob.objects.get()
    assert [(e["row"], e["field"]) for e in job.errors] == [(2, "email")]
    job.delete()

    assert Client().post(_confirm_link(confirmation)).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert not ErasedAddress.objects.exists()

    # Their own consent stands now: an import treats them as any known subscriber.
    _upload(staff, _csv((ERASED, "Imported name", "removals-policy")))
    job, _ = _confirm(staff)
    assert (job.updated_count, job.error_count) == (1, 0)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert set(subscriber.topics.values_list("slug", flat=True)) >= {"removals-policy"}
    assert _emails_to(ERASED).filter(kind="newsletters.confirmation").count() == 1


def test_the_api_and_the_admin_refuse_to_add_an_erased_address(comms_api, admin_client, erased):
    message = REFUSAL.format(date=erased.isoformat())

    response = comms_api.post("/api/v1/subscribers/", {"email": "Gone@ngo.example"}, format="json")

    assert response.status_code == 400
    assert response.json()["email"] == [f"{message} {ONLY_THEMSELVES}"]

    page = admin_client.post(
        reverse("admin:newsletters_subscriber_add"),
        subscriber_form(email=ERASED, name="Gone"),
    )

    assert page.status_code == 200 and escape(message) in page.content.decode()
    assert not Subscriber.objects.exists() and not ConsentRecord.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_the_api_and_the_admin_give_the_erasure_date_in_the_secretariats_zone(
    comms_api, admin_client, policy, settings
):
    # A zone whose date differs from UTC's now (UTC-12 before noon UTC, UTC+14 after); the API runs in UTC.
    settings.TIME_ZONE = "Etc/GMT+12" if datetime.now(UTC).hour < 12 else "Pacific/Kiritimati"
    subscriptions.subscriber_erase(subscriber=SubscriberFactory(email=ERASED, topics=[policy]))
    secretariat_date = timezone.localdate(timezone=timezone.get_default_timezone())
    assert secretariat_date != datetime.now(UTC).date()  # the case this test is about
    message = REFUSAL.format(date=secretariat_date.isoformat())

    response = comms_api.post("/api/v1/subscribers/", {"email": ERASED}, format="json")
    page = admin_client.post(reverse("admin:newsletters_subscriber_add"), subscriber_form(email=ERASED))

    assert response.status_code == 400 and response.json()["email"] == [f"{message} {ONLY_THEMSELVES}"]
    assert page.status_code == 200 and escape(message) in page.content.decode()


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Subscriber.Status.UNSUBSCRIBED, "This address unsubscribed on"),
        (Subscriber.Status.BOUNCED, "Emails to this address bounced"),
        (Subscriber.Status.COMPLAINED, "This address reported our email as spam on"),
    ],
)
def test_staff_cannot_send_a_confirmation_to_a_suppressed_address_through_the_api(comms_api, status, reason):
    left = SubscriberFactory(email="left@ngo.example", status=status, status_changed_at=timezone.now())

    response = comms_api.post(
        "/api/v1/subscribers/", {"email": "left@ngo.example", "topics": ["progress-updates"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["email"][0].startswith(reason) and ONLY_THEMSELVES in response.json()["email"][0]
    left.refresh_from_db()
    assert left.status == status and not left.consents.exists()
    assert not OutboundEmail.objects.exists()
    # The person can still come back themselves.
    _sign_up("left@ngo.example")
    assert _emails_to("left@ngo.example").filter(kind="newsletters.confirmation").count() == 1
