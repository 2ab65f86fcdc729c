"""An organisation's timeline shows every membership and commitment change, with who made it and why."""

import datetime

import pytest
from django.utils import timezone

from members.selectors import organisation_timeline
from members.services import (
    commitment_create,
    commitment_update,
    membership_renew,
    membership_set_override,
    membership_start,
    membership_suspend,
    memberships_recompute_statuses,
)

from .factories import EngagementFactory, MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_the_daily_recomputation_shows_in_the_timeline_as_a_status_change_by_nobody():
    organisation = OrganisationFactory()
    membership = membership_start(
        organisation=organisation,
        tier=MembershipTierFactory(period_months=12, grace_days=30),
        start_date=timezone.localdate() - 10 * DAY,
    )
    memberships_recompute_statuses(today=membership.end_date + DAY)

    changes = [e for e in organisation_timeline(organisation=organisation) if e.title == "Membership changed"]

    assert len(changes) == 1
    assert changes[0].changes == ["status: Active → Grace period"]
    assert "recomputed" in changes[0].detail
    assert changes[0].by == ""


def test_staff_changes_to_a_membership_show_who_made_them_and_why(staff_user, admin_user):
    organisation = OrganisationFactory()
    tier = MembershipTierFactory(period_months=12)
    membership = membership_start(organisation=organisation, tier=tier, by=admin_user)
    membership_renew(membership=membership, for_end_date=membership.end_date, by=staff_user)
    membership_set_override(membership=membership, override=True, reason="Fee waived", by=staff_user)
    membership_suspend(membership=membership, reason="Under review", by=admin_user)

    entries = [e for e in organisation_timeline(organisation=organisation) if e.category == "membership"]

    assert [(e.title, e.by) for e in entries] == [
        ("Membership changed", admin_user.username),
        ("Membership changed", staff_user.username),
        ("Membership changed", staff_user.username),
        (f"Membership created: {tier.name}, Active", admin_user.username),
    ]
    suspended, frozen, renewed, _ = entries
    assert suspended.changes == ["status: Active → Suspended"]
    assert suspended.detail == "Suspended: Under review"
    assert frozen.changes == ["status override: False → True"]
    assert renewed.detail.startswith("Renewed")
    assert renewed.changes[0].startswith("end date:")


def test_a_commitment_revision_shows_what_changed(staff_user):
    organisation = OrganisationFactory(name="Denmark", kind="country", country="DK")
    commitment = commitment_create(
        organisation=organisation, kind="net_zero", target_year=2050, by=staff_user
    )
    commitment_update(commitment=commitment, kind="net_negative", reduction_percent=110, by=staff_user)
    EngagementFactory(organisation=organisation, summary="Launch of the group")

    entries = organisation_timeline(organisation=organisation)

    revised = next(e for e in entries if e.title.startswith("Commitment revised"))
    assert "kind: Net zero → Net negative" in revised.changes
    assert revised.by == staff_user.username
    assert any(e.category == "engagement" and "Launch of the group" in e.title for e in entries)
