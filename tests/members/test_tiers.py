"""Membership tiers are written by their services (``membership_tier_*``), whichever door staff use: the
API and the admin show the same rules with the same messages, and write the way the services write."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from coalition.exceptions import InvalidTransition
from coalition.versions import PUBLIC_CONTENT, content_version
from members import services
from members.models import Enquiry, Membership, MembershipTier
from tests.members.enquiry_factories import EnquiryFactory
from tests.members.factories import (
    ContactFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

FEE_FIRST_MESSAGE = "Only a tier with a fee can wait for the first payment"


@pytest.fixture
def public_changes(monkeypatch) -> list[None]:
    """One entry per ``records_changed`` call: the tier services make one, a bare ``save()``/``delete()``
    makes none."""
    calls: list[None] = []
    real = services.records_changed

    def recording() -> None:
        calls.append(None)
        real()

    monkeypatch.setattr(services, "records_changed", recording)
    return calls


def _invoiced_tier_without_memberships() -> MembershipTier:
    """A tier with an invoice, whose membership has since moved to another tier."""
    tier = MembershipTierFactory(annual_fee=Decimal("500.00"))
    organisation = OrganisationFactory()
    ContactFactory(organisation=organisation, is_primary=True)
    membership = services.membership_start(organisation=organisation, tier=tier)
    assert tier.invoices.count() == 1
    services.membership_update(membership=membership, tier=MembershipTierFactory())
    assert not tier.memberships.exists()
    return tier


# --- The services ----------------------------------------------------------------------------------------


def test_creating_a_tier_stores_its_currency_in_capitals():
    tier = services.membership_tier_create(
        name="Partner", slug="partner", annual_fee=Decimal("100"), currency="chf"
    )
    tier.refresh_from_db()
    assert (tier.name, tier.currency, tier.annual_fee) == ("Partner", "CHF", Decimal("100.00"))


def test_a_fee_first_tier_without_a_fee_is_refused_because_nothing_would_ever_be_invoiced():
    with pytest.raises(ValidationError) as raised:
        services.membership_tier_create(name="Partner", slug="partner", fee_first=True)
    assert FEE_FIRST_MESSAGE in raised.value.message_dict["fee_first"][0]
    assert not MembershipTier.objects.filter(slug="partner").exists()


def test_a_fee_first_tier_with_a_fee_of_zero_is_refused_too():
    with pytest.raises(ValidationError) as raised:
        services.membership_tier_create(name="Partner", slug="partner", fee_first=True, annual_fee=Decimal(0))
    assert set(raised.value.message_dict) == {"fee_first"}


def test_a_negative_fee_and_a_currency_that_is_not_a_code_are_refused_with_a_message_each():
    with pytest.raises(ValidationError) as raised:
        services.membership_tier_create(
            name="Partner", slug="partner", annual_fee=Decimal("-1"), currency="€"
        )
    assert set(raised.value.message_dict) == {"annual_fee", "currency"}


def test_updating_a_tier_keeps_the_same_rules_and_leaves_the_row_unchanged_when_refused():
    tier = MembershipTierFactory(annual_fee=None)
    with pytest.raises(ValidationError):
        services.membership_tier_update(tier=tier, fee_first=True)
    tier.refresh_from_db()
    assert tier.fee_first is False
    services.membership_tier_update(tier=tier, fee_first=True, annual_fee=Decimal("250"), currency="usd")
    tier.refresh_from_db()
    assert (tier.fee_first, tier.annual_fee, tier.currency) == (True, Decimal("250.00"), "USD")


def test_a_tier_service_refuses_a_field_it_does_not_know():
    with pytest.raises(TypeError):
        services.membership_tier_create(name="Partner", slug="partner", created_at=None)


def test_writing_a_tier_marks_the_public_pages_changed():
    before = content_version(PUBLIC_CONTENT)
    tier = services.membership_tier_create(name="Partner", slug="partner")
    after_create = content_version(PUBLIC_CONTENT)
    services.membership_tier_delete(tier=tier)
    assert before < after_create < content_version(PUBLIC_CONTENT)


def test_a_tier_with_memberships_cannot_be_deleted():
    membership = MembershipFactory()
    with pytest.raises(InvalidTransition, match="Memberships of this tier exist"):
        services.membership_tier_delete(tier=membership.tier)
    assert MembershipTier.objects.filter(pk=membership.tier_id).exists()


def test_a_tier_that_was_invoiced_cannot_be_deleted_even_without_memberships_left():
    tier = _invoiced_tier_without_memberships()
    with pytest.raises(InvalidTransition, match="Invoices were issued for this tier"):
        services.membership_tier_delete(tier=tier)


def test_deleting_an_unused_tier_leaves_the_enquiries_that_asked_for_it_without_a_tier():
    tier = MembershipTierFactory()
    enquiry = EnquiryFactory(requested_tier=tier)
    services.membership_tier_delete(tier=tier)
    assert not MembershipTier.objects.filter(pk=tier.pk).exists()
    assert Enquiry.objects.get(pk=enquiry.pk).requested_tier is None


# --- The API ---------------------------------------------------------------------------------------------


def test_the_api_refuses_a_fee_first_tier_without_a_fee_with_the_services_message(admin_api):
    response = admin_api.post(
        "/api/v1/membership-tiers/", {"name": "Partner", "slug": "partner", "fee_first": True}
    )
    assert response.status_code == 400
    assert FEE_FIRST_MESSAGE in response.json()["fee_first"][0]
    assert not MembershipTier.objects.filter(slug="partner").exists()


def test_the_api_refuses_to_make_a_free_tier_fee_first(admin_api):
    tier = MembershipTierFactory(annual_fee=None)
    response = admin_api.patch(f"/api/v1/membership-tiers/{tier.pk}/", {"fee_first": True}, format="json")
    assert response.status_code == 400
    assert FEE_FIRST_MESSAGE in response.json()["fee_first"][0]


def test_a_tier_written_through_the_api_goes_through_the_service(admin_api):
    response = admin_api.post(
        "/api/v1/membership-tiers/",
        {"name": "Partner", "slug": "partner", "annual_fee": "80", "currency": "gbp"},
    )
    assert response.status_code == 201
    assert response.json()["currency"] == "GBP"  # only the service puts the code in capitals
    pk = response.json()["id"]
    response = admin_api.patch(f"/api/v1/membership-tiers/{pk}/", {"currency": "usd"}, format="json")
    assert response.status_code == 200
    assert MembershipTier.objects.get(pk=pk).currency == "USD"


def test_the_api_answers_409_for_an_invoiced_tier_with_the_services_message(admin_api):
    tier = _invoiced_tier_without_memberships()
    response = admin_api.delete(f"/api/v1/membership-tiers/{tier.pk}/")
    assert response.status_code == 409
    assert response.json()["detail"] == services.TIER_INVOICED


def test_the_api_deletes_an_unused_tier_through_the_service(admin_api, public_changes):
    tier = MembershipTierFactory()
    assert admin_api.delete(f"/api/v1/membership-tiers/{tier.pk}/").status_code == 204
    assert not MembershipTier.objects.filter(pk=tier.pk).exists()
    assert len(public_changes) == 1


# --- The admin -------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _tier_form(**changes) -> dict:
    data = {
        "name": "Partner",
        "slug": "partner",
        "description": "",
        "annual_fee": "",
        "currency": "EUR",
        "period_months": "12",
        "grace_days": "30",
        "open_to_applicants": "on",
        "sort_order": "0",
        "first_reminder_days": "60",
        "second_reminder_days": "14",
        "grace_reminder": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_admin_shows_the_services_message_for_a_fee_first_tier_without_a_fee(admin_client):
    response = admin_client.post(reverse("admin:members_membershiptier_add"), _tier_form(fee_first="on"))
    assert response.status_code == 200
    assert FEE_FIRST_MESSAGE in str(response.context["adminform"].form.errors["fee_first"])
    assert not MembershipTier.objects.filter(slug="partner").exists()


def test_a_tier_added_and_changed_in_the_admin_goes_through_the_service(admin_client):
    response = admin_client.post(
        reverse("admin:members_membershiptier_add"), _tier_form(annual_fee="120", currency="sek")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tier = MembershipTier.objects.get(slug="partner")
    assert tier.currency == "SEK"

    change = reverse("admin:members_membershiptier_change", args=[tier.pk])
    response = admin_client.post(change, _tier_form(annual_fee="120", currency="nok", fee_first="on"))
    assert response.status_code == 302, response.content.decode()[:2000]
    tier.refresh_from_db()
    assert (tier.currency, tier.fee_first) == ("NOK", True)

    response = admin_client.post(change, _tier_form(annual_fee="", currency="NOK", fee_first="on"))
    assert response.status_code == 200
    assert FEE_FIRST_MESSAGE in str(response.context["adminform"].form.errors["fee_first"])


def test_deleting_a_tier_in_the_admin_goes_through_the_service(admin_client, public_changes):
    tier = MembershipTierFactory()
    response = admin_client.post(
        reverse("admin:members_membershiptier_delete", args=[tier.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not MembershipTier.objects.filter(pk=tier.pk).exists()
    assert len(public_changes) == 1  # only the service records the change


def test_the_admin_bulk_delete_goes_through_the_service_for_each_tier(admin_client, public_changes):
    tiers = [MembershipTierFactory(), MembershipTierFactory()]
    response = admin_client.post(
        reverse("admin:members_membershiptier_changelist"),
        {"action": "delete_selected", "_selected_action": [t.pk for t in tiers], "post": "yes"},
    )
    assert response.status_code == 302
    assert not MembershipTier.objects.filter(pk__in=[t.pk for t in tiers]).exists()
    assert len(public_changes) == 2


def test_the_admin_will_not_delete_a_tier_in_use(admin_client):
    membership = MembershipFactory()
    response = admin_client.post(
        reverse("admin:members_membershiptier_delete", args=[membership.tier_id]), {"post": "yes"}
    )
    assert MembershipTier.objects.filter(pk=membership.tier_id).exists()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert response.status_code in (200, 403)
