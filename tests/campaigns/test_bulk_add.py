import pytest
from django.core.exceptions import ValidationError

from campaigns import services
from campaigns.models import Target, TargetStageChange
from members.models import Commitment, Membership
from tests.members.factories import (
    CommitmentFactory,
    CountryFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db

# ISO codes to build many distinct country records from.
CODES = [
    "AR",
    "AU",
    "BD",
    "BE",
    "BR",
    "BT",
    "CA",
    "CL",
    "CN",
    "CO",
    "CR",
    "DE",
    "DK",
    "EG",
    "ES",
    "ET",
    "FI",
    "FJ",
    "FR",
    "GB",
    "GH",
    "GY",
    "ID",
    "IE",
    "IN",
    "IS",
    "IT",
    "JP",
    "KE",
    "KR",
    "MA",
    "MX",
    "MY",
    "NG",
    "NL",
    "NO",
    "NZ",
    "PA",
    "PE",
    "PH",
    "PK",
    "PT",
    "SE",
    "SG",
    "SR",
    "TH",
    "TR",
    "UY",
    "VN",
    "ZA",
]


def _countries(n: int):
    return [CountryFactory(country=code, name=f"Country {code}") for code in CODES[:n]]


@pytest.mark.parametrize("n", [5, 50])
def test_adding_countries_without_a_net_negative_commitment_costs_the_same_queries_for_5_or_50(
    n, staff_user, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    countries = _countries(n)
    # One country already has a net-negative target (stays out), one has only net zero (comes in).
    CommitmentFactory(organisation=countries[0], kind=Commitment.Kind.NET_NEGATIVE)
    CommitmentFactory(organisation=countries[1], kind=Commitment.Kind.NET_ZERO)
    OrganisationFactory()  # a company: never a country target
    with django_assert_max_num_queries(8):
        added = services.targets_add_from_filter(
            campaign=campaign, filter=services.FILTER_COUNTRIES_WITHOUT_NET_NEGATIVE, by=staff_user
        )
    assert added == n - 1
    targeted = set(campaign.targets.values_list("organisation_id", flat=True))
    assert countries[0].pk not in targeted and countries[1].pk in targeted and len(targeted) == n - 1
    assert TargetStageChange.objects.filter(target__campaign=campaign, by=staff_user).count() == n - 1


@pytest.mark.parametrize("n", [5, 50])
def test_adding_the_members_of_a_tier_costs_the_same_queries_for_5_or_50(
    n, staff_user, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    founding, other = MembershipTierFactory(slug="founding"), MembershipTierFactory(slug="associate")
    members = [MembershipFactory(tier=founding).organisation for _ in range(n)]
    MembershipFactory(tier=other)  # another tier
    MembershipFactory(tier=founding, status=Membership.Status.LAPSED)  # no longer a member
    with django_assert_max_num_queries(8):
        added = services.targets_add_from_filter(
            campaign=campaign, filter=services.FILTER_MEMBERS_OF_TIER, tier=founding.pk, by=staff_user
        )
    assert added == n
    assert set(campaign.targets.values_list("organisation_id", flat=True)) == {m.pk for m in members}


@pytest.mark.parametrize("n", [5, 50])
def test_adding_a_list_of_countries_costs_the_same_queries_for_5_or_50(
    n, staff_user, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    _countries(50)
    codes = [c.lower() for c in CODES[:n]]  # codes are read case-insensitively
    with django_assert_max_num_queries(9):
        added = services.targets_add_from_filter(
            campaign=campaign, filter=services.FILTER_COUNTRIES, countries=codes, by=staff_user
        )
    assert added == n
    assert set(campaign.targets.values_list("organisation__country", flat=True)) == set(CODES[:n])


def test_adding_again_leaves_existing_targets_and_their_stages_alone(staff_user):
    campaign = CampaignFactory()
    dk, pa, _fi = (
        CountryFactory(country="DK", name="Denmark"),
        CountryFactory(country="PA", name="Panama"),
        None,
    )
    target = services.target_add(campaign=campaign, organisation=dk, by=staff_user)
    services.target_move(target=target, stage=Target.Stage.ENGAGED, by=staff_user)
    added = services.targets_add_from_filter(
        campaign=campaign, filter=services.FILTER_COUNTRIES, countries=["DK", "PA"], by=staff_user
    )
    assert added == 1
    assert campaign.targets.get(organisation=dk).stage == Target.Stage.ENGAGED
    assert campaign.targets.get(organisation=pa).stage == Target.Stage.IDENTIFIED
    assert (
        services.targets_add_from_filter(
            campaign=campaign, filter=services.FILTER_COUNTRIES, countries=["DK", "PA"], by=staff_user
        )
        == 0
    )


def test_an_unknown_country_code_is_refused_and_adds_nothing(staff_user):
    campaign = CampaignFactory()
    CountryFactory(country="DK", name="Denmark")
    with pytest.raises(ValidationError) as info:
        services.targets_add_from_filter(
            campaign=campaign, filter=services.FILTER_COUNTRIES, countries=["DK", "XX"], by=staff_user
        )
    assert "No country record for: XX" in info.value.message_dict["countries"][0]
    assert Target.objects.count() == 0


def test_an_unknown_filter_or_a_missing_tier_is_refused(staff_user):
    campaign = CampaignFactory()
    with pytest.raises(ValidationError, match="Unknown filter"):
        services.targets_add_from_filter(campaign=campaign, filter="friendly_countries", by=staff_user)
    with pytest.raises(ValidationError, match="Choose the membership tier"):
        services.targets_add_from_filter(
            campaign=campaign, filter=services.FILTER_MEMBERS_OF_TIER, by=staff_user
        )
