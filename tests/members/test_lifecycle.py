"""Membership statuses follow the dates and the tier, except where staff decided otherwise."""

import datetime

import pytest
from celery import current_app
from django.utils import timezone

from members.models import Membership
from members.services import membership_activate, membership_status_on, memberships_recompute_statuses

from .factories import MembershipFactory, MembershipTierFactory, OpenEndedTierFactory, PendingTierFactory

S = Membership.Status
START = datetime.date(2025, 3, 1)
END = datetime.date(2026, 2, 28)
DAY = datetime.timedelta(days=1)


def _membership(
    *, status=S.ACTIVE, grace_days=30, starts_pending=False, end=END, override=False
) -> Membership:
    tier = MembershipTierFactory.build(grace_days=grace_days, starts_pending=starts_pending)
    return Membership(
        tier=tier, status=status, joined_on=START, start_date=START, end_date=end, status_override=override
    )


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (START - DAY, S.PENDING),
        (START, S.ACTIVE),
        (END, S.ACTIVE),
        (END + DAY, S.GRACE),
        (END + 30 * DAY, S.GRACE),
        (END + 31 * DAY, S.LAPSED),
    ],
    ids=["day-before-start", "start-day", "last-day", "day-after-end", "last-grace-day", "day-after-grace"],
)
def test_the_status_follows_the_dates_and_the_grace_period(on, expected):
    assert membership_status_on(membership=_membership(status=S.PENDING), on=on) == expected
    assert membership_status_on(membership=_membership(status=S.ACTIVE), on=on) == expected


def test_without_grace_days_a_membership_lapses_the_day_after_it_ends():
    membership = _membership(grace_days=0)
    assert membership_status_on(membership=membership, on=END) == S.ACTIVE
    assert membership_status_on(membership=membership, on=END + DAY) == S.LAPSED


def test_an_open_ended_membership_stays_active_for_good():
    membership = _membership(end=None)
    assert membership_status_on(membership=membership, on=START + 10_000 * DAY) == S.ACTIVE


@pytest.mark.parametrize("status", [S.SUSPENDED, S.WITHDRAWN])
def test_suspended_and_withdrawn_are_left_alone_by_the_dates(status):
    membership = _membership(status=status)
    for on in (START - DAY, START, END + DAY, END + 365 * DAY):
        assert membership_status_on(membership=membership, on=on) == status


@pytest.mark.parametrize("status", [S.ACTIVE, S.GRACE, S.LAPSED, S.PENDING])
def test_a_staff_override_freezes_the_status(status):
    membership = _membership(status=status, override=True)
    for on in (START - DAY, START, END + DAY, END + 365 * DAY):
        assert membership_status_on(membership=membership, on=on) == status


def test_a_pending_membership_of_a_fee_first_tier_stays_pending_after_its_start():
    membership = _membership(status=S.PENDING, starts_pending=True)
    assert membership_status_on(membership=membership, on=START + 10 * DAY) == S.PENDING


@pytest.mark.django_db
def test_activating_a_fee_first_membership_puts_it_under_the_date_rules():
    membership = MembershipFactory(
        tier=PendingTierFactory(), status=S.PENDING, start_date=START, end_date=END, joined_on=START
    )
    membership_activate(membership=membership, today=START + DAY)
    assert membership.status == S.ACTIVE
    assert memberships_recompute_statuses(today=END + DAY) == 1
    membership.refresh_from_db()
    assert membership.status == S.GRACE


# --- The daily recomputation --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_recomputation_moves_each_membership_to_its_status_for_the_day():
    tier = MembershipTierFactory(grace_days=30)
    starting = MembershipFactory(tier=tier, status=S.PENDING, start_date=END, end_date=END + 364 * DAY)
    ending = MembershipFactory(tier=tier, status=S.ACTIVE, start_date=START, end_date=END - DAY)
    lapsing = MembershipFactory(tier=tier, status=S.GRACE, start_date=START, end_date=END - 31 * DAY)
    steady = MembershipFactory(tier=tier, status=S.ACTIVE, start_date=START, end_date=END + DAY)

    assert memberships_recompute_statuses(today=END) == 3

    statuses = dict(Membership.objects.values_list("pk", "status"))
    assert statuses == {starting.pk: S.ACTIVE, ending.pk: S.GRACE, lapsing.pk: S.LAPSED, steady.pk: S.ACTIVE}


@pytest.mark.django_db
def test_a_second_recomputation_on_the_same_day_changes_nothing():
    MembershipFactory(status=S.ACTIVE, start_date=START, end_date=END)
    assert memberships_recompute_statuses(today=END + DAY) == 1
    assert memberships_recompute_statuses(today=END + DAY) == 0
    assert Membership.history.count() == 2  # created, then moved to grace once


@pytest.mark.django_db
def test_the_recomputation_leaves_frozen_suspended_withdrawn_and_fee_first_memberships_alone():
    long_ago = dict(start_date=START, end_date=END)
    frozen = MembershipFactory(status=S.ACTIVE, status_override=True, **long_ago)
    suspended = MembershipFactory(status=S.SUSPENDED, **long_ago)
    withdrawn = MembershipFactory(status=S.WITHDRAWN, **long_ago)
    fee_first = MembershipFactory(tier=PendingTierFactory(), status=S.PENDING, **long_ago)

    assert memberships_recompute_statuses(today=END + 400 * DAY) == 0

    for membership, status in [
        (frozen, S.ACTIVE),
        (suspended, S.SUSPENDED),
        (withdrawn, S.WITHDRAWN),
        (fee_first, S.PENDING),
    ]:
        membership.refresh_from_db()
        assert membership.status == status


@pytest.mark.django_db
def test_the_recomputation_never_revives_a_lapsed_membership():
    lapsed = MembershipFactory(status=S.LAPSED, start_date=START, end_date=END)
    assert memberships_recompute_statuses(today=START + DAY) == 0
    lapsed.refresh_from_db()
    assert lapsed.status == S.LAPSED


@pytest.mark.django_db
def test_open_ended_memberships_are_never_lapsed_by_the_recomputation():
    membership = MembershipFactory(tier=OpenEndedTierFactory(), start_date=START, end_date=None)
    assert memberships_recompute_statuses(today=START + 5000 * DAY) == 0
    membership.refresh_from_db()
    assert membership.status == S.ACTIVE


@pytest.mark.django_db
def test_each_recomputed_change_lands_in_the_membership_history_with_its_reason():
    membership = MembershipFactory(status=S.ACTIVE, start_date=START, end_date=END)
    memberships_recompute_statuses(today=END + DAY)
    latest = membership.history.order_by("-history_date", "-history_id").first()
    assert latest.status == S.GRACE
    assert latest.history_type == "~"
    assert "recomputed" in latest.history_change_reason
    membership.refresh_from_db()
    assert membership.updated_at == latest.history_date


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [5, 50])
def test_the_recomputation_runs_a_bounded_number_of_queries(rows, django_assert_max_num_queries):
    tier = MembershipTierFactory()
    MembershipFactory.create_batch(rows, tier=tier, status=S.ACTIVE, start_date=START, end_date=END)
    # One locking read, one bulk update and one bulk insert of history rows (plus the savepoints).
    with django_assert_max_num_queries(6):
        assert memberships_recompute_statuses(today=END + DAY) == rows


# --- Through the real worker, by the name the beat schedule uses ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_task_recomputes_statuses_in_a_real_worker(worker, settings):
    import time

    task_name = settings.CELERY_BEAT_SCHEDULE["memberships-recompute-statuses"]["task"]
    yesterday = timezone.localdate() - DAY
    membership = MembershipFactory(
        status=S.ACTIVE, start_date=yesterday - 364 * DAY, end_date=yesterday, joined_on=yesterday - 364 * DAY
    )

    current_app.send_task(task_name)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        membership.refresh_from_db()
        if membership.status != S.ACTIVE:
            break
        time.sleep(0.2)
    assert membership.status == S.GRACE
