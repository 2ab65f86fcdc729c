import pytest

from campaigns import demo
from campaigns.models import Campaign, CampaignAction, Event, EventParticipant, Target, TargetStageChange
from members.models import Commitment, Contact, Engagement, Organisation
from tests.members.factories import CommitmentFactory, CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    models = [
        Organisation,
        Contact,
        Campaign,
        Target,
        TargetStageChange,
        CampaignAction,
        Event,
        EventParticipant,
    ]
    return {m.__name__: m.objects.count() for m in [*models, Engagement]}


def test_the_gone_demo_loads_on_its_own_and_a_second_load_changes_nothing():
    demo.load(profile="gone")
    first = _counts()
    demo.load(profile="gone")
    assert _counts() == first

    campaign = Campaign.objects.get(name="Net-negative targets in NDCs before COP30")
    assert campaign.status == Campaign.Status.COMPLETED
    assert (campaign.ask_kind, campaign.ask_min_status, campaign.ask_in_ndc) == ("net_negative", "ndc", True)
    assert str(campaign.deadline) == "2025-11-10"
    stages = set(campaign.targets.values_list("stage", flat=True))
    assert stages == {"identified", "contacted", "engaged", "committed", "declined"}
    assert all(t.stage_changes.exists() for t in campaign.targets.all())

    event = Event.objects.get(title="Launch of the Group of Negative Emitters")
    assert (
        event.kind == Event.Kind.SIDE_EVENT
        and "Dubai" in event.location
        and str(event.starts_at.date()) == "2023-12-10"
    )
    assert event.campaign == campaign
    speakers = {p.organisation.name for p in event.participants.select_related("organisation")}
    assert speakers == {
        "Denmark",
        "Bhutan",
        "European Commission",
        "World Resources Institute",
        "UN Environment Programme",
        "Coalition for High Ambition Multilevel Partnerships",
    }
    assert all(p.attended and p.engagement.kind == "speaking_slot" for p in event.participants.all())
    minister = event.participants.get(organisation__name="Denmark").contact
    assert minister.name == "Dan Jørgensen" and "Global Climate Policy" in minister.job_title
    # Bhutan is a target too: speaking at the launch is on its campaign timeline.
    bhutan = campaign.targets.get(organisation__country="BT")
    assert bhutan.actions.filter(engagement__kind="speaking_slot").exists()


def test_the_demo_reuses_the_members_demo_organisations_and_links_a_matching_commitment():
    denmark = CountryFactory(country="DK", name="Denmark")
    panama = CountryFactory(country="PA", name="Panama")
    unep = OrganisationFactory(
        name="United Nations Environment Programme",
        kind=Organisation.Kind.INTERGOVERNMENTAL,
        website="https://www.unep.org/",
    )
    wri = OrganisationFactory(name="WRI (World Resources Institute)", website="https://www.wri.org/")
    in_ndc = CommitmentFactory(
        organisation=panama, kind=Commitment.Kind.NET_NEGATIVE, status=Commitment.Status.NDC, target_year=2050
    )
    demo.load(profile="gone")
    assert Organisation.objects.filter(kind="country", country="DK").get() == denmark
    event = Event.objects.get()
    orgs = set(event.participants.values_list("organisation_id", flat=True))
    assert {denmark.pk, unep.pk, wri.pk} <= orgs
    target = Target.objects.get(organisation=panama)
    assert target.stage == Target.Stage.COMMITTED and target.commitment == in_ndc


def test_other_profiles_load_no_campaigns():
    demo.load(profile="cne")
    assert Campaign.objects.count() == 0 and Event.objects.count() == 0
