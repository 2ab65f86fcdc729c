"""A tier's fee is the amount of one membership period, whatever the period's length (README, "Dues"): a
24-month tier with a fee of 1,200 invoices 1,200 for its 24 months. The admin and the API call it a fee
per period, so staff do not read it as a yearly amount."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from members.models import Invoice, Membership
from members.services import membership_start
from tests.members.factories import ContactFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HELP = "Invoiced once for each membership period, whatever its length"


@pytest.fixture
def organisation():
    organisation = OrganisationFactory(name="Probe Carbon Removals AS")
    ContactFactory(organisation=organisation, email="finance@removals.example.no", is_primary=True)
    return organisation


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_24_month_tier_invoices_its_fee_once_for_the_whole_period(partner, organisation):
    membership = membership_start(organisation=organisation, tier=partner, start_date=date(2026, 12, 7))

    (invoice,) = Invoice.objects.filter(membership=membership)
    assert (invoice.amount, invoice.currency) == (Decimal("1200.00"), "EUR")
    assert (invoice.period_start, invoice.period_end) == (date(2026, 12, 7), date(2028, 12, 6))


def test_a_membership_opened_in_the_admin_is_invoiced_the_fee_per_period(admin_client, partner, organisation):
    response = admin_client.post(
        reverse("admin:members_membership_add"),
        {"organisation": organisation.pk, "tier": partner.pk, "start_date": "2026-12-07"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(organisation=organisation)
    assert list(
        Invoice.objects.filter(membership=membership).values_list("amount", "period_start", "period_end")
    ) == [(Decimal("1200.00"), date(2026, 12, 7), date(2028, 12, 6))]


def test_the_tier_admin_calls_the_fee_a_fee_per_period_and_says_what_it_covers(admin_client, partner):
    page = admin_client.get(
        reverse("admin:members_membershiptier_change", args=[partner.pk])
    ).content.decode()
    assert "Fee per period" in page and HELP in page
    assert "Annual fee" not in page

    listing = admin_client.get(reverse("admin:members_membershiptier_changelist")).content.decode()
    assert "Fee per period" in listing and "Annual fee" not in listing


def test_the_api_schema_describes_the_fee_as_one_periods_amount(staff_api):
    schema = staff_api.get("/api/schema/", {"format": "json"}).json()
    fee = schema["components"]["schemas"]["MembershipTier"]["properties"]["annual_fee"]
    assert HELP in fee["description"]
    assert fee["title"] == "Fee per period"
