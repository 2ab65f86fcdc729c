"""Dues in the staff admin: payments through the service, the open-invoice CSV, PDFs, the renew action,
and the dashboard's figures."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from members.models import Invoice, Membership, Payment
from members.services import membership_start
from tests.members.factories import (
    ContactFactory,
    CountryFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice():
    tier = MembershipTierFactory(annual_fee=Decimal("900.00"), fee_first=True)
    organisation = OrganisationFactory(name="=cmd|' /C calc'!A0")
    ContactFactory(organisation=organisation, is_primary=True)
    membership = membership_start(organisation=organisation, tier=tier)
    return Invoice.objects.get(membership=membership)


def test_staff_record_a_partial_then_a_full_payment_on_the_admin_page_and_the_membership_activates(
    client, staff_user, invoice
):
    client.force_login(staff_user)
    url = "/admin/members/payment/add/"
    for amount in ("400.00", "500.00"):
        response = client.post(
            url,
            {"invoice": invoice.pk, "paid_on": "2026-06-15", "amount": amount, "method": "bank_transfer"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]

    assert list(Payment.objects.order_by("pk").values_list("amount", "recorded_by")) == [
        (Decimal("400.00"), staff_user.pk),
        (Decimal("500.00"), staff_user.pk),
    ]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.membership.status == Membership.Status.ACTIVE


def test_a_payment_beyond_the_balance_on_the_admin_page_is_a_form_error(client, staff_user, invoice):
    client.force_login(staff_user)
    response = client.post(
        "/admin/members/payment/add/",
        {"invoice": invoice.pk, "paid_on": "2026-06-15", "amount": "901.00", "method": "bank_transfer"},
    )
    assert response.status_code == 200
    assert "Only 900.00 EUR is still owed." in response.content.decode()
    assert not Payment.objects.exists()


def test_the_open_invoices_csv_downloads_with_formula_cells_defused(client, viewer_user, invoice):
    client.force_login(viewer_user)
    response = client.get("/admin/members/invoice/open.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "INV-00001" in body
    assert "'=cmd|' /C calc'!A0" in body


def test_the_invoice_pdf_downloads_from_the_admin(client, viewer_user, invoice):
    client.force_login(viewer_user)
    # Linked from the invoice's page and from the list: staff had no way to reach it.
    link = f'href="/admin/members/invoice/{invoice.pk}/pdf/"'
    assert link in client.get(f"/admin/members/invoice/{invoice.pk}/change/").content.decode()
    assert link in client.get("/admin/members/invoice/").content.decode()
    response = client.get(f"/admin/members/invoice/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert "INV-00001" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_invoices_cannot_be_added_or_deleted_in_the_admin(client, admin_user, invoice):
    client.force_login(admin_user)
    assert client.get("/admin/members/invoice/add/").status_code == 403
    assert client.get(f"/admin/members/invoice/{invoice.pk}/delete/").status_code == 403


def test_the_renew_action_renews_by_the_dates_and_invoices_the_new_period(client, staff_user, invoice):
    membership = invoice.membership
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    Membership.objects.filter(pk=membership.pk).update(status=Membership.Status.ACTIVE)
    previous_end = membership.end_date
    client.force_login(staff_user)

    response = client.post(
        "/admin/members/membership/",
        {"action": "renew_memberships", "_selected_action": [membership.pk], "apply": "1", "tier": ""},
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.end_date > previous_end
    assert list(Invoice.objects.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_the_dashboard_shows_countries_without_a_focal_point_and_open_invoices_by_age(
    client, admin_user, invoice
):
    MembershipFactory(organisation=CountryFactory(country="PA", name="Panama"))
    client.force_login(admin_user)
    response = client.get("/dashboard/")
    html = response.content.decode()
    assert "Member countries without a national focal point" in html
    assert ">Panama</a>" in html
    assert "900.00 EUR" in html
    assert "/admin/members/invoice/open.csv" in html


def test_an_organisation_with_invoices_cannot_be_deleted_and_the_page_says_why_not_permission(
    client, admin_user, invoice
):
    client.force_login(admin_user)
    organisation = invoice.membership.organisation
    response = client.get(f"/admin/members/organisation/{organisation.pk}/delete/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "permission" not in html.split('id="content"', 1)[-1]
    assert "protected related objects" in html and "INV-00001" in html
    assert "Yes, I’m sure" not in html and "Yes, I'm sure" not in html  # no button to try
