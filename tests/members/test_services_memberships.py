"""Starting, renewing, suspending, withdrawing, reinstating and freezing memberships."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coalition.exceptions import InvalidTransition
from members.models import Membership
from members.services import (
    membership_reinstate,
    membership_renew,
    membership_set_override,
    membership_start,
    membership_suspend,
    membership_update,
    membership_withdraw,
)

from .factories import (
    MembershipFactory,
    MembershipTierFactory,
    OpenEndedTierFactory,
    OrganisationFactory,
    PendingTierFactory,
)

pytestmark = pytest.mark.django_db

S = Membership.Status
DAY = datetime.timedelta(days=1)
TODAY = datetime.date(2026, 6, 15)


def _member(*, status=S.ACTIVE, end: datetime.date, months: int = 12, grace_days: int = 30) -> Membership:
    tier = MembershipTierFactory(period_months=months, grace_days=grace_days)
    start = datetime.date(end.year - 1, end.month, 1)
    return MembershipFactory(tier=tier, status=status, joined_on=start, start_date=start, end_date=end)


# --- Starting -------------------------------------------------------------------------------------------


def test_a_membership_starting_today_is_active_for_one_period_of_its_tier():
    today = timezone.localdate()
    membership = membership_start(
        organisation=OrganisationFactory(), tier=MembershipTierFactory(period_months=12)
    )
    assert membership.status == S.ACTIVE
    assert membership.start_date == membership.joined_on == today
    assert membership.end_date == today.replace(year=today.year + 1) - DAY


def test_a_membership_starting_in_the_future_is_pending():
    start = timezone.localdate() + 10 * DAY
    membership = membership_start(
        organisation=OrganisationFactory(), tier=MembershipTierFactory(), start_date=start
    )
    assert membership.status == S.PENDING


def test_a_membership_of_a_fee_first_tier_starts_pending():
    membership = membership_start(organisation=OrganisationFactory(), tier=PendingTierFactory())
    assert membership.status == S.PENDING


def test_a_membership_of_an_open_ended_tier_has_no_end_date():
    membership = membership_start(organisation=OrganisationFactory(), tier=OpenEndedTierFactory())
    assert membership.end_date is None
    assert membership.status == S.ACTIVE


def test_starting_a_second_current_membership_answers_with_a_message_on_the_organisation():
    current = MembershipFactory()
    with pytest.raises(ValidationError) as caught:
        membership_start(organisation=current.organisation, tier=MembershipTierFactory())
    assert "already has a current membership" in caught.value.message_dict["organisation"][0]


def test_a_lapsed_organisation_may_start_a_new_membership():
    lapsed = MembershipFactory(status=S.LAPSED)
    membership = membership_start(organisation=lapsed.organisation, tier=lapsed.tier)
    assert membership.status == S.ACTIVE


def test_correcting_the_end_date_moves_the_status_with_it():
    membership = _member(end=timezone.localdate() + 10 * DAY)
    membership_update(membership=membership, end_date=timezone.localdate() - 2 * DAY)
    assert membership.status == S.GRACE


def test_an_end_date_before_the_start_date_is_refused_with_a_field_message():
    membership = _member(end=TODAY)
    with pytest.raises(ValidationError) as caught:
        membership_update(membership=membership, end_date=membership.start_date - DAY)
    assert "end_date" in caught.value.message_dict


# --- Renewing -------------------------------------------------------------------------------------------


def test_renewing_an_active_membership_extends_it_from_its_current_end_date():
    membership = _member(status=S.ACTIVE, end=datetime.date(2026, 9, 30))
    start = membership.start_date
    membership_renew(membership=membership, for_end_date=datetime.date(2026, 9, 30), today=TODAY)
    assert membership.end_date == datetime.date(2027, 9, 30)
    assert membership.start_date == start
    assert membership.status == S.ACTIVE


def test_renewing_in_the_grace_period_extends_from_the_end_date_and_reactivates():
    membership = _member(status=S.GRACE, end=datetime.date(2026, 5, 31))
    membership_renew(membership=membership, for_end_date=datetime.date(2026, 5, 31), today=TODAY)
    assert membership.end_date == datetime.date(2027, 5, 31)
    assert membership.status == S.ACTIVE


def test_renewing_a_lapsed_membership_restarts_it_from_the_renewal_day():
    membership = _member(status=S.LAPSED, end=datetime.date(2025, 12, 31))
    joined = membership.joined_on
    membership_renew(membership=membership, for_end_date=datetime.date(2025, 12, 31), today=TODAY)
    assert membership.start_date == TODAY
    assert membership.end_date == datetime.date(2027, 6, 14)
    assert membership.status == S.ACTIVE
    assert membership.joined_on == joined


def test_renewing_twice_with_the_same_end_date_extends_only_once():
    membership = _member(status=S.ACTIVE, end=datetime.date(2026, 9, 30))
    seen = membership.end_date
    membership_renew(membership=membership, for_end_date=seen, today=TODAY)
    history_rows = membership.history.count()
    membership_renew(membership=membership, for_end_date=seen, today=TODAY)
    assert membership.end_date == datetime.date(2027, 9, 30)
    assert membership.history.count() == history_rows  # the repeat wrote nothing


def test_renewing_a_lapsed_membership_twice_restarts_it_only_once():
    membership = _member(status=S.LAPSED, end=datetime.date(2025, 12, 31))
    membership_renew(membership=membership, for_end_date=datetime.date(2025, 12, 31), today=TODAY)
    membership_renew(membership=membership, for_end_date=datetime.date(2025, 12, 31), today=TODAY + 5 * DAY)
    assert membership.start_date == TODAY


def test_renewing_again_with_the_new_end_date_extends_once_more():
    membership = _member(status=S.ACTIVE, end=datetime.date(2026, 9, 30))
    membership_renew(membership=membership, for_end_date=datetime.date(2026, 9, 30), today=TODAY)
    membership_renew(membership=membership, for_end_date=datetime.date(2027, 9, 30), today=TODAY)
    assert membership.end_date == datetime.date(2028, 9, 30)


def test_renewing_from_the_end_of_february_keeps_whole_periods():
    membership = _member(status=S.ACTIVE, end=datetime.date(2027, 2, 28), months=12)
    membership_renew(membership=membership, for_end_date=datetime.date(2027, 2, 28), today=TODAY)
    assert membership.end_date == datetime.date(2028, 2, 29)


@pytest.mark.parametrize("status", [S.PENDING, S.SUSPENDED, S.WITHDRAWN])
def test_pending_suspended_and_withdrawn_memberships_cannot_be_renewed(status):
    membership = _member(status=status, end=datetime.date(2026, 9, 30))
    # Renewal goes by the dates first: a pending membership of an ordinary tier whose start has passed is
    # active by its dates; one that waits for its fee stays pending whatever the dates say.
    membership.tier.fee_first = True
    membership.tier.save()
    with pytest.raises(InvalidTransition):
        membership_renew(membership=membership, for_end_date=datetime.date(2026, 9, 30), today=TODAY)


def test_an_open_ended_membership_cannot_be_renewed():
    membership = MembershipFactory(tier=OpenEndedTierFactory(), end_date=None)
    with pytest.raises(InvalidTransition):
        membership_renew(membership=membership, for_end_date=None, today=TODAY)


def test_a_lapsed_membership_is_not_restarted_beside_another_current_one():
    lapsed = _member(status=S.LAPSED, end=datetime.date(2025, 12, 31))
    MembershipFactory(organisation=lapsed.organisation, status=S.ACTIVE)
    with pytest.raises(ValidationError) as caught:
        membership_renew(membership=lapsed, for_end_date=datetime.date(2025, 12, 31), today=TODAY)
    assert "organisation" in caught.value.message_dict
    lapsed.refresh_from_db()
    assert lapsed.status == S.LAPSED


def test_a_renewal_is_recorded_in_history_with_who_did_it(admin_user):
    membership = _member(status=S.GRACE, end=datetime.date(2026, 5, 31))
    membership_renew(
        membership=membership, for_end_date=datetime.date(2026, 5, 31), today=TODAY, by=admin_user
    )
    latest = membership.history.order_by("-history_id").first()
    assert latest.history_user == admin_user
    assert latest.end_date == datetime.date(2027, 5, 31)
    assert latest.history_change_reason.startswith("Renewed")


# --- Staff decisions --------------------------------------------------------------------------------------


def test_a_suspended_membership_is_reinstated_to_the_status_its_dates_give(staff_user):
    membership = _member(status=S.ACTIVE, end=timezone.localdate() - 3 * DAY)
    membership_suspend(membership=membership, reason="Unpaid invoice", by=staff_user)
    assert membership.status == S.SUSPENDED
    membership_reinstate(membership=membership, by=staff_user)
    assert membership.status == S.GRACE
    reasons = list(membership.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[-2:] == ["Suspended: Unpaid invoice", "Reinstated"]


def test_a_withdrawn_membership_is_no_longer_current_and_cannot_be_suspended():
    membership = _member(status=S.ACTIVE, end=TODAY)
    membership_withdraw(membership=membership, reason="Left the coalition")
    assert membership.status == S.WITHDRAWN
    assert not membership.is_current
    with pytest.raises(InvalidTransition):
        membership_suspend(membership=membership)


def test_reinstating_a_withdrawn_membership_beside_a_new_current_one_is_refused():
    withdrawn = _member(status=S.WITHDRAWN, end=timezone.localdate() + 30 * DAY)
    MembershipFactory(organisation=withdrawn.organisation)
    with pytest.raises(ValidationError):
        membership_reinstate(membership=withdrawn)


def test_an_override_freezes_a_status_until_it_is_lifted(staff_user):
    membership = _member(status=S.ACTIVE, end=timezone.localdate() - 3 * DAY)
    membership_set_override(
        membership=membership, override=True, status=S.ACTIVE, reason="Fee waived this year", by=staff_user
    )
    assert membership.status_override
    from members.services import memberships_recompute_statuses

    assert memberships_recompute_statuses() == 0
    membership_set_override(membership=membership, override=False, by=staff_user)
    assert not membership.status_override
    assert membership.status == S.GRACE


def test_an_override_needs_a_reason():
    membership = _member(status=S.ACTIVE, end=TODAY)
    with pytest.raises(ValidationError) as caught:
        membership_set_override(membership=membership, override=True, status=S.ACTIVE, reason=" ")
    assert "reason" in caught.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_renewals_with_the_same_end_date_extend_only_once():
    import threading

    from django.db import connection

    membership = _member(status=S.ACTIVE, end=datetime.date(2026, 9, 30))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def renew() -> None:
        try:
            barrier.wait(5)
            membership_renew(
                membership=Membership.objects.get(pk=membership.pk),
                for_end_date=datetime.date(2026, 9, 30),
                today=TODAY,
            )
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=renew) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    membership.refresh_from_db()
    assert membership.end_date == datetime.date(2027, 9, 30)
    assert membership.history.filter(history_change_reason__startswith="Renewed").count() == 1
