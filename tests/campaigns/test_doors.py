"""Each rule holds at every door: the admin (change forms and inlines), the API and the services agree."""

import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.permissions import SAFE_METHODS

from campaigns import api, services
from campaigns.models import Campaign, Event, EventParticipant, Target, TargetStageChange
from coalition.models import StateChange
from members.enquiries.services import enquiry_review_start
from members.models import EnquiryTransition
from tests.conftest import api_client_for
from tests.members.enquiry_factories import EnquiryFactory
from tests.members.factories import ContactFactory, CountryFactory, OrganisationFactory

from .factories import CampaignFactory, EventFactory, ParticipantFactory, TargetFactory

pytestmark = pytest.mark.django_db

DEADLINE_MESSAGE = "The deadline must not be before the start date."


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _campaign_post(campaign: Campaign, **changes) -> dict:
    data = {
        "name": campaign.name,
        "objective": campaign.objective,
        "description": campaign.description,
        "status": campaign.status,
        "start_date": str(campaign.start_date),
        "deadline": str(campaign.deadline),
        "ask_kind": "",
        "ask_min_status": "",
        "ask_target_year": "",
        "targets-TOTAL_FORMS": "0",
        "targets-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def _spy(monkeypatch, name: str) -> list[dict]:
    """Record the calls the doors make to a campaigns service, and let each call through."""
    calls: list[dict] = []
    real = getattr(services, name)

    def recording(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, name, recording)
    return calls


# --- Campaigns: the deadline rule -------------------------------------------------------------------------


def test_the_service_states_the_deadline_rule_on_its_field():
    campaign = CampaignFactory.build(start_date=datetime.date(2026, 6, 1), deadline=datetime.date(2026, 5, 1))
    with pytest.raises(ValidationError) as info:
        services.campaign_check(campaign)
    assert info.value.message_dict == {"deadline": [DEADLINE_MESSAGE]}


def test_the_campaign_change_form_shows_the_deadline_rule_once_on_its_field_and_saves_nothing(admin_client):
    campaign = CampaignFactory(name="Net-negative NDCs")
    before = (campaign.deadline, campaign.updated_at)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    response = admin_client.post(
        url,
        _campaign_post(
            campaign, name="Renamed", deadline=str(campaign.start_date - datetime.timedelta(days=1))
        ),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"deadline": [DEADLINE_MESSAGE]}  # not repeated by the check constraint
    assert response.content.decode().count(DEADLINE_MESSAGE) == 1
    campaign.refresh_from_db()
    assert (campaign.deadline, campaign.updated_at) == before and campaign.name == "Net-negative NDCs"


def test_the_campaign_change_form_saves_through_campaign_update(admin_client, monkeypatch):
    calls = _spy(monkeypatch, "campaign_update")
    campaign = CampaignFactory()
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    response = admin_client.post(url, _campaign_post(campaign, name="Removals in the NDCs"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert [c["campaign"].pk for c in calls] == [campaign.pk] and calls[0]["name"] == "Removals in the NDCs"
    campaign.refresh_from_db()
    assert campaign.name == "Removals in the NDCs"


def test_the_api_answers_a_deadline_before_the_start_with_the_services_message(staff_api):
    campaign = CampaignFactory()
    for response in (
        staff_api.post(
            "/api/v1/campaigns/",
            {"name": "Backwards", "objective": "-", "start_date": "2026-06-01", "deadline": "2026-05-01"},
        ),
        staff_api.patch(
            f"/api/v1/campaigns/{campaign.pk}/",
            {"deadline": str(campaign.start_date - datetime.timedelta(days=1))},
        ),
    ):
        assert response.status_code == 400
        assert response.data == {"deadline": [DEADLINE_MESSAGE]}
    assert Campaign.objects.count() == 1


# --- Targets: one service for fields and stage ------------------------------------------------------------


def test_the_target_page_saves_fields_and_stage_through_target_edit(admin_client, admin_user, monkeypatch):
    calls = _spy(monkeypatch, "target_edit")
    target = TargetFactory(stage=Target.Stage.CONTACTED)
    response = admin_client.post(
        reverse("admin:campaigns_target_change", args=[target.pk]),
        {"next_action": "Send the briefing", "move_to": "engaged", "stage_note": "Bilateral", "notes": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert len(calls) == 1
    assert (calls[0]["stage"], calls[0]["next_action"], calls[0]["by"]) == (
        "engaged",
        "Send the briefing",
        admin_user,
    )
    target.refresh_from_db()
    assert (target.stage, target.next_action) == (Target.Stage.ENGAGED, "Send the briefing")
    change = target.stage_changes.get()
    assert (change.from_stage, change.to_stage, change.by, change.note) == (
        "contacted",
        "engaged",
        admin_user,
        "Bilateral",
    )


def test_the_campaign_pages_target_list_saves_through_target_edit(admin_client, admin_user, monkeypatch):
    calls = _spy(monkeypatch, "target_edit")
    campaign = CampaignFactory()
    target = TargetFactory(campaign=campaign)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    data = _campaign_post(
        campaign,
        **{
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "1",
            "targets-0-id": str(target.pk),
            "targets-0-campaign": str(campaign.pk),
            "targets-0-owner": "",
            "targets-0-next_action": "Draft the letter",
            "targets-0-next_action_due": "",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert [c["target"].pk for c in calls] == [target.pk] and calls[0]["by"] == admin_user
    target.refresh_from_db()
    assert target.next_action == "Draft the letter"


def test_a_target_twice_is_shown_on_the_organisation_field_and_adds_nothing(admin_client):
    target = TargetFactory()
    response = admin_client.post(
        reverse("admin:campaigns_target_add"),
        {"campaign": target.campaign_id, "organisation": target.organisation_id},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "organisation": ["This organisation is already a target of this campaign."]
    }
    assert Target.objects.count() == 1


def test_the_api_refuses_to_move_a_target_to_another_campaign_with_the_services_message(staff_api):
    target = TargetFactory()
    response = staff_api.patch(
        f"/api/v1/campaign-targets/{target.pk}/", {"campaign": CampaignFactory().pk, "notes": "Moved"}
    )
    assert response.status_code == 400
    assert response.data == {
        "campaign": ["A target cannot move to another campaign or organisation; add a new target instead."]
    }
    target.refresh_from_db()
    assert target.notes == ""


def test_a_target_added_through_the_api_keeps_its_note_in_the_first_history_row(staff_api, staff_user):
    campaign, country = CampaignFactory(), CountryFactory(country="PA", name="Panama")
    response = staff_api.post(
        "/api/v1/campaign-targets/",
        {"campaign": campaign.pk, "organisation": country.pk, "stage_note": "Asked by the chair"},
    )
    assert response.status_code == 201, response.data
    change = TargetStageChange.objects.get()
    assert (change.from_stage, change.to_stage, change.by, change.note) == (
        "",
        "identified",
        staff_user,
        "Asked by the chair",
    )


# --- Events and participants ------------------------------------------------------------------------------


def _event_post(event: Event, **changes) -> dict:
    local = timezone.localtime
    data = {
        "title": event.title,
        "kind": event.kind,
        "starts_at_0": local(event.starts_at).strftime("%Y-%m-%d"),
        "starts_at_1": local(event.starts_at).strftime("%H:%M:%S"),
        "ends_at_0": local(event.ends_at).strftime("%Y-%m-%d"),
        "ends_at_1": local(event.ends_at).strftime("%H:%M:%S"),
        "location": event.location,
        "online_url": event.online_url,
        "description": event.description,
        "campaign": "",
        "participants-TOTAL_FORMS": "0",
        "participants-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_the_event_change_form_shows_the_time_and_place_rules_on_their_fields_and_saves_nothing(admin_client):
    # At ten in the morning: an end an hour before the start is then on the same day whatever the time the
    # test runs (at 00:30 the factory's start, an hour later than midnight, would put it on the day before).
    start = (timezone.localtime() + datetime.timedelta(days=14)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    event = EventFactory(starts_at=start)
    before = (event.title, event.ends_at, event.location)
    url = reverse("admin:campaigns_event_change", args=[event.pk])
    response = admin_client.post(url, _event_post(event, title="Moved", ends_at_1="09:00:00", location=""))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "ends_at": ["The end must not be before the start."],
        "location": ["Give a place or an online link."],
    }
    event.refresh_from_db()
    assert (event.title, event.ends_at, event.location) == before


def test_the_event_page_adds_and_removes_participants_through_their_services(admin_client, monkeypatch):
    added, removed = _spy(monkeypatch, "participant_add"), _spy(monkeypatch, "participant_remove")
    event = EventFactory()
    leaving = ParticipantFactory(event=event)
    org = OrganisationFactory(name="Climeworks")
    contact = ContactFactory(organisation=org)
    url = reverse("admin:campaigns_event_change", args=[event.pk])
    data = _event_post(
        event,
        **{
            "participants-TOTAL_FORMS": "2",
            "participants-INITIAL_FORMS": "1",
            "participants-0-id": str(leaving.pk),
            "participants-0-event": str(event.pk),
            "participants-0-organisation": str(leaving.organisation_id),
            "participants-0-contact": str(leaving.contact_id),
            "participants-0-role": "attendee",
            "participants-0-response": "invited",
            "participants-0-DELETE": "on",
            "participants-1-event": str(event.pk),
            "participants-1-organisation": str(org.pk),
            "participants-1-contact": str(contact.pk),
            "participants-1-role": "speaker",
            "participants-1-response": "accepted",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert len(added) == 1 and len(removed) == 1
    (participant,) = event.participants.all()
    assert (participant.contact, participant.role) == (contact, EventParticipant.Role.SPEAKER)


def test_a_participant_whose_contact_works_elsewhere_is_shown_on_the_contact_field(admin_client):
    event = EventFactory()
    org = OrganisationFactory()
    stranger = ContactFactory(name="Ada Stranger")
    data = _event_post(
        event,
        **{
            "participants-TOTAL_FORMS": "1",
            "participants-0-event": str(event.pk),
            "participants-0-organisation": str(org.pk),
            "participants-0-contact": str(stranger.pk),
            "participants-0-role": "attendee",
            "participants-0-response": "invited",
        },
    )
    response = admin_client.post(reverse("admin:campaigns_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    (formset,) = [f.formset for f in response.context["inline_admin_formsets"]]
    assert formset.forms[0].errors == {"contact": [f"Ada Stranger is not a contact of {org}."]}
    assert not event.participants.exists()


def test_a_participants_answer_changed_in_the_admin_goes_through_participant_update(
    admin_client, monkeypatch
):
    calls = _spy(monkeypatch, "participant_update")
    participant = ParticipantFactory()
    response = admin_client.post(
        reverse("admin:campaigns_eventparticipant_change", args=[participant.pk]),
        {
            "organisation": participant.organisation_id,
            "contact": participant.contact_id,
            "role": "attendee",
            "response": "accepted",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert len(calls) == 1
    participant.refresh_from_db()
    assert participant.response == EventParticipant.Response.ACCEPTED and participant.responded_at is not None


def test_the_api_refuses_to_move_a_participant_to_another_event_with_the_services_message(staff_api):
    participant = ParticipantFactory()
    other = EventFactory()
    response = staff_api.patch(f"/api/v1/event-participants/{participant.pk}/", {"event": other.pk})
    assert response.status_code == 400
    assert response.data == {"event": ["A participant cannot move to another event."]}
    participant.refresh_from_db()
    assert participant.event_id != other.pk


# --- Permissions on actions -------------------------------------------------------------------------------


def test_every_state_changing_action_names_the_permission_it_needs():
    viewsets = [api.CampaignViewSet, api.TargetViewSet, api.EventViewSet, api.EventParticipantViewSet]
    for viewset in viewsets:
        for extra in viewset.get_extra_actions():
            if set(m.upper() for m in extra.mapping) - set(SAFE_METHODS):
                needed = viewset.action_permissions[extra.__name__]
                app_label, codename = needed.split(".")
                assert Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).exists()


def test_adding_targets_in_bulk_needs_the_permission_to_add_targets_not_campaigns():
    campaign = CampaignFactory()
    CountryFactory(country="DK", name="Denmark")
    planner = User.objects.create_user("pat", is_staff=True)
    planner.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="campaigns", codename__in=["view_campaign", "add_campaign"]
        )
    )
    url = f"/api/v1/campaigns/{campaign.pk}/add-targets/"
    body = {"filter": "countries", "countries": ["DK"]}
    assert api_client_for(planner).post(url, body, format="json").status_code == 403
    assert not Target.objects.exists()

    planner.user_permissions.add(Permission.objects.get(codename="add_target"))
    planner = User.objects.get(pk=planner.pk)  # a fresh permission cache
    response = api_client_for(planner).post(url, body, format="json")
    assert response.status_code == 200 and response.data == {"added": 1}


def test_marking_attendance_needs_the_permission_to_change_participants(viewer_api, staff_api):
    participant = ParticipantFactory()
    url = f"/api/v1/event-participants/{participant.pk}/attended/"
    assert viewer_api.post(url).status_code == 403
    assert staff_api.post(url).status_code == 200


# --- The two state-change logs ----------------------------------------------------------------------------


def test_both_state_change_logs_share_one_base_and_keep_their_columns(staff_user):
    assert issubclass(TargetStageChange, StateChange) and issubclass(EnquiryTransition, StateChange)
    for model in (TargetStageChange, EnquiryTransition):
        columns = {f.name: f.column for f in model._meta.concrete_fields}
        assert {k: columns[k] for k in ("by", "at", "note")} == {"by": "by_id", "at": "at", "note": "note"}
        assert model._meta.ordering == ["at", "pk"]
    enquiry = enquiry_review_start(enquiry=EnquiryFactory(), by=staff_user, note="Taking it up")
    transition = enquiry.transitions.get()
    assert (transition.by, transition.note) == (staff_user, "Taking it up") and transition.at is not None
    assert enquiry.last_activity_at == transition.at


def test_a_new_event_and_its_first_participant_are_saved_together_through_their_services(admin_client):
    org = OrganisationFactory(name="Carbfix")
    contact = ContactFactory(organisation=org)
    starts = timezone.localtime() + datetime.timedelta(days=7)
    data = {
        "title": "Mineralisation briefing",
        "kind": "briefing",
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": "10:00:00",
        "ends_at_0": starts.strftime("%Y-%m-%d"),
        "ends_at_1": "11:00:00",
        "location": "Reykjavík",
        "online_url": "",
        "description": "",
        "campaign": "",
        "participants-TOTAL_FORMS": "1",
        "participants-INITIAL_FORMS": "0",
        "participants-0-organisation": str(org.pk),
        "participants-0-contact": str(contact.pk),
        "participants-0-role": "speaker",
        "participants-0-response": "accepted",
    }
    response = admin_client.post(reverse("admin:campaigns_event_add"), data)
    assert response.status_code == 302, response.context["errors"]
    event = Event.objects.get()
    assert [(p.organisation, p.contact, p.role) for p in event.participants.all()] == [
        (org, contact, EventParticipant.Role.SPEAKER)
    ]


def test_a_participant_deleted_in_the_admin_or_the_api_goes_through_participant_remove(
    admin_client, staff_api, monkeypatch
):
    removed = _spy(monkeypatch, "participant_remove")
    first, second = ParticipantFactory(), ParticipantFactory()
    page = reverse("admin:campaigns_eventparticipant_delete", args=[first.pk])
    assert admin_client.post(page, {"post": "yes"}).status_code == 302
    assert staff_api.delete(f"/api/v1/event-participants/{second.pk}/").status_code == 204
    assert [call["participant"].pk for call in removed] == [first.pk, second.pk]
    assert not EventParticipant.objects.filter(pk__in=[first.pk, second.pk]).exists()


@pytest.mark.parametrize(
    ("service", "factory", "kwarg", "admin_name", "api_path"),
    [
        ("campaign_delete", CampaignFactory, "campaign", "campaign", "campaigns"),
        ("event_delete", EventFactory, "event", "event", "events"),
        ("target_remove", TargetFactory, "target", "target", "campaign-targets"),
    ],
)
def test_campaigns_events_and_targets_are_deleted_through_their_service_from_every_door(
    admin_client, admin_api, monkeypatch, service, factory, kwarg, admin_name, api_path
):
    deleted = []
    real = getattr(services, service)

    def recording(**kwargs):
        deleted.append(kwargs[kwarg].pk)
        return real(**kwargs)

    monkeypatch.setattr(services, service, recording)
    on_page, selected, by_api = factory(), factory(), factory()
    page = reverse(f"admin:campaigns_{admin_name}_delete", args=[on_page.pk])
    assert admin_client.post(page, {"post": "yes"}).status_code == 302
    admin_client.post(
        reverse(f"admin:campaigns_{admin_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [selected.pk], "post": "yes"},
    )
    assert admin_api.delete(f"/api/v1/{api_path}/{by_api.pk}/").status_code == 204
    assert deleted == [on_page.pk, selected.pk, by_api.pk]
    assert not type(on_page).objects.filter(pk__in=deleted).exists()
