"""End to end with a real Celery worker and an SMTP server on loopback: the invoice email arrives once,
with a PDF that opens; the daily reminder task sends a reminder once."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from coalition.outbox.tasks import outbox_sweep
from members.dues.services import invoice_send
from members.dues.tasks import renewal_reminders_task
from members.models import Invoice
from members.services import membership_start
from tests.members.factories import (
    ContactFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BILLING = "accounts@nordic-removals.example.no"


def test_a_new_fee_membership_mails_invoice_1_once_with_a_pdf_that_opens(worker, mailbox):
    tier = MembershipTierFactory(annual_fee=Decimal("1500.00"), currency="EUR", fee_first=True)
    organisation = OrganisationFactory(name="Nordic Removals")
    ContactFactory(organisation=organisation, email=BILLING, is_primary=True)

    membership_start(organisation=organisation, tier=tier)
    invoice_send(invoice=Invoice.objects.get())  # a second send: still one email

    mailbox.wait_for(1)
    outbox_sweep.delay()  # beat runs it too: it must not send the invoice again
    (message,) = mailbox.settle()
    assert message["To"] == BILLING
    assert message["Subject"] == "Invoice INV-00001 from Group of Negative Emitters"
    (pdf,) = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "INV-00001.pdf"
    text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Invoice INV-00001" in text and "1,500.00 EUR" in text


def test_the_daily_reminder_task_on_the_worker_sends_a_due_reminder_once(worker, mailbox):
    tier = MembershipTierFactory(first_reminder_days=60)
    organisation = OrganisationFactory(name="Reminded Body")
    ContactFactory(organisation=organisation, email="reminded@example.org", is_primary=True)
    today = timezone.localdate()
    MembershipFactory(organisation=organisation, tier=tier, end_date=today + datetime.timedelta(days=30))

    renewal_reminders_task.delay()
    renewal_reminders_task.delay()  # beat retried, or two beats: still one reminder

    mailbox.wait_for(1)
    (message,) = mailbox.settle()
    assert message["To"] == "reminded@example.org"
    assert "ends on" in message["Subject"]
