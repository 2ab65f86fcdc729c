"""Renewal decides on what the dates say today, not on the stored status: the daily recomputation is
deliberately not run in these tests, so the stored status is stale in most rows of the table."""

import datetime

import pytest

from coalition.exceptions import InvalidTransition
from members.models import Membership
from members.services import membership_renew, membership_status_on, membership_suspend
from tests.members.factories import MembershipFactory, MembershipTierFactory

pytestmark = pytest.mark.django_db

S = Membership.Status
D = datetime.date
TODAY = D(2026, 6, 15)
START = D(2025, 7, 1)
RESTART = ("restart", TODAY, D(2027, 6, 14))  # start today, one period

# stored status, start, end → what the dates say today, and the renewal's result (start, end)
CASES = [
    # the dates say active: the period extends from the end date
    (S.ACTIVE, START, D(2026, 9, 30), S.ACTIVE, ("extend", START, D(2027, 9, 30))),
    (S.ACTIVE, START, TODAY, S.ACTIVE, ("extend", START, D(2027, 6, 15))),
    (S.GRACE, START, D(2026, 9, 30), S.ACTIVE, ("extend", START, D(2027, 9, 30))),
    (S.LAPSED, START, D(2026, 9, 30), S.ACTIVE, ("extend", START, D(2027, 9, 30))),
    (S.PENDING, START, D(2026, 9, 30), S.ACTIVE, ("extend", START, D(2027, 9, 30))),
    # the dates say grace (30 days after the end, the last one included): extend from the end date
    (S.ACTIVE, START, D(2026, 6, 1), S.GRACE, ("extend", START, D(2027, 6, 1))),
    (S.ACTIVE, START, TODAY - datetime.timedelta(days=30), S.GRACE, ("extend", START, D(2027, 5, 16))),
    (S.GRACE, START, D(2026, 6, 1), S.GRACE, ("extend", START, D(2027, 6, 1))),
    (S.LAPSED, START, D(2026, 6, 1), S.GRACE, ("extend", START, D(2027, 6, 1))),
    # the dates say lapsed: restart today, whatever is stored
    (S.ACTIVE, START, TODAY - datetime.timedelta(days=31), S.LAPSED, RESTART),
    (S.ACTIVE, START, D(2026, 3, 31), S.LAPSED, RESTART),
    (S.GRACE, START, D(2026, 3, 31), S.LAPSED, RESTART),
    (S.LAPSED, START, D(2026, 3, 31), S.LAPSED, RESTART),
    (S.PENDING, D(2024, 1, 1), D(2024, 12, 31), S.LAPSED, RESTART),
    # the dates say pending (not started yet): nothing to renew
    (S.PENDING, D(2026, 7, 1), D(2027, 6, 30), S.PENDING, None),
    (S.ACTIVE, D(2026, 7, 1), D(2027, 6, 30), S.PENDING, None),
]


@pytest.mark.parametrize(
    ("stored", "start", "end", "by_dates", "expected"),
    CASES,
    ids=[f"{c[0]}-ending-{c[2].isoformat()}" for c in CASES],
)
def test_renewing_gives_what_the_dates_imply_when_the_daily_recompute_has_not_run(
    stored, start, end, by_dates, expected
):
    tier = MembershipTierFactory(period_months=12, grace_days=30)
    membership = MembershipFactory(tier=tier, status=stored, joined_on=start, start_date=start, end_date=end)
    assert membership_status_on(membership=membership, on=TODAY) == by_dates

    if expected is None:
        with pytest.raises(InvalidTransition):
            membership_renew(membership=membership, for_end_date=end, today=TODAY)
        return
    membership_renew(membership=membership, for_end_date=end, today=TODAY)

    _how, start_after, end_after = expected
    membership.refresh_from_db()
    assert (membership.start_date, membership.end_date) == (start_after, end_after)
    assert membership.status == S.ACTIVE


def test_a_tier_change_at_renewal_is_recorded_in_the_history_with_the_renewal():
    member = MembershipTierFactory(name="Member", slug="member")
    founding = MembershipTierFactory(name="Founding member", slug="founding", period_months=24)
    membership = MembershipFactory(tier=member, start_date=START, joined_on=START, end_date=D(2026, 6, 30))

    membership_renew(membership=membership, for_end_date=D(2026, 6, 30), today=TODAY, tier=founding)

    assert membership.tier == founding
    assert membership.end_date == D(2028, 6, 30)  # one period of the new tier
    latest = membership.history.order_by("-history_date", "-history_id").first()
    assert latest.tier_id == founding.pk
    assert "tier Member → Founding member" in latest.history_change_reason


def test_the_api_renews_with_a_new_tier(staff_api):
    member = MembershipTierFactory(name="Member", slug="member")
    observer = MembershipTierFactory(name="Observer", slug="observer")
    membership = MembershipFactory(tier=member)

    response = staff_api.post(
        f"/api/v1/memberships/{membership.pk}/renew/",
        {"for_end_date": membership.end_date.isoformat(), "tier": observer.pk},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["tier"] == observer.pk


@pytest.mark.parametrize(
    ("end", "allowed"),
    [(D(2026, 9, 30), True), (D(2026, 6, 1), True), (D(2026, 3, 31), False)],
    ids=["dates-say-active", "dates-say-grace", "dates-say-lapsed"],
)
def test_suspending_also_goes_by_the_dates_when_the_recompute_has_not_run(end, allowed):
    tier = MembershipTierFactory(period_months=12, grace_days=30)
    membership = MembershipFactory(
        tier=tier, status=S.ACTIVE, joined_on=START, start_date=START, end_date=end
    )
    if allowed:
        membership_suspend(membership=membership, reason="Dues unpaid", today=TODAY)
        assert membership.status == S.SUSPENDED
    else:
        with pytest.raises(InvalidTransition, match="lapsed"):
            membership_suspend(membership=membership, reason="Dues unpaid", today=TODAY)
