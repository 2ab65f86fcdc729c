"""The target stage table: every allowed and every forbidden move, through the service and its doors."""

import pytest
from django.urls import reverse

from campaigns import services
from campaigns.models import Target, TargetStageChange
from coalition.exceptions import InvalidTransition

from .factories import TargetFactory

pytestmark = pytest.mark.django_db
S = Target.Stage

ALL = [s.value for s in S]
ALLOWED = [(a, b) for a in ALL for b in ALL if b in services.ALLOWED_TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a in ALL for b in ALL if a != b and b not in services.ALLOWED_TRANSITIONS[a]]


def test_the_stage_table_lets_a_target_go_anywhere_but_back_to_identified():
    assert set(services.ALLOWED_TRANSITIONS) == set(ALL)
    for stage, allowed in services.ALLOWED_TRANSITIONS.items():
        assert allowed == set(ALL) - {stage, S.IDENTIFIED}, stage
    # Every pair of different stages is tested below, once.
    assert len(ALLOWED) + len(FORBIDDEN) == len(ALL) * (len(ALL) - 1)
    assert [(a, S.IDENTIFIED) for a in ALL if a != S.IDENTIFIED] == FORBIDDEN


@pytest.mark.parametrize(("start", "stage"), ALLOWED)
def test_an_allowed_move_changes_the_stage_and_records_who_when_and_why(start, stage, staff_user):
    target = TargetFactory(stage=start)
    moved = services.target_edit(target=target, stage=stage, by=staff_user, note="Minister's letter")
    moved.refresh_from_db()
    assert moved.stage == stage
    change = TargetStageChange.objects.get(target=target)
    assert (change.from_stage, change.to_stage, change.by, change.note) == (
        start,
        stage,
        staff_user,
        "Minister's letter",
    )
    assert moved.stage_changed_at == change.at


@pytest.mark.parametrize(("start", "stage"), FORBIDDEN)
def test_a_forbidden_move_is_refused_with_what_the_stage_allows_and_changes_nothing(start, stage, staff_user):
    target = TargetFactory(stage=start, next_action="Call the envoy")
    with pytest.raises(InvalidTransition) as info:
        services.target_edit(target=target, stage=stage, by=staff_user, next_action="Celebrate")
    assert f"cannot move to {S(stage).label.lower()}" in str(info.value)
    assert "From here it can move to:" in str(info.value)
    target.refresh_from_db()
    assert (target.stage, target.next_action) == (start, "Call the envoy")  # the field edit rolled back too
    assert not TargetStageChange.objects.exists()


@pytest.mark.parametrize("stage", ALL)
def test_asking_for_the_current_stage_moves_nothing_and_records_nothing(stage, staff_user):
    target = TargetFactory(stage=stage)
    services.target_edit(target=target, stage=stage, by=staff_user)
    assert not TargetStageChange.objects.exists()


def test_target_move_follows_the_same_table(staff_user):
    target = TargetFactory(stage=S.CONTACTED)
    with pytest.raises(InvalidTransition):
        services.target_move(target=target, stage=S.IDENTIFIED, by=staff_user)
    services.target_move(target=target, stage=S.ENGAGED, by=staff_user)
    target.refresh_from_db()
    assert target.stage == S.ENGAGED


def test_a_forbidden_move_through_the_api_answers_409_and_changes_nothing(staff_api):
    target = TargetFactory(stage=S.ENGAGED)
    response = staff_api.patch(
        f"/api/v1/campaign-targets/{target.pk}/", {"stage": "identified", "next_action": "Start over"}
    )
    assert response.status_code == 409
    assert "cannot move to identified" in response.data["detail"]
    target.refresh_from_db()
    assert (target.stage, target.next_action) == (S.ENGAGED, "")


def test_the_target_page_offers_only_the_moves_the_table_allows(client, admin_user):
    client.force_login(admin_user)
    target = TargetFactory(stage=S.CONTACTED)
    url = reverse("admin:campaigns_target_change", args=[target.pk])
    form = client.get(url).context["adminform"].form
    offered = [value for value, _ in form.fields["move_to"].choices if value]
    assert offered == [S.ENGAGED, S.COMMITTED, S.DECLINED]
    response = client.post(url, {"move_to": "identified", "notes": ""})
    assert response.status_code == 200 and "move_to" in response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.stage == S.CONTACTED and not TargetStageChange.objects.exists()


def test_the_list_actions_offer_the_stages_a_target_can_reach_and_record_each_move(client, admin_user):
    client.force_login(admin_user)
    identified, committed = TargetFactory(stage=S.IDENTIFIED), TargetFactory(stage=S.COMMITTED)
    changelist = reverse("admin:campaigns_target_changelist")
    actions = [value for value, _ in client.get(changelist).context["action_form"].fields["action"].choices]
    assert "move_to_contacted" in actions and "move_to_identified" not in actions
    response = client.post(
        changelist,
        {"action": "move_to_engaged", "_selected_action": [identified.pk, committed.pk]},
        follow=True,
    )
    notes = [str(m) for m in response.context["messages"]]
    assert "2 targets moved to engaged." in notes
    identified.refresh_from_db()
    committed.refresh_from_db()
    assert identified.stage == committed.stage == S.ENGAGED
    assert TargetStageChange.objects.filter(by=admin_user, note="Moved from the list").count() == 2
