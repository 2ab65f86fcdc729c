import datetime

import pytest
from django.utils import timezone

from campaigns.models import Campaign, EventParticipant, Target, TargetStageChange
from coalition.models import OutboundEmail
from members.models import Engagement
from tests.members.factories import ContactFactory, CountryFactory, OrganisationFactory

from .factories import CampaignFactory, EventFactory, ParticipantFactory, TargetFactory

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/campaigns/", "/api/v1/campaign-targets/", "/api/v1/events/", "/api/v1/event-participants/"]


def _rows(n: int) -> None:
    """n of each: campaigns with targets, events with participants."""
    for _ in range(n):
        campaign = CampaignFactory()
        TargetFactory(campaign=campaign, stage=Target.Stage.COMMITTED)
        event = EventFactory(campaign=campaign)
        ParticipantFactory(event=event)


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("n", [5, 50])
def test_each_list_costs_the_same_queries_for_5_or_50_rows(url, n, staff_api, django_assert_max_num_queries):
    _rows(n)
    with django_assert_max_num_queries(8):
        response = staff_api.get(url)
    assert response.status_code == 200 and response.data["count"] == n


@pytest.mark.parametrize("url", LISTS)
def test_only_staff_with_the_view_permission_can_read(url, anon_api, outsider_user, viewer_api, comms_api):
    from tests.conftest import api_client_for

    assert anon_api.get(url).status_code in (401, 403)
    assert api_client_for(outsider_user).get(url).status_code == 403
    assert viewer_api.get(url).status_code == 200
    assert comms_api.get(url).status_code == 200


def test_viewers_and_communications_cannot_write(viewer_api, comms_api):
    data = {"name": "X", "objective": "Y", "start_date": "2026-01-01", "deadline": "2026-12-31"}
    assert viewer_api.post("/api/v1/campaigns/", data).status_code == 403
    assert comms_api.post("/api/v1/campaigns/", data).status_code == 403
    assert Campaign.objects.count() == 0


def test_each_campaign_row_carries_its_progress(staff_api):
    campaign = CampaignFactory(deadline=timezone.localdate() + datetime.timedelta(days=10))
    for stage in ["identified", "contacted", "committed", "committed"]:
        TargetFactory(campaign=campaign, stage=stage)
    (row,) = staff_api.get("/api/v1/campaigns/").data["results"]
    assert row["progress"] == {
        "total": 4,
        "per_stage": {"identified": 1, "contacted": 1, "engaged": 0, "committed": 2, "declined": 0},
        "committed": 2,
        "share_committed": 0.5,
        "days_to_deadline": 10,
    }


def test_staff_create_a_campaign_with_an_ask(staff_api, staff_user):
    response = staff_api.post(
        "/api/v1/campaigns/",
        {
            "name": "Net-negative targets in NDCs",
            "objective": "Net-negative targets in the next NDCs",
            "status": "active",
            "owner": staff_user.pk,
            "start_date": "2026-01-01",
            "deadline": "2026-12-31",
            "ask_kind": "net_negative",
            "ask_min_status": "ndc",
            "ask_in_ndc": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["progress"]["total"] == 0
    assert Campaign.objects.get().ask_display() == "Net negative, at least in NDC, in the NDC"


def test_a_deadline_before_the_start_answers_400_with_a_field_message_and_creates_nothing(staff_api):
    response = staff_api.post(
        "/api/v1/campaigns/",
        {"name": "Backwards", "objective": "-", "start_date": "2026-06-01", "deadline": "2026-05-01"},
    )
    assert response.status_code == 400
    assert response.data["deadline"] == ["The deadline must not be before the start date."]
    assert Campaign.objects.count() == 0


def test_moving_a_deadline_before_the_start_answers_400_and_changes_nothing(staff_api):
    campaign = CampaignFactory()
    response = staff_api.patch(
        f"/api/v1/campaigns/{campaign.pk}/",
        {"deadline": str(campaign.start_date - datetime.timedelta(days=1))},
    )
    assert response.status_code == 400 and "deadline" in response.data
    before = campaign.deadline
    campaign.refresh_from_db()
    assert campaign.deadline == before


def test_moving_a_target_through_the_api_records_the_change(staff_api, staff_user):
    target = TargetFactory()
    response = staff_api.patch(
        f"/api/v1/campaign-targets/{target.pk}/",
        {"stage": "contacted", "stage_note": "Letter to the ministry", "next_action": "Follow-up call"},
    )
    assert response.status_code == 200, response.data
    assert response.data["stage"] == "contacted" and response.data["next_action"] == "Follow-up call"
    change = target.stage_changes.get()
    assert (change.from_stage, change.to_stage, change.by, change.note) == (
        "identified",
        "contacted",
        staff_user,
        "Letter to the ministry",
    )
    timeline = staff_api.get(f"/api/v1/campaign-targets/{target.pk}/timeline/").data
    assert timeline[0]["title"] == "Stage: Identified → Contacted"


def test_an_unknown_stage_answers_400_and_changes_nothing(staff_api):
    target = TargetFactory()
    response = staff_api.patch(
        f"/api/v1/campaign-targets/{target.pk}/", {"stage": "persuaded", "next_action": "Celebrate"}
    )
    assert response.status_code == 400
    assert "stage" in response.data and "persuaded" in str(response.data["stage"])
    target.refresh_from_db()
    assert target.stage == Target.Stage.IDENTIFIED and target.next_action == ""
    assert TargetStageChange.objects.count() == 0


def test_a_target_twice_answers_400(staff_api):
    target = TargetFactory()
    response = staff_api.post(
        "/api/v1/campaign-targets/", {"campaign": target.campaign_id, "organisation": target.organisation_id}
    )
    assert response.status_code == 400
    assert response.data["organisation"] == ["This organisation is already a target of this campaign."]
    assert Target.objects.count() == 1


def test_bulk_add_through_the_api_and_its_errors(staff_api):
    campaign = CampaignFactory()
    CountryFactory(country="DK", name="Denmark")
    CountryFactory(country="PA", name="Panama")
    url = f"/api/v1/campaigns/{campaign.pk}/add-targets/"
    assert staff_api.post(url, {"filter": "countries", "countries": ["DK", "PA"]}, format="json").data == {
        "added": 2
    }
    assert staff_api.post(url, {"filter": "countries_without_net_negative"}, format="json").data == {
        "added": 0
    }
    bad = staff_api.post(url, {"filter": "countries", "countries": ["ZZ"]}, format="json")
    assert bad.status_code == 400 and "No country record for: ZZ" in bad.data["countries"][0]
    bad = staff_api.post(url, {"filter": "members_of_tier"}, format="json")
    assert bad.status_code == 400 and "tier" in bad.data
    bad = staff_api.post(url, {"filter": "nice_countries"}, format="json")
    assert bad.status_code == 400 and "filter" in bad.data
    assert Target.objects.count() == 2


def test_logging_an_action_against_a_target(staff_api):
    target = TargetFactory()
    contact = ContactFactory(organisation=target.organisation)
    response = staff_api.post(
        f"/api/v1/campaign-targets/{target.pk}/actions/",
        {"kind": "meeting", "summary": "Meeting with the climate envoy", "contacts": [contact.pk]},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data[0]["title"] == "Meeting: Meeting with the climate envoy"
    assert Engagement.objects.get().organisation == target.organisation
    bad = staff_api.post(f"/api/v1/campaign-targets/{target.pk}/actions/", {"kind": "gossip", "summary": "x"})
    assert bad.status_code == 400 and "kind" in bad.data


def test_a_participant_twice_answers_400_with_a_message_and_adds_nothing(staff_api):
    participant = ParticipantFactory()
    data = {
        "event": participant.event_id,
        "organisation": participant.organisation_id,
        "contact": participant.contact_id,
        "role": "speaker",
    }
    response = staff_api.post("/api/v1/event-participants/", data)
    assert response.status_code == 400
    assert response.data["contact"] == ["This organisation and contact already take part in this event."]
    assert EventParticipant.objects.count() == 1


def test_an_event_ending_before_it_starts_answers_400(staff_api):
    response = staff_api.post(
        "/api/v1/events/",
        {
            "title": "Webinar",
            "kind": "webinar",
            "starts_at": "2026-12-01T10:00:00Z",
            "ends_at": "2026-12-01T09:00:00Z",
            "online_url": "https://meet.example.org/removals",
        },
    )
    assert response.status_code == 400 and response.data["ends_at"] == [
        "The end must not be before the start."
    ]


def test_staff_invite_participants_and_mark_attendance_through_the_api(staff_api):
    event = EventFactory()
    participant = ParticipantFactory(event=event)
    ParticipantFactory(event=event, contact=None, organisation=OrganisationFactory())
    response = staff_api.post(f"/api/v1/events/{event.pk}/send-invitations/")
    assert response.data == {"queued": 1, "skipped": 1}
    assert OutboundEmail.objects.filter(kind="campaigns.event_invitation").count() == 1
    response = staff_api.post(f"/api/v1/event-participants/{participant.pk}/attended/")
    assert response.status_code == 200 and response.data["attended"] is True
    assert Engagement.objects.get(pk=response.data["engagement"]).kind == Engagement.Kind.EVENT_ATTENDANCE
    listed = staff_api.get(f"/api/v1/events/{event.pk}/").data
    assert (listed["participants_count"], listed["attended_count"]) == (2, 1)


def test_a_participant_without_an_email_cannot_be_invited(staff_api):
    participant = ParticipantFactory(contact=None)
    response = staff_api.post(f"/api/v1/event-participants/{participant.pk}/invite/")
    assert response.status_code == 400 and "no contact with an email" in response.data["detail"]


def test_the_schema_describes_the_campaign_endpoints(staff_api):
    response = staff_api.get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    for path in ["/api/v1/campaigns/", "/api/v1/campaign-targets/{id}/timeline/", "/api/v1/events/"]:
        assert path in body


def test_participants_filter_by_attendance_and_a_value_that_is_not_yes_or_no_answers_400(staff_api):
    event = EventFactory()
    came = ParticipantFactory(event=event, attended=True)
    ParticipantFactory(event=event)
    url = "/api/v1/event-participants/"

    assert [p["id"] for p in staff_api.get(url, {"attended": "true"}).data["results"]] == [came.pk]
    assert staff_api.get(url, {"attended": "false"}).data["count"] == 1
    assert staff_api.get(url, {"attended": ""}).data["count"] == 2

    response = staff_api.get(url, {"attended": "maybe"})
    assert response.status_code == 400
    assert response.data["attended"] == ["Give true or false (or leave the filter out)."]


def test_a_partial_update_answers_every_field_including_the_names_of_optional_links(staff_api):
    event = EventFactory(campaign=None)
    response = staff_api.patch(f"/api/v1/events/{event.pk}/", {"title": "Removals roundtable"}, format="json")
    assert response.status_code == 200
    assert response.data["title"] == "Removals roundtable" and response.data["campaign_name"] == ""

    participant = ParticipantFactory(event=event, contact=None)
    response = staff_api.patch(
        f"/api/v1/event-participants/{participant.pk}/", {"role": "speaker"}, format="json"
    )
    assert response.status_code == 200 and response.data["contact_name"] == ""
