"""Invoices for tiers with a fee: gap-free numbers, a PDF sent once, payments, fee-first activation."""

import base64
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from coalition.exceptions import InvalidTransition
from coalition.models import OutboundEmail
from members.dues import selectors, services
from members.models import Invoice, Membership
from members.services import membership_renew, membership_start
from tests.members.factories import ContactFactory, MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture
def fee_tier():
    return MembershipTierFactory(
        name="Member", slug="member", annual_fee=Decimal("1200.00"), currency="EUR", fee_first=True
    )


@pytest.fixture
def member_body():
    organisation = OrganisationFactory(name="Nordic Removals & Storage <Group>", country="NO")
    ContactFactory(
        organisation=organisation, name="Ingrid Berg", email="ingrid@removals.example.no", is_primary=True
    )
    return organisation


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_starting_a_membership_of_a_tier_with_a_fee_issues_invoice_1_and_queues_it_once_with_its_pdf(
    fee_tier, member_body, settings
):
    membership = membership_start(organisation=member_body, tier=fee_tier)

    (invoice,) = Invoice.objects.all()
    assert (invoice.sequence, invoice.number, invoice.display_number) == ("INV", 1, "INV-00001")
    assert (invoice.amount, invoice.currency) == (Decimal("1200.00"), "EUR")
    assert invoice.period_start == membership.start_date and invoice.period_end == membership.end_date
    assert "Nordic Removals & Storage <Group>" in invoice.bill_to and "Ingrid Berg" in invoice.bill_to
    assert invoice.tax_note == settings.INVOICE_TAX_NOTE

    services.invoice_send(invoice=invoice)  # a second send (a retry, a double click) queues nothing
    (email,) = OutboundEmail.objects.filter(kind="dues.invoice")
    assert email.to == "ingrid@removals.example.no"
    assert "INV-00001" in email.subject
    (pdf,) = email.attachments
    assert (pdf["filename"], pdf["mimetype"]) == ("INV-00001.pdf", "application/pdf")
    content = base64.b64decode(pdf["content_b64"])
    assert content.startswith(b"%PDF-")
    text = _pdf_text(content)
    assert "Invoice INV-00001" in text
    assert settings.COALITION_ADDRESS in text
    assert "1,200.00 EUR" in text
    assert "Nordic Removals & Storage <Group>" in text


def test_a_fee_first_membership_waits_pending_and_a_full_payment_activates_it(
    fee_tier, member_body, staff_user
):
    membership = membership_start(organisation=member_body, tier=fee_tier)
    invoice = Invoice.objects.get()
    assert membership.status == Membership.Status.PENDING

    services.payment_record(invoice=invoice, amount="500.00", reference="SEPA 1", by=staff_user)
    membership.refresh_from_db()
    assert (invoice.status, membership.status) == (Invoice.Status.OPEN, Membership.Status.PENDING)

    services.payment_record(invoice=invoice, amount=Decimal("700.00"), reference="SEPA 2", by=staff_user)
    membership.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert membership.status == Membership.Status.ACTIVE
    assert services.invoice_paid_total(invoice=invoice) == Decimal("1200.00")


def test_a_second_period_issues_invoice_2(fee_tier, member_body, staff_user):
    membership = membership_start(organisation=member_body, tier=fee_tier)
    services.payment_record(invoice=Invoice.objects.get(), amount="1200.00", by=staff_user)
    membership.refresh_from_db()

    previous_end = membership.end_date
    membership_renew(membership=membership, for_end_date=previous_end, by=staff_user)

    second = Invoice.objects.get(number=2)
    assert second.membership == membership
    assert second.period_start == date.fromordinal(previous_end.toordinal() + 1)
    assert second.period_end == membership.end_date
    assert OutboundEmail.objects.filter(kind="dues.invoice").count() == 2


def test_a_tier_without_a_fee_issues_no_invoice(member_body):
    membership_start(organisation=member_body, tier=MembershipTierFactory(annual_fee=None))
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("amount", "field"),
    [("1200.01", "amount"), ("0", "amount"), ("-5", "amount"), ("10.005", "amount"), (12.5, "amount")],
)
def test_a_payment_beyond_the_balance_or_not_a_positive_decimal_is_refused(
    fee_tier, member_body, amount, field
):
    membership_start(organisation=member_body, tier=fee_tier)
    with pytest.raises(ValidationError) as caught:
        services.payment_record(invoice=Invoice.objects.get(), amount=amount)
    assert field in caught.value.message_dict


def test_a_payment_in_another_currency_or_on_a_paid_invoice_is_refused(fee_tier, member_body):
    membership_start(organisation=member_body, tier=fee_tier)
    invoice = Invoice.objects.get()
    with pytest.raises(ValidationError, match="EUR"):
        services.payment_record(invoice=invoice, amount="100.00", currency="USD")
    services.payment_record(invoice=invoice, amount="1200.00")
    with pytest.raises(InvalidTransition, match="paid"):
        services.payment_record(invoice=invoice, amount="1.00")


def test_a_voided_invoice_keeps_its_number_and_the_next_one_takes_the_following(fee_tier, member_body):
    membership = membership_start(organisation=member_body, tier=fee_tier)
    services.invoice_void(invoice=Invoice.objects.get())
    again = services.invoice_issue_for_period(membership=membership, period_start=membership.start_date)
    assert again.number == 2
    assert list(Invoice.objects.order_by("number").values_list("number", "status")) == [
        (1, "void"),
        (2, "open"),
    ]


def test_open_invoices_are_aged_and_exported_with_formula_cells_defused(fee_tier):
    ages = {"=HYPERLINK(evil)": 10, "+Plus Org": 45, "@At Org": 61, "-Minus Org": 0}
    for name, age in ages.items():
        organisation = OrganisationFactory(name=name)
        membership = membership_start(organisation=organisation, tier=fee_tier, start_date=TODAY)
        Invoice.objects.filter(membership=membership).update(
            issued_on=date.fromordinal(TODAY.toordinal() - age)
        )
    paid = Invoice.objects.get(organisation__name="-Minus Org")
    services.payment_record(invoice=paid, amount="200.00", today=TODAY)

    rows = selectors.invoices_open(today=TODAY)
    assert [(r.invoice.organisation.name, r.bucket) for r in rows] == [
        ("@At Org", "60+"),
        ("+Plus Org", "31-60"),
        ("=HYPERLINK(evil)", "0-30"),
        ("-Minus Org", "0-30"),
    ]
    assert rows[-1].balance == Decimal("1000.00")
    buckets = {b.key: (b.count, b.owed) for b in selectors.invoices_ageing(today=TODAY)}
    assert buckets == {
        "0-30": (2, {"EUR": Decimal("2200.00")}),
        "31-60": (1, {"EUR": Decimal("1200.00")}),
        "60+": (1, {"EUR": Decimal("1200.00")}),
    }

    csv_text = selectors.invoices_open_csv(rows=rows)
    lines = csv_text.splitlines()
    assert lines[0].startswith("number,organisation,")
    assert "'=HYPERLINK(evil)" in csv_text and "'+Plus Org" in csv_text
    assert "'@At Org" in csv_text and "'-Minus Org" in csv_text
    assert selectors.csv_cell("\tx") == "'\tx" and selectors.csv_cell("\rx") == "'\rx"
    assert selectors.csv_cell("Plain") == "Plain"
