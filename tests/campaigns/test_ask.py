"""A commitment recorded through the members services answers a campaign's ask (hook commitment_recorded)."""

import pytest

from campaigns.models import Campaign, Target
from members import services as member_services
from members.models import Commitment
from tests.members.factories import CountryFactory

from .factories import AskingCampaignFactory, TargetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def panama_target():
    panama = CountryFactory(country="PA", name="Panama")
    return TargetFactory(campaign=AskingCampaignFactory(), organisation=panama, stage=Target.Stage.ENGAGED)


def _record(target, by=None, **fields):
    values = {"kind": Commitment.Kind.NET_NEGATIVE, "target_year": 2050, "status": Commitment.Status.NDC}
    return member_services.commitment_create(organisation=target.organisation, by=by, **{**values, **fields})


def test_a_matching_commitment_moves_the_target_to_committed_with_the_commitment_linked(
    panama_target, staff_user
):
    commitment = _record(panama_target, by=staff_user)
    panama_target.refresh_from_db()
    assert panama_target.stage == Target.Stage.COMMITTED
    assert panama_target.commitment == commitment
    change = panama_target.stage_changes.last()
    assert (change.from_stage, change.to_stage, change.by, change.commitment) == (
        "engaged",
        "committed",
        staff_user,
        commitment,
    )
    assert "answers the ask" in change.note


def test_a_stronger_status_than_the_ndc_also_answers_an_ask_for_the_ndc(panama_target):
    _record(panama_target, status=Commitment.Status.LAW)
    panama_target.refresh_from_db()
    assert panama_target.stage == Target.Stage.COMMITTED


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(
            {"kind": Commitment.Kind.NET_ZERO}, id="net zero does not answer an ask for net negative"
        ),
        pytest.param({"status": Commitment.Status.PLEDGE}, id="a pledge is weaker than the NDC"),
        pytest.param({"status": Commitment.Status.POLICY_DOCUMENT}, id="a policy document is not the NDC"),
        pytest.param({"target_year": 2060}, id="a later year than asked"),
        pytest.param({"target_year": None}, id="no target year for a dated ask"),
    ],
)
def test_a_commitment_that_falls_short_of_the_ask_leaves_the_target_where_it_was(panama_target, fields):
    _record(panama_target, **fields)
    panama_target.refresh_from_db()
    assert panama_target.stage == Target.Stage.ENGAGED and panama_target.commitment is None
    assert panama_target.stage_changes.count() == 0  # the factory adds no history row


def test_a_net_negative_commitment_answers_an_ask_for_net_zero():
    finland = CountryFactory(country="FI", name="Finland")
    campaign = AskingCampaignFactory(ask_kind=Commitment.Kind.NET_ZERO, ask_min_status=Commitment.Status.LAW)
    target = TargetFactory(campaign=campaign, organisation=finland)
    member_services.commitment_create(
        organisation=finland,
        kind=Commitment.Kind.NET_NEGATIVE,
        target_year=2040,
        status=Commitment.Status.LAW,
    )
    target.refresh_from_db()
    assert target.stage == Target.Stage.COMMITTED


def test_revising_a_commitment_until_it_matches_moves_the_target(panama_target, staff_user):
    commitment = _record(panama_target, status=Commitment.Status.PLEDGE)
    panama_target.refresh_from_db()
    assert panama_target.stage == Target.Stage.ENGAGED
    member_services.commitment_update(commitment=commitment, status=Commitment.Status.NDC, by=staff_user)
    panama_target.refresh_from_db()
    assert panama_target.stage == Target.Stage.COMMITTED and panama_target.commitment == commitment


def test_only_active_campaigns_move_their_targets(panama_target):
    Campaign.objects.filter(pk=panama_target.campaign_id).update(status=Campaign.Status.COMPLETED)
    _record(panama_target)
    panama_target.refresh_from_db()
    assert panama_target.stage == Target.Stage.ENGAGED


def test_another_organisations_commitment_moves_nothing(panama_target):
    other = CountryFactory(country="FI", name="Finland")
    member_services.commitment_create(
        organisation=other, kind=Commitment.Kind.NET_NEGATIVE, target_year=2035, status=Commitment.Status.NDC
    )
    panama_target.refresh_from_db()
    assert panama_target.stage == Target.Stage.ENGAGED


def test_a_campaign_without_an_ask_is_never_moved_by_commitments():
    panama = CountryFactory(country="PA", name="Panama")
    target = TargetFactory(organisation=panama, stage=Target.Stage.CONTACTED)
    member_services.commitment_create(
        organisation=panama, kind=Commitment.Kind.NET_NEGATIVE, target_year=2030, status=Commitment.Status.LAW
    )
    target.refresh_from_db()
    assert target.stage == Target.Stage.CONTACTED
