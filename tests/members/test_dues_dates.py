"""Dates in the dues: a payment is not dated later than today (the secretariat's today, from every door); a
fee-first membership paid before its start date becomes active on that date; a running membership moved from
a free tier to a paid one is invoiced for its period."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from members.dues import selectors, services
from members.models import Invoice, Membership, Payment
from members.services import (
    membership_period_end,
    membership_renew,
    membership_set_override,
    membership_start,
    membership_update,
    memberships_recompute_statuses,
)
from tests.conftest import api_client_for
from tests.members.factories import ContactFactory, MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

S = Membership.Status


@pytest.fixture
def supporter():
    """A tier with a fee that does not wait for it: active from the start date."""
    return MembershipTierFactory(
        name="Supporter", slug="supporter", period_months=12, annual_fee=Decimal("500.00")
    )


def _organisation(name: str):
    organisation = OrganisationFactory(name=name)
    ContactFactory(organisation=organisation, email=f"dues@{organisation.pk}.example.org", is_primary=True)
    return organisation


def _invoices(membership: Membership) -> list[tuple]:
    return list(
        Invoice.objects.filter(membership=membership)
        .order_by("number")
        .values_list("status", "tier__slug", "amount", "period_start", "period_end")
    )


@pytest.fixture
def invoice(partner):
    membership = membership_start(organisation=_organisation("Lyon Captage Carbone"), tier=partner)
    return Invoice.objects.get(membership=membership)


# --- A payment dated in the future ------------------------------------------------------------------------


def test_the_service_refuses_a_payment_dated_after_today_and_takes_one_dated_today(invoice, staff_user):
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        services.payment_record(invoice=invoice, amount="1200.00", paid_on=tomorrow, by=staff_user)

    (message,) = refused.value.message_dict["paid_on"]
    assert message.startswith("A payment cannot be dated in the future:")
    assert tomorrow.isoformat() in message and today.isoformat() in message
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.membership.status) == (Invoice.Status.OPEN, S.PENDING)

    services.payment_record(invoice=invoice, amount="1200.00", paid_on=today, by=staff_user)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on, invoice.membership.status) == (
        Invoice.Status.PAID,
        today,
        S.ACTIVE,
    )


def test_the_payment_form_shows_a_future_date_as_a_field_error_and_records_nothing(
    client, staff_user, invoice
):
    next_year = timezone.localdate() + timedelta(days=365)
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:members_payment_add"),
        {
            "invoice": invoice.pk,
            "paid_on": next_year.isoformat(),
            "amount": "1200.00",
            "method": "bank_transfer",
        },
    )

    assert response.status_code == 200
    assert "A payment cannot be dated in the future:" in response.content.decode()
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert [row.invoice.pk for row in selectors.invoices_open()] == [invoice.pk]


def test_the_api_refuses_a_future_payment_date_with_a_400_on_the_field(staff_api, invoice):
    next_year = timezone.localdate() + timedelta(days=365)

    response = staff_api.post(
        "/api/v1/payments/",
        {"invoice": invoice.pk, "amount": "1200.00", "paid_on": next_year.isoformat()},
        format="json",
    )

    assert response.status_code == 400, response.content
    (message,) = response.json()["paid_on"]
    assert message.startswith("A payment cannot be dated in the future:")
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


def _zone_on_another_day_than_utc() -> str:
    """A time zone whose date now differs from the UTC date (UTC+14 from 10:00 UTC, UTC-11 before 11:00)."""
    utc_today = datetime.now(UTC).date()
    for name in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        if datetime.now(ZoneInfo(name)).date() != utc_today:
            return name
    raise AssertionError("one of the two zones is always on another day than UTC")


def test_through_the_api_today_is_the_secretariats_today_not_the_utc_one(staff_user, partner):
    # The API runs in UTC; the date a payment may not pass is the secretariat's, as on its pages.
    zone = _zone_on_another_day_than_utc()
    with override_settings(TIME_ZONE=zone):
        local_today = datetime.now(ZoneInfo(zone)).date()
        organisations = [_organisation(f"Organisation {n}") for n in range(3)]
        invoices = [
            Invoice.objects.get(membership=membership_start(organisation=organisation, tier=partner))
            for organisation in organisations
        ]
        api = api_client_for(staff_user)

        dated_today = api.post(
            "/api/v1/payments/",
            {"invoice": invoices[0].pk, "amount": "10.00", "paid_on": local_today.isoformat()},
            format="json",
        )
        undated = api.post("/api/v1/payments/", {"invoice": invoices[1].pk, "amount": "10.00"}, format="json")
        tomorrow = api.post(
            "/api/v1/payments/",
            {
                "invoice": invoices[2].pk,
                "amount": "10.00",
                "paid_on": (local_today + timedelta(1)).isoformat(),
            },
            format="json",
        )

    assert dated_today.status_code == 201, dated_today.content
    assert undated.status_code == 201, undated.content
    assert undated.json()["paid_on"] == local_today.isoformat()
    assert tomorrow.status_code == 400, tomorrow.content
    assert "paid_on" in tomorrow.json()
    assert list(Payment.objects.order_by("pk").values_list("invoice", "paid_on")) == [
        (invoices[0].pk, local_today),
        (invoices[1].pk, local_today),
    ]


# --- A fee-first membership paid before its start date ------------------------------------------------------


def test_a_fee_first_membership_paid_before_its_start_date_becomes_active_on_that_date(staff_api, partner):
    today = timezone.localdate()
    start = today + timedelta(days=5)
    paid_early = membership_start(organisation=_organisation("Paid early"), tier=partner, start_date=start)
    paid_in_part = membership_start(
        organisation=_organisation("Paid in part"), tier=partner, start_date=start
    )
    for membership, amount in ((paid_early, "1200.00"), (paid_in_part, "700.00")):
        response = staff_api.post(
            "/api/v1/payments/",
            {"invoice": Invoice.objects.get(membership=membership).pk, "amount": amount},
            format="json",
        )
        assert response.status_code == 201, response.content

    paid_early.refresh_from_db()
    # Paid in full, but the membership has not started: it cannot be active yet.
    assert paid_early.status == S.PENDING
    assert _invoices(paid_early) == [("paid", "partner", Decimal("1200.00"), start, paid_early.end_date)]

    memberships_recompute_statuses(today=start - timedelta(days=1))
    paid_early.refresh_from_db()
    assert paid_early.status == S.PENDING

    assert memberships_recompute_statuses(today=start) == 1

    paid_early.refresh_from_db()
    paid_in_part.refresh_from_db()
    assert paid_early.status == S.ACTIVE
    assert paid_early.organisation.membership_status == S.ACTIVE
    assert paid_early.history.first().history_change_reason == (
        f"Status recomputed from the dates on {start.isoformat()}"
    )
    # 500.00 still owed: a fee-first membership keeps waiting for its fee.
    assert paid_in_part.status == S.PENDING

    # The next day's run changes nothing.
    assert memberships_recompute_statuses(today=start + timedelta(days=1)) == 0


def _paid_early(partner, staff_user, name: str, start):
    membership = membership_start(organisation=_organisation(name), tier=partner, start_date=start)
    services.payment_record(
        invoice=Invoice.objects.get(membership=membership), amount="1200.00", by=staff_user
    )
    membership.refresh_from_db()
    assert membership.status == S.PENDING
    return membership


def test_staff_moving_a_paid_fee_first_start_to_today_see_it_active_at_once(partner, staff_user):
    today = timezone.localdate()
    membership = _paid_early(partner, staff_user, "Moved start", today + timedelta(days=5))

    membership_update(membership=membership, start_date=today, by=staff_user)

    membership.refresh_from_db()
    assert membership.status == S.ACTIVE
    assert membership.organisation.membership_status == S.ACTIVE


def test_lifting_an_override_on_a_paid_fee_first_membership_whose_start_came_activates_it(
    partner, staff_user
):
    start = timezone.localdate() + timedelta(days=5)
    membership = _paid_early(partner, staff_user, "Frozen", start)
    membership_set_override(membership=membership, override=True, reason="Board to confirm", by=staff_user)

    membership_set_override(membership=membership, override=False, today=start, by=staff_user)

    membership.refresh_from_db()
    assert (membership.status, membership.status_override) == (S.ACTIVE, False)


# --- A tier change from a free tier -----------------------------------------------------------------------


def test_a_running_membership_moved_from_a_free_tier_to_a_paid_one_is_invoiced_for_its_period(
    member, supporter, staff_user
):
    start = timezone.localdate() - timedelta(days=40)
    membership = membership_start(organisation=_organisation("Aarhus Vind"), tier=member, start_date=start)
    end = membership.end_date
    assert membership.status == S.ACTIVE
    assert not Invoice.objects.exists()

    membership_update(membership=membership, tier=supporter, by=staff_user)

    membership.refresh_from_db()
    assert (membership.tier, membership.start_date, membership.end_date) == (supporter, start, end)
    assert membership.status == S.ACTIVE
    assert _invoices(membership) == [("open", "supporter", Decimal("500.00"), start, end)]
    assert [row.invoice.membership_id for row in selectors.invoices_open()] == [membership.pk]


def test_a_renewed_membership_moved_from_a_free_tier_is_invoiced_for_the_period_it_runs_in(
    member, partner, staff_user
):
    today = timezone.localdate()
    start = today - timedelta(days=400)
    membership = membership_start(organisation=_organisation("Gdańsk Solar"), tier=member, start_date=start)
    first_end = membership.end_date
    membership_renew(membership=membership, for_end_date=first_end, today=first_end - timedelta(days=10))
    membership.refresh_from_db()
    second_start = first_end + timedelta(days=1)
    assert membership.end_date == membership_period_end(start=second_start, tier=member)
    assert membership.status == S.ACTIVE

    membership_update(membership=membership, tier=partner, by=staff_user)

    membership.refresh_from_db()
    # A running membership keeps its dates and its status; its current period is invoiced at the new tier.
    assert (membership.start_date, membership.status) == (start, S.ACTIVE)
    assert _invoices(membership) == [
        ("open", "partner", Decimal("1200.00"), second_start, membership.end_date)
    ]


def test_staff_moving_a_running_member_to_a_paid_tier_on_the_change_form_raise_its_invoice(
    client, staff_user, member, supporter
):
    start = timezone.localdate() - timedelta(days=40)
    membership = membership_start(organisation=_organisation("Porto Marés"), tier=member, start_date=start)
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:members_membership_change", args=[membership.pk]),
        {
            "tier": supporter.pk,
            "start_date": membership.start_date.isoformat(),
            "end_date": membership.end_date.isoformat(),
            "notes": membership.notes,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert (membership.tier, membership.status) == (supporter, S.ACTIVE)
    assert _invoices(membership) == [("open", "supporter", Decimal("500.00"), start, membership.end_date)]


def test_a_membership_in_its_grace_period_moved_to_a_paid_tier_is_invoiced_at_its_renewal(member, supporter):
    today = timezone.localdate()
    start = today - timedelta(days=380)
    membership = membership_start(organisation=_organisation("Tallinn Tuul"), tier=member, start_date=start)
    memberships_recompute_statuses(today=today)
    membership.refresh_from_db()
    assert membership.status == S.GRACE
    ended = membership.end_date

    membership_update(membership=membership, tier=supporter)

    # Its period has ended: there is nothing to invoice for it; the renewal invoices the next at the new tier.
    assert not Invoice.objects.exists()
    membership_renew(membership=membership, for_end_date=ended)
    membership.refresh_from_db()
    assert _invoices(membership) == [
        ("open", "supporter", Decimal("500.00"), ended + timedelta(days=1), membership.end_date)
    ]
