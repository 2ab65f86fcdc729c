import datetime

import pytest
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import Campaign, Target
from coalition import hooks
from members import services as member_services
from members.models import Commitment
from tests.members.factories import CountryFactory

from .factories import AskingCampaignFactory, CampaignFactory, EventFactory, TargetFactory

pytestmark = pytest.mark.django_db


def test_progress_counts_each_stage_the_share_committed_and_the_days_left():
    today = datetime.date(2025, 1, 1)
    campaign = CampaignFactory(start_date=datetime.date(2024, 1, 1), deadline=datetime.date(2025, 11, 10))
    for stage, n in [("identified", 3), ("contacted", 2), ("engaged", 1), ("committed", 3), ("declined", 1)]:
        for _ in range(n):
            TargetFactory(campaign=campaign, stage=stage)
    progress = selectors.campaign_progress(campaign=campaign, today=today)
    assert {s.stage: s.count for s in progress.stages} == {
        "identified": 3,
        "contacted": 2,
        "engaged": 1,
        "committed": 3,
        "declined": 1,
    }
    assert progress.total == 10 and progress.committed == 3 and progress.share_committed == 0.3
    assert progress.days_to_deadline == 313
    assert (
        selectors.campaign_progress(campaign=campaign, today=datetime.date(2025, 11, 20)).days_to_deadline
        == -10
    )


def test_a_campaign_without_targets_has_zero_progress():
    progress = selectors.campaign_progress(campaign=CampaignFactory())
    assert progress.total == 0 and progress.share_committed == 0.0


@pytest.mark.parametrize("n", [5, 50])
def test_progress_for_a_list_of_campaigns_is_one_query(n, django_assert_num_queries):
    for _ in range(n):
        TargetFactory(campaign=CampaignFactory(), stage=Target.Stage.COMMITTED)
    with django_assert_num_queries(1):
        rows = [selectors.campaign_progress(campaign=c) for c in selectors.campaigns_with_progress()]
    assert len(rows) == n and all(p.share_committed == 1.0 for p in rows)


def test_the_chart_series_counts_targets_into_and_out_of_committed(staff_user):
    campaign = CampaignFactory()
    a = services.target_add(campaign=campaign, organisation=CountryFactory(country="DK", name="Denmark"))
    b = services.target_add(campaign=campaign, organisation=CountryFactory(country="PA", name="Panama"))
    services.target_move(target=a, stage=Target.Stage.COMMITTED, by=staff_user)
    services.target_move(target=b, stage=Target.Stage.COMMITTED, by=staff_user)
    services.target_move(target=a, stage=Target.Stage.ENGAGED, by=staff_user)  # a correction
    assert [n for _, n in selectors.campaign_committed_over_time(campaign=campaign)] == [1, 2, 1]


def test_progress_items_report_targets_that_committed_and_events_held_in_the_period():
    panama = CountryFactory(country="PA", name="Panama")
    campaign = AskingCampaignFactory(name="Net-negative NDCs")
    TargetFactory(campaign=campaign, organisation=panama, stage=Target.Stage.ENGAGED)
    start = timezone.now() - datetime.timedelta(days=7)
    member_services.commitment_create(
        organisation=panama,
        kind=Commitment.Kind.NET_NEGATIVE,
        target_year=2050,
        status=Commitment.Status.NDC,
        source_url="https://example.org/panama-ndc",
    )
    held = timezone.now() - datetime.timedelta(days=2)
    EventFactory(title="Removals webinar", starts_at=held, ends_at=held, location="Panama City")
    EventFactory(title="Next month's roundtable")  # not held yet
    old = timezone.now() - datetime.timedelta(days=40)
    EventFactory(title="Old briefing", starts_at=old, ends_at=old)

    items = hooks.collect("progress_items", start=start, end=timezone.now() + datetime.timedelta(seconds=1))
    ours = [i for i in items if i["section"] == "campaigns"]
    assert len(ours) == 2
    assert ours[0]["text"] == "Panama committed to a net negative target by 2050 (in NDC): Net-negative NDCs."
    assert ours[0]["url"] == "https://example.org/panama-ndc"
    assert "Removals webinar, Panama City" in ours[1]["text"]


def test_completed_campaigns_keep_their_targets_when_commitments_arrive():
    campaign = AskingCampaignFactory(status=Campaign.Status.COMPLETED)
    panama = CountryFactory(country="PA", name="Panama")
    target = TargetFactory(campaign=campaign, organisation=panama)
    member_services.commitment_create(
        organisation=panama, kind=Commitment.Kind.NET_NEGATIVE, target_year=2050, status=Commitment.Status.NDC
    )
    target.refresh_from_db()
    assert target.stage == Target.Stage.IDENTIFIED
