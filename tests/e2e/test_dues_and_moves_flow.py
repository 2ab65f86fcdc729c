"""Staff, in the browser: record a payment that activates a fee-first membership; move a person to
another organisation and see both organisation pages."""

from decimal import Decimal

import pytest

from members import services
from members.models import Invoice, Membership, MembershipTier, Organisation
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("[name=username]", user.username)
    page.fill("[name=password]", PASSWORD)
    page.click("#login-form [type=submit]")


def _choose(page, field: str, search: str, option: str | None = None) -> None:
    """Type ``search`` in an admin autocomplete (select2) field and pick the ``option`` it offers."""
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", search)
    page.click(f".select2-results__option:has-text('{option or search}')")


def test_staff_record_payments_and_the_fee_first_membership_becomes_active(page, live_server, staff_user):
    tier = MembershipTier.objects.create(
        name="Member", slug="member", annual_fee=Decimal("1000.00"), currency="EUR", fee_first=True
    )
    organisation = services.organisation_create(name="Nordic Removals", kind="company")
    services.contact_create(
        organisation=organisation, name="Ingrid", email="ingrid@example.org", is_primary=True
    )
    membership = services.membership_start(organisation=organisation, tier=tier)
    invoice = Invoice.objects.get()
    assert membership.status == Membership.Status.PENDING

    _log_in(page, live_server, staff_user)
    for amount in ("400.00", "600.00"):
        page.goto(f"{live_server.url}/admin/members/payment/add/")
        _choose(page, "invoice", "Nordic Removals", "INV-00001")
        page.fill("[name=paid_on]", "2026-06-15")
        page.fill("[name=amount]", amount)
        page.fill("[name=reference]", f"SEPA {amount}")
        page.shots(f"payment-{amount}")
        page.click("[name=_save]")
        page.wait_for_url("**/admin/members/payment/")

    invoice.refresh_from_db()
    membership.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert membership.status == Membership.Status.ACTIVE
    page.goto(f"{live_server.url}/admin/members/invoice/{invoice.pk}/change/")
    page.shots("invoice-paid")
    assert "Paid" in page.inner_text("#content")


def test_staff_move_a_person_and_both_organisation_pages_show_them(page, live_server, staff_user):
    ministry = services.organisation_create(name="Danish Ministry of Climate", kind="other")
    agency = services.organisation_create(name="Danish Energy Agency", kind="other")
    anna = services.contact_create(organisation=ministry, name="Anna Jensen", email="anna@example.dk")

    _log_in(page, live_server, staff_user)
    page.goto(f"{live_server.url}/admin/members/contact/{anna.pk}/change/")
    _choose(page, "organisation", "Danish Energy Agency")
    page.click("[name=_save]")
    page.wait_for_url("**/admin/members/contact/")

    page.goto(f"{live_server.url}/admin/members/organisation/{ministry.pk}/change/")
    page.shots("ministry")
    before = page.inner_text(".people-past")
    assert "Anna Jensen" in before
    assert "Anna Jensen" not in page.inner_text(".people-current")
    page.goto(f"{live_server.url}/admin/members/organisation/{agency.pk}/change/")
    page.shots("agency")
    assert "Anna Jensen" in page.inner_text(".people-current")
    assert Organisation.objects.get(pk=agency.pk).contacts.get().name == "Anna Jensen"
