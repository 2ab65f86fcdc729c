"""Changing a membership's tier moves the dues of its period with it: the open invoice of the period is
voided and the period is invoiced at the new tier; a period with money received keeps its tier until
renewal. The same through the service, the admin change form and the API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members.dues import selectors, services
from members.models import Invoice, Membership
from members.services import membership_period_end, membership_renew, membership_start, membership_update
from tests.members.factories import ContactFactory, MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

S = Membership.Status


@pytest.fixture
def organisation():
    organisation = OrganisationFactory(name="Lyon Captage Carbone")
    ContactFactory(
        organisation=organisation, name="Élodie Marchand", email="elodie@example.fr", is_primary=True
    )
    return organisation


def _invoices(membership: Membership) -> list[tuple]:
    return list(
        Invoice.objects.filter(membership=membership)
        .order_by("number")
        .values_list("number", "status", "tier__slug", "amount", "period_start", "period_end")
    )


def _pending_partner(organisation, partner) -> Membership:
    membership = membership_start(organisation=organisation, tier=partner)
    assert membership.status == S.PENDING
    assert _invoices(membership) == [
        (1, "open", "partner", Decimal("1200.00"), membership.start_date, membership.end_date)
    ]
    return membership


# --- The service ------------------------------------------------------------------------------------------


def test_moving_a_pending_fee_first_membership_to_a_free_tier_voids_its_invoice_and_takes_the_new_period(
    organisation, partner, member
):
    membership = _pending_partner(organisation, partner)
    start, partner_end = membership.start_date, membership.end_date

    membership_update(membership=membership, tier=member, end_date=partner_end)

    membership.refresh_from_db()
    assert membership.tier == member
    assert membership.end_date == membership_period_end(start=start, tier=member)  # 12 months, not 24
    # The Member tier has no fee and does not wait for a payment: it starts as a new Member membership would.
    assert membership.status == S.ACTIVE
    assert _invoices(membership) == [(1, "void", "partner", Decimal("1200.00"), start, partner_end)]
    assert not selectors.invoices_open()
    reason = membership.history.first().history_change_reason
    assert "invoice INV-00001 voided" in reason


def test_moving_a_pending_fee_first_membership_to_another_fee_first_tier_reinvoices_and_waits_for_payment(
    organisation, partner, staff_user
):
    supporter = MembershipTierFactory(
        name="Supporter", slug="supporter", period_months=12, annual_fee=Decimal("600.00"), fee_first=True
    )
    membership = _pending_partner(organisation, partner)
    start = membership.start_date

    membership_update(membership=membership, tier=supporter, by=staff_user)

    membership.refresh_from_db()
    end = membership_period_end(start=start, tier=supporter)
    assert (membership.tier, membership.end_date, membership.status) == (supporter, end, S.PENDING)
    invoices = _invoices(membership)
    assert [row[:4] for row in invoices] == [
        (1, "void", "partner", Decimal("1200.00")),
        (2, "open", "supporter", Decimal("600.00")),
    ]
    assert invoices[1][4:] == (start, end)
    assert [r.invoice.number for r in selectors.invoices_open()] == [2]

    services.payment_record(invoice=Invoice.objects.get(number=2), amount="600.00", by=staff_user)
    membership.refresh_from_db()
    assert membership.status == S.ACTIVE


def test_a_tier_change_under_an_invoice_with_a_payment_is_refused_and_changes_nothing(
    organisation, partner, member, staff_user
):
    membership = _pending_partner(organisation, partner)
    end = membership.end_date
    services.payment_record(invoice=Invoice.objects.get(), amount="500.00", by=staff_user)

    with pytest.raises(ValidationError) as refused:
        membership_update(membership=membership, tier=member)

    message = refused.value.message_dict["tier"][0]
    assert "INV-00001" in message and "500.00 of 1200.00 EUR" in message and "renewal" in message
    membership.refresh_from_db()
    assert (membership.tier, membership.end_date, membership.status) == (partner, end, S.PENDING)
    assert [row[:2] for row in _invoices(membership)] == [(1, "open")]


def test_moving_a_running_membership_with_an_unpaid_invoice_reinvoices_its_period_at_the_new_tier(
    organisation, partner
):
    # Member with a fee, not fee first: active from the start, its invoice still open.
    member_with_fee = MembershipTierFactory(slug="member-fee", period_months=12, annual_fee=Decimal("500.00"))
    start = timezone.localdate() - timedelta(days=40)
    membership = membership_start(organisation=organisation, tier=member_with_fee, start_date=start)
    end = membership.end_date
    assert membership.status == S.ACTIVE

    membership_update(membership=membership, tier=partner)

    membership.refresh_from_db()
    # The period has begun: it keeps its dates, and its status (fee first holds back new memberships only).
    assert (membership.tier, membership.start_date, membership.end_date) == (partner, start, end)
    assert membership.status == S.ACTIVE
    assert _invoices(membership) == [
        (1, "void", "member-fee", Decimal("500.00"), start, end),
        (2, "open", "partner", Decimal("1200.00"), start, end),
    ]


def test_a_membership_that_has_not_started_moved_from_a_free_tier_to_a_fee_first_one_is_invoiced(
    organisation, partner, member
):
    start = timezone.localdate() + timedelta(days=20)
    membership = membership_start(organisation=organisation, tier=member, start_date=start)
    assert not Invoice.objects.exists()

    membership_update(membership=membership, tier=partner)

    membership.refresh_from_db()
    end = membership_period_end(start=start, tier=partner)
    assert (membership.end_date, membership.status) == (end, S.PENDING)
    assert _invoices(membership) == [(1, "open", "partner", Decimal("1200.00"), start, end)]


def test_an_end_date_given_with_the_tier_change_is_kept(organisation, partner, member):
    membership = _pending_partner(organisation, partner)
    chosen = membership.start_date + timedelta(days=199)

    membership_update(membership=membership, tier=member, end_date=chosen)

    membership.refresh_from_db()
    assert membership.end_date == chosen


def test_a_paid_invoice_of_an_earlier_period_does_not_hold_back_a_tier_change(
    organisation, member, staff_user
):
    paying = MembershipTierFactory(slug="paying", period_months=12, annual_fee=Decimal("300.00"))
    today = timezone.localdate()
    membership = membership_start(
        organisation=organisation, tier=paying, start_date=today - timedelta(days=300)
    )
    services.payment_record(invoice=Invoice.objects.get(), amount="300.00", by=staff_user)
    membership.refresh_from_db()
    # Renewed on the free tier: the new period has no invoice, the paid one belongs to the period served.
    membership_renew(membership=membership, for_end_date=membership.end_date, tier=member)

    membership_update(membership=membership, tier=MembershipTierFactory(slug="observer", annual_fee=None))

    membership.refresh_from_db()
    assert membership.tier.slug == "observer"
    assert [row[:2] for row in _invoices(membership)] == [(1, "paid")]


# --- The doors --------------------------------------------------------------------------------------------


def _change_form(membership: Membership, **changes) -> dict:
    data = {
        "tier": membership.tier_id,
        "start_date": membership.start_date.isoformat(),
        "end_date": membership.end_date.isoformat() if membership.end_date else "",
        "notes": membership.notes,
    }
    data.update(changes)
    return data


def test_staff_moving_a_pending_partner_to_member_on_the_change_form_void_the_partner_invoice(
    client, staff_user, organisation, partner, member
):
    membership = _pending_partner(organisation, partner)
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:members_membership_change", args=[membership.pk]),
        _change_form(membership, tier=member.pk),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.tier == member
    assert membership.end_date == membership_period_end(start=membership.start_date, tier=member)
    assert [row[:3] for row in _invoices(membership)] == [(1, "void", "partner")]
    assert not selectors.invoices_open()
    assert all(bucket.count == 0 for bucket in selectors.invoices_ageing())


def test_staff_moving_a_pending_partner_to_another_fee_first_tier_on_the_change_form_stay_pending(
    client, staff_user, organisation, partner
):
    supporter = MembershipTierFactory(
        slug="supporter", period_months=12, annual_fee=Decimal("600.00"), fee_first=True
    )
    membership = _pending_partner(organisation, partner)
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:members_membership_change", args=[membership.pk]),
        _change_form(membership, tier=supporter.pk),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert (membership.tier, membership.status) == (supporter, S.PENDING)
    assert [row[:4] for row in _invoices(membership)] == [
        (1, "void", "partner", Decimal("1200.00")),
        (2, "open", "supporter", Decimal("600.00")),
    ]


def test_the_change_form_shows_the_refusal_of_a_tier_change_under_a_payment(
    client, staff_user, organisation, partner, member
):
    membership = _pending_partner(organisation, partner)
    services.payment_record(invoice=Invoice.objects.get(), amount="1200.00", by=staff_user)
    membership.refresh_from_db()
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:members_membership_change", args=[membership.pk]),
        _change_form(membership, tier=member.pk),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "INV-00001" in page and "renewal" in page
    membership.refresh_from_db()
    assert membership.tier == partner
    assert [row[:2] for row in _invoices(membership)] == [(1, "paid")]


def test_the_api_moves_the_dues_with_the_tier_the_same_way(staff_api, organisation, partner, member):
    membership = _pending_partner(organisation, partner)

    response = staff_api.patch(f"/api/v1/memberships/{membership.pk}/", {"tier": member.pk}, format="json")

    assert response.status_code == 200, response.content
    membership.refresh_from_db()
    assert membership.end_date == membership_period_end(start=membership.start_date, tier=member)
    assert [row[:2] for row in _invoices(membership)] == [(1, "void")]
