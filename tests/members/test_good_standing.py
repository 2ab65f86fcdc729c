"""One definition of "member in good standing": the dashboard, public pages and campaign filters."""

import pytest

from campaigns.services import FILTER_MEMBERS_OF_TIER, target_filter_organisations
from coalition.site import dashboard
from members import demo
from members.models import Membership, MembershipTier, Organisation
from members.public.selectors import public_members, public_summary
from tests.members.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _campaign_filter_members() -> set[int]:
    found: set[int] = set()
    for tier in MembershipTier.objects.all():
        found |= set(
            target_filter_organisations(filter=FILTER_MEMBERS_OF_TIER, tier=tier.pk).values_list(
                "pk", flat=True
            )
        )
    return found


@pytest.mark.parametrize("profile", demo.PROFILES)
def test_the_dashboard_the_public_pages_and_the_campaign_filter_count_the_same_members(profile):
    demo.load(profile=profile)
    # The demo lists every member publicly, so the public count is the whole membership here.
    Organisation.objects.update(listed_publicly=True)
    members = set(Organisation.objects.in_good_standing().values_list("pk", flat=True))
    assert members
    assert dashboard.members_with_net_negative_targets().whole == len(members)
    assert public_summary().members == len(members)
    assert set(public_members().values_list("pk", flat=True)) == members
    assert _campaign_filter_members() == members


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        (Membership.Status.ACTIVE, True),
        (Membership.Status.GRACE, True),
        (Membership.Status.PENDING, False),
        (Membership.Status.SUSPENDED, False),
        (Membership.Status.LAPSED, False),
        (Membership.Status.WITHDRAWN, False),
    ],
)
def test_only_active_and_grace_memberships_are_in_good_standing(status, counts):
    organisation = OrganisationFactory(listed_publicly=True)
    MembershipFactory(organisation=organisation, status=status)
    assert Organisation.objects.in_good_standing().filter(pk=organisation.pk).exists() is counts
    assert dashboard.members_with_net_negative_targets().whole == int(counts)
    assert public_summary().members == int(counts)
    assert (organisation.pk in _campaign_filter_members()) is counts
