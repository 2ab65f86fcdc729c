import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import CampaignAction, Target, TargetStageChange
from members.models import Engagement
from members.selectors import organisation_timeline
from tests.members.factories import ContactFactory, CountryFactory

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _country_target(code="PA", name="Panama", by=None):
    campaign = CampaignFactory()
    country = CountryFactory(country=code, name=name)
    return services.target_add(campaign=campaign, organisation=country, by=by)


def test_adding_a_target_starts_it_as_identified_with_a_history_row(staff_user):
    target = _country_target(by=staff_user)
    assert target.stage == Target.Stage.IDENTIFIED
    (change,) = target.stage_changes.all()
    assert (change.from_stage, change.to_stage, change.by) == ("", "identified", staff_user)


def test_each_stage_change_is_kept_with_who_and_when(staff_user, admin_user):
    target = _country_target(by=staff_user)
    services.target_move(target=target, stage=Target.Stage.CONTACTED, by=staff_user, note="Letter sent")
    services.target_move(target=target, stage=Target.Stage.ENGAGED, by=admin_user)
    services.target_move(target=target, stage=Target.Stage.DECLINED, by=admin_user)
    target.refresh_from_db()
    assert target.stage == Target.Stage.DECLINED
    rows = list(target.stage_changes.values_list("from_stage", "to_stage", "by__username", "note"))
    assert rows == [
        ("", "identified", "sam", "Added"),
        ("identified", "contacted", "sam", "Letter sent"),
        ("contacted", "engaged", "alice", ""),
        ("engaged", "declined", "alice", ""),
    ]
    ats = list(target.stage_changes.values_list("at", flat=True))
    assert ats == sorted(ats) and target.stage_changed_at == ats[-1]


def test_moving_a_target_to_its_current_stage_records_nothing(staff_user):
    target = _country_target()
    services.target_move(target=target, stage=Target.Stage.IDENTIFIED, by=staff_user)
    assert target.stage_changes.count() == 1


def test_an_unknown_stage_is_refused_and_changes_nothing(staff_user):
    target = _country_target()
    with pytest.raises(ValidationError) as info:
        services.target_move(target=target, stage="persuaded", by=staff_user)
    assert "Unknown stage" in info.value.message_dict["stage"][0]
    target.refresh_from_db()
    assert target.stage == Target.Stage.IDENTIFIED and target.stage_changes.count() == 1


def test_an_organisation_cannot_be_a_target_twice_in_one_campaign():
    target = _country_target()
    with pytest.raises(ValidationError, match="already a target"):
        services.target_add(campaign=target.campaign, organisation=target.organisation)
    assert Target.objects.count() == 1


def test_a_logged_action_joins_the_targets_timeline_and_the_organisations_history(staff_user):
    target = _country_target(by=staff_user)
    minister = ContactFactory(organisation=target.organisation, name="Minister of Environment")
    when = timezone.now() - datetime.timedelta(days=2)
    action = services.target_log_action(
        target=target,
        kind=Engagement.Kind.MEETING,
        summary="Bilateral on the NDC update",
        occurred_at=when,
        contacts=[minister],
        by=staff_user,
    )
    assert action.engagement.organisation == target.organisation
    assert list(action.engagement.staff.all()) == [staff_user]
    services.target_move(target=target, stage=Target.Stage.ENGAGED, by=staff_user)

    timeline = selectors.target_timeline(target=target)
    assert [e.category for e in timeline] == ["stage", "stage", "action"]  # the meeting was 2 days ago
    assert timeline[0].title == "Stage: Identified → Engaged"
    titles = [e.title for e in timeline]
    assert "Meeting: Bilateral on the NDC update" in titles
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)
    assert any(
        "Bilateral on the NDC update" in e.title
        for e in organisation_timeline(organisation=target.organisation)
    )


def test_an_action_with_another_organisations_contact_is_refused(staff_user):
    target = _country_target()
    stranger = ContactFactory()
    with pytest.raises(ValidationError, match="is not a contact of"):
        services.target_log_action(
            target=target, kind=Engagement.Kind.CALL, summary="Call", contacts=[stranger], by=staff_user
        )
    assert CampaignAction.objects.count() == 0 and Engagement.objects.count() == 0


def test_a_targets_timeline_costs_the_same_queries_however_long_it_is(
    staff_user, django_assert_max_num_queries
):
    short, long = _country_target("PA", "Panama"), _country_target("FI", "Finland")
    for i in range(20):
        services.target_log_action(
            target=long, kind=Engagement.Kind.EMAIL, summary=f"Email {i}", by=staff_user
        )
        services.target_move(
            target=long, stage=[Target.Stage.CONTACTED, Target.Stage.ENGAGED][i % 2], by=staff_user
        )
    with django_assert_max_num_queries(3):
        assert len(selectors.target_timeline(target=short)) == 1
    with django_assert_max_num_queries(3):
        assert len(selectors.target_timeline(target=long)) == 41
    assert TargetStageChange.objects.filter(target=long).count() == 21
