"""A membership's period invoice (the one its fee for the current period is on) is found by one rule, for
one membership (a tier change) or for many at once (renewals due, the "fee paid" flag), in one query."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.dues import services
from members.models import Invoice
from members.services import membership_renew, membership_start
from tests.members.factories import MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_the_period_invoice_of_many_memberships_is_the_one_found_for_each(
    member, staff_user, django_assert_num_queries
):
    paying = MembershipTierFactory(slug="paying", period_months=12, annual_fee=Decimal("300.00"))
    today = timezone.localdate()
    paid = membership_start(organisation=OrganisationFactory(), tier=paying, start_date=today)
    services.payment_record(invoice=Invoice.objects.get(membership=paid), amount="300.00", by=staff_user)
    unpaid = membership_start(organisation=OrganisationFactory(), tier=paying, start_date=today)
    # Paid for a period, then renewed on the free tier: the paid invoice is the earlier period's.
    renewed = membership_start(
        organisation=OrganisationFactory(), tier=paying, start_date=today - timedelta(days=300)
    )
    services.payment_record(invoice=Invoice.objects.get(membership=renewed), amount="300.00", by=staff_user)
    renewed.refresh_from_db()
    membership_renew(membership=renewed, for_end_date=renewed.end_date, tier=member)
    free = membership_start(organisation=OrganisationFactory(), tier=member, start_date=today)
    memberships = [paid, unpaid, renewed, free]
    for membership in memberships:
        membership.refresh_from_db()

    with django_assert_num_queries(1):
        found = services.period_invoices(memberships=memberships)
    with django_assert_num_queries(1):
        fee_paid = services.memberships_fee_paid(memberships=memberships)

    assert {pk: invoice.status for pk, invoice in found.items()} == {paid.pk: "paid", unpaid.pk: "open"}
    assert fee_paid == {paid.pk}
    for membership in memberships:
        assert services.period_invoice(membership=membership) == found.get(membership.pk)
    assert services.period_invoices(memberships=[]) == {}
