"""The daily digest of enquiries nobody has touched for more than ENQUIRY_REMINDER_DAYS days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coalition.models import OutboundEmail
from members.enquiries import services
from members.enquiries.tasks import enquiry_reminders_task
from members.models import Enquiry
from tests.members.enquiry_factories import EnquiryFactory

pytestmark = pytest.mark.django_db


def _age(enquiry, days: float) -> None:
    Enquiry.objects.filter(pk=enquiry.pk).update(last_activity_at=timezone.now() - timedelta(days=days))


def test_each_assignee_gets_their_stale_enquiries_and_the_secretariat_the_unassigned(staff_user, admin_user):
    mine = EnquiryFactory(assignee=staff_user, organisation_name="Stale For Sam")
    theirs = EnquiryFactory(assignee=admin_user, organisation_name="Stale For Alice")
    nobody = EnquiryFactory(organisation_name="Stale Unassigned")
    fresh = EnquiryFactory(assignee=staff_user, organisation_name="Fresh One")
    closed = EnquiryFactory(
        assignee=staff_user, organisation_name="Closed One", status=Enquiry.Status.DECLINED
    )
    for enquiry in (mine, theirs, nobody, closed):
        _age(enquiry, 6)
    _age(fresh, 4)

    assert enquiry_reminders_task() == 3
    by_recipient = {e.to: e for e in OutboundEmail.objects.filter(kind="enquiry.reminder")}
    assert set(by_recipient) == {staff_user.email, admin_user.email, "secretariat@example.org"}
    sams = by_recipient[staff_user.email]
    assert sams.subject == "1 enquiry waiting for more than 5 days"
    assert "Stale For Sam" in sams.body_text and "Fresh One" not in sams.body_text
    assert "Closed One" not in sams.body_text and "6 days untouched" in sams.body_text
    assert f"/admin/members/enquiry/{mine.pk}/change/" in sams.body_text
    assert "Stale Unassigned" in by_recipient["secretariat@example.org"].body_text


def test_running_the_reminder_twice_in_a_day_sends_one_digest(staff_user):
    _age(EnquiryFactory(assignee=staff_user), 10)
    enquiry_reminders_task()
    enquiry_reminders_task()
    assert OutboundEmail.objects.filter(kind="enquiry.reminder").count() == 1


def test_the_threshold_comes_from_the_setting(settings):
    settings.ENQUIRY_REMINDER_DAYS = 2
    _age(EnquiryFactory(), 3)
    assert services.enquiry_reminders_send() == 1
    email = OutboundEmail.objects.get(kind="enquiry.reminder")
    assert email.subject == "1 enquiry waiting for more than 2 days"


def test_acting_on_an_enquiry_takes_it_out_of_the_digest(staff_user):
    enquiry = EnquiryFactory()
    _age(enquiry, 9)
    services.enquiry_note_add(enquiry=enquiry, author=staff_user, body="Chased by phone.")
    assert services.enquiry_reminders_send() == 0


def test_the_reminder_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["enquiry-reminders"]
    assert entry["task"] == "members.tasks.enquiry_reminders_task"
    from coalition.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert "members.tasks.enquiry_reminders_task" in app.tasks
    assert enquiry_reminders_task.name == entry["task"]


def test_every_scheduled_entry_names_a_registered_task(settings):
    from coalition.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_a_very_long_recipient_address_still_gets_one_digest(settings):
    long_address = "a" * 64 + "@" + ("b" * 58 + ".") * 3 + "example.org"  # 253 characters
    settings.ENQUIRY_SECRETARIAT_RECIPIENTS = [long_address]
    _age(EnquiryFactory(), 10)
    services.enquiry_reminders_send()
    services.enquiry_reminders_send()
    email = OutboundEmail.objects.get(kind="enquiry.reminder")
    assert email.to == long_address and len(email.dedupe_key) <= 200
