"""The invoices and payments API: access by group, fixed query counts, PDFs, the open list, clear 4xx."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from members.dues import services
from members.models import Invoice, Membership
from members.services import membership_start
from tests.conftest import api_client_for
from tests.members.factories import ContactFactory, MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee_tier():
    return MembershipTierFactory(annual_fee=Decimal("900.00"), currency="EUR", fee_first=True)


def _invoiced(n: int, tier) -> list[Invoice]:
    invoices = []
    for organisation in OrganisationFactory.create_batch(n):
        ContactFactory(organisation=organisation, is_primary=True)
        membership = membership_start(organisation=organisation, tier=tier)
        invoice = Invoice.objects.get(membership=membership)
        services.payment_record(invoice=invoice, amount="100.00")
        invoices.append(invoice)
    return invoices


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize("url", ["/api/v1/invoices/", "/api/v1/payments/", "/api/v1/invoices/open/"])
def test_a_dues_list_takes_the_same_queries_for_5_and_50_rows(
    rows, url, fee_tier, staff_api, django_assert_max_num_queries
):
    _invoiced(rows, fee_tier)
    with django_assert_max_num_queries(4):
        response = staff_api.get(url)
    assert response.status_code == 200
    data = response.json()
    assert (data["count"] if isinstance(data, dict) else len(data)) == rows


@pytest.mark.parametrize(
    ("who", "read", "pay"),
    [
        ("admin_user", 200, 201),
        ("staff_user", 200, 201),
        ("comms_user", 200, 403),
        ("viewer_user", 200, 403),
        ("outsider_user", 403, 403),
    ],
)
def test_each_group_reads_invoices_and_records_payments_as_its_permissions_allow(
    who, read, pay, fee_tier, request
):
    client = api_client_for(request.getfixturevalue(who))
    (invoice,) = _invoiced(1, fee_tier)

    assert client.get("/api/v1/invoices/").status_code == read
    assert client.get(f"/api/v1/invoices/{invoice.pk}/pdf/").status_code == read
    assert client.get("/api/v1/invoices/open-csv/").status_code == read
    paid = client.post("/api/v1/payments/", {"invoice": invoice.pk, "amount": "50.00"}, format="json")
    assert paid.status_code == pay, paid.content
    assert client.delete(f"/api/v1/invoices/{invoice.pk}/").status_code in (403, 405)


def test_recording_the_rest_through_the_api_pays_the_invoice_and_activates_the_membership(
    fee_tier, staff_api
):
    (invoice,) = _invoiced(1, fee_tier)

    response = staff_api.post(
        "/api/v1/payments/",
        {"invoice": invoice.pk, "amount": "800.00", "method": "bank_transfer", "reference": "SEPA 42"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "800.00" and response.json()["currency"] == "EUR"
    detail = staff_api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (detail["status"], detail["paid_total"]) == ("paid", "900.00")
    assert (
        invoice.membership.__class__.objects.get(pk=invoice.membership_id).status == Membership.Status.ACTIVE
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "900.00"}, "amount"),  # more than the 800.00 still owed
        ({"amount": "-1"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "10.00", "currency": "USD"}, "currency"),
    ],
)
def test_a_bad_payment_is_a_clear_400(payload, field, fee_tier, staff_api):
    (invoice,) = _invoiced(1, fee_tier)
    response = staff_api.post("/api/v1/payments/", {"invoice": invoice.pk, **payload}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_payment_on_a_paid_invoice_is_a_conflict(fee_tier, staff_api):
    (invoice,) = _invoiced(1, fee_tier)
    services.payment_record(invoice=invoice, amount="800.00")
    response = staff_api.post("/api/v1/payments/", {"invoice": invoice.pk, "amount": "1.00"}, format="json")
    assert response.status_code == 409
    assert "paid" in response.json()["detail"]


def test_the_invoice_pdf_opens_as_a_pdf(fee_tier, staff_api):
    (invoice,) = _invoiced(1, fee_tier)
    response = staff_api.get(f"/api/v1/invoices/{invoice.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert invoice.display_number in reader.pages[0].extract_text()


def test_the_open_invoices_list_shows_balance_and_ageing(fee_tier, staff_api):
    (invoice,) = _invoiced(1, fee_tier)
    (row,) = staff_api.get("/api/v1/invoices/open/").json()
    assert row["invoice"]["id"] == invoice.pk
    assert (row["paid"], row["balance"], row["bucket"]) == ("100.00", "800.00", "0-30")


def test_issuing_an_invoice_for_a_free_tier_is_a_clear_400(staff_api):
    membership = membership_start(
        organisation=OrganisationFactory(), tier=MembershipTierFactory(annual_fee=None)
    )
    response = staff_api.post("/api/v1/invoices/", {"membership": membership.pk}, format="json")
    assert response.status_code == 400
    assert "no fee" in response.json()["membership"][0]


def test_issuing_an_invoice_through_the_api_is_idempotent_per_period(fee_tier, staff_api):
    (invoice,) = _invoiced(1, fee_tier)
    response = staff_api.post("/api/v1/invoices/", {"membership": invoice.membership_id}, format="json")
    assert response.status_code == 201
    assert response.json()["id"] == invoice.pk
    assert Invoice.objects.count() == 1
