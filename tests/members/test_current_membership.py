"""``Organisation.current_membership`` and ``membership_status`` stay right through every membership write.

They are a denormalised copy of "the organisation's membership: its current one, else the latest started"
(``selectors.memberships_newest_first``). Every test here does one write through its service and then
checks the copy against that definition, computed afresh from the memberships.
"""

import datetime

import pytest

from members import services
from members.duplicates.services import organisations_merge
from members.enquiries import services as enquiry_services
from members.models import Membership, Organisation
from members.selectors import memberships_newest_first

from .enquiry_factories import EnquiryFactory
from .factories import MembershipTierFactory, OrganisationFactory, PendingTierFactory

pytestmark = pytest.mark.django_db

S = Membership.Status
TODAY = datetime.date(2026, 6, 15)


def assert_denormalised(organisation: Organisation, *, expect: Membership | None, status: str = "") -> None:
    """The organisation's copy matches the definition, and the membership and status the test expects."""
    organisation = Organisation.objects.get(pk=organisation.pk)
    defined = memberships_newest_first(Membership.objects.filter(organisation=organisation)).first()
    assert organisation.current_membership_id == (defined.pk if defined else None)
    assert organisation.membership_status == (defined.status if defined else "")
    assert organisation.current_membership_id == (expect.pk if expect else None)
    assert organisation.membership_status == status


@pytest.fixture
def organisation():
    return OrganisationFactory()


@pytest.fixture
def tier():
    return MembershipTierFactory(period_months=12, grace_days=30)


def test_an_organisation_that_never_joined_has_no_membership(organisation):
    assert_denormalised(organisation, expect=None)


def test_starting_a_membership_makes_it_the_organisations_membership(organisation, tier):
    membership = services.membership_start(organisation=organisation, tier=tier)
    assert_denormalised(organisation, expect=membership, status=S.ACTIVE)


def test_starting_in_the_future_shows_pending_and_moving_the_start_shows_active(organisation, tier):
    today = datetime.date.today()
    membership = services.membership_start(
        organisation=organisation, tier=tier, start_date=today + datetime.timedelta(days=10)
    )
    assert_denormalised(organisation, expect=membership, status=S.PENDING)
    services.membership_update(membership=membership, start_date=today)
    assert_denormalised(organisation, expect=membership, status=S.ACTIVE)


def test_suspending_reinstating_freezing_and_lifting_follow_the_status(organisation, tier):
    membership = services.membership_start(organisation=organisation, tier=tier)
    services.membership_suspend(membership=membership, reason="Dues unpaid")
    assert_denormalised(organisation, expect=membership, status=S.SUSPENDED)
    services.membership_reinstate(membership=membership)
    assert_denormalised(organisation, expect=membership, status=S.ACTIVE)
    services.membership_set_override(membership=membership, override=True, status=S.GRACE, reason="Agreed")
    assert_denormalised(organisation, expect=membership, status=S.GRACE)
    services.membership_set_override(membership=membership, override=False)
    assert_denormalised(organisation, expect=membership, status=S.ACTIVE)


def test_withdrawing_keeps_the_membership_as_latest_until_a_new_one_starts(organisation, tier):
    today = datetime.date.today()
    first = services.membership_start(
        organisation=organisation, tier=tier, start_date=today + datetime.timedelta(days=30)
    )
    services.membership_withdraw(membership=first, reason="Left before starting")
    assert_denormalised(organisation, expect=first, status=S.WITHDRAWN)
    second = services.membership_start(organisation=organisation, tier=tier, start_date=today)
    # Current beats latest-started: the earlier-starting but current membership is the organisation's.
    assert_denormalised(organisation, expect=second, status=S.ACTIVE)


def test_the_daily_recomputation_moves_the_status_to_lapsed_and_renewal_brings_it_back(organisation, tier):
    today = datetime.date.today()
    membership = services.membership_start(
        organisation=organisation, tier=tier, start_date=today - datetime.timedelta(days=300)
    )
    later = today + datetime.timedelta(days=200)  # past the end date and the 30 grace days
    assert services.memberships_recompute_statuses(today=later) == 1
    assert_denormalised(organisation, expect=membership, status=S.LAPSED)
    membership.refresh_from_db()
    services.membership_renew(membership=membership, for_end_date=membership.end_date, today=later)
    assert_denormalised(organisation, expect=membership, status=S.ACTIVE)


def test_activating_a_pending_membership_shows_active(organisation):
    membership = services.membership_start(organisation=organisation, tier=PendingTierFactory())
    assert_denormalised(organisation, expect=membership, status=S.PENDING)
    services.membership_activate(membership=membership)
    assert_denormalised(organisation, expect=membership, status=S.ACTIVE)


def test_deleting_the_membership_falls_back_to_the_previous_one(organisation, tier):
    old = services.membership_start(
        organisation=organisation, tier=tier, start_date=datetime.date(2019, 1, 1)
    )
    services.membership_withdraw(membership=old)
    new = services.membership_start(organisation=organisation, tier=tier)
    assert_denormalised(organisation, expect=new, status=S.ACTIVE)
    services.membership_delete(membership=new)
    assert_denormalised(organisation, expect=old, status=S.WITHDRAWN)


def test_merging_moves_the_membership_to_the_record_kept(admin_user, tier):
    keep, gone = OrganisationFactory(), OrganisationFactory()
    membership = services.membership_start(organisation=gone, tier=tier)
    organisations_merge(keep=keep, gone=gone, by=admin_user)
    assert_denormalised(keep, expect=membership, status=S.ACTIVE)


def test_approving_an_enquiry_makes_the_new_membership_the_organisations(staff_user):
    enquiry = EnquiryFactory()
    enquiry = enquiry_services.enquiry_review_start(enquiry=enquiry, by=staff_user)
    enquiry = enquiry_services.enquiry_approve(enquiry=enquiry, by=staff_user, create_organisation=True)
    organisation = enquiry.organisation
    membership = Membership.objects.get(organisation=organisation)
    assert_denormalised(organisation, expect=membership, status=membership.status)
    assert membership.status in (S.ACTIVE, S.PENDING)


def test_saving_an_organisation_loaded_earlier_does_not_write_back_an_old_membership(organisation, tier):
    loaded_before = Organisation.objects.get(pk=organisation.pk)
    membership = services.membership_start(organisation=organisation, tier=tier)
    services.organisation_update(organisation=loaded_before, description="Updated after the membership")
    assert_denormalised(organisation, expect=membership, status=S.ACTIVE)


def test_a_full_refresh_repairs_every_organisation(tier):
    members = [OrganisationFactory() for _ in range(3)]
    memberships = [services.membership_start(organisation=o, tier=tier) for o in members]
    Organisation.objects.update(current_membership=None, membership_status="")
    assert services.organisation_membership_refresh() >= 3
    for organisation, membership in zip(members, memberships, strict=True):
        assert_denormalised(organisation, expect=membership, status=S.ACTIVE)
