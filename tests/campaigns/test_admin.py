import pytest
from django.urls import reverse

from campaigns import services
from campaigns.models import Campaign, EventParticipant, Target
from coalition.models import OutboundEmail
from members.models import Engagement
from tests.members.factories import CountryFactory

from .factories import CampaignFactory, EventFactory, ParticipantFactory, TargetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_campaign_pages_show_progress_bars_and_a_chart(admin_client, staff_user):
    campaign = CampaignFactory(name="Net-negative NDCs")
    for stage in ["identified", "engaged", "committed"]:
        target = TargetFactory(campaign=campaign)
        if stage != "identified":
            services.target_move(target=target, stage=stage, by=staff_user)
    listing = admin_client.get(reverse("admin:campaigns_campaign_changelist"))
    assert listing.status_code == 200
    assert b"Identified: 1, Engaged: 1, Committed: 1" in listing.content and b"1/3 (33%)" in listing.content
    page = admin_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "Targets committed over time: 1 of 3" in body
    assert "1 of 3 targets committed (33%)" in body


def test_a_deadline_before_the_start_is_shown_on_its_field_and_saves_nothing(admin_client):
    response = admin_client.post(
        reverse("admin:campaigns_campaign_add"),
        {
            "name": "Backwards",
            "objective": "-",
            "status": "planned",
            "start_date": "2026-06-01",
            "deadline": "2026-05-01",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["deadline"] == [
        "The deadline must not be before the start date."
    ]
    assert Campaign.objects.count() == 0


def test_staff_add_targets_in_bulk_from_the_admin(admin_client):
    campaign = CampaignFactory()
    CountryFactory(country="DK", name="Denmark")
    CountryFactory(country="PA", name="Panama")
    url = reverse("admin:campaigns_campaign_add_targets", args=[campaign.pk])
    assert admin_client.get(url).status_code == 200
    bad = admin_client.post(url, {"filter": "countries", "countries": "DK, QQ"})
    assert bad.status_code == 200 and "No country record for: QQ" in bad.content.decode()
    assert campaign.targets.count() == 0
    done = admin_client.post(url, {"filter": "countries", "countries": "dk pa"})
    assert done.status_code == 302 and campaign.targets.count() == 2


def test_the_bulk_action_adds_countries_without_a_net_negative_commitment(admin_client):
    campaign = CampaignFactory()
    CountryFactory(country="FI", name="Finland")
    admin_client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "add_countries_without_net_negative", "_selected_action": [campaign.pk]},
    )
    assert campaign.targets.get().organisation.name == "Finland"


def test_moving_a_target_from_its_page_records_the_change_and_shows_the_timeline(admin_client, admin_user):
    target = TargetFactory()
    url = reverse("admin:campaigns_target_change", args=[target.pk])
    response = admin_client.post(
        url,
        {"next_action": "Call the envoy", "move_to": "contacted", "stage_note": "Letter sent", "notes": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.stage == Target.Stage.CONTACTED and target.next_action == "Call the envoy"
    assert target.stage_changes.get().by == admin_user
    page = admin_client.get(url).content.decode()
    assert "Stage: Identified → Contacted" in page and "Letter sent" in page


def test_adding_a_target_in_the_admin_records_its_first_stage(admin_client):
    campaign, country = CampaignFactory(), CountryFactory(country="BT", name="Bhutan")
    response = admin_client.post(
        reverse("admin:campaigns_target_add"), {"campaign": campaign.pk, "organisation": country.pk}
    )
    assert response.status_code == 302
    assert Target.objects.get().stage_changes.get().to_stage == "identified"


def test_event_actions_send_invitations_and_mark_attendance(admin_client):
    event = EventFactory()
    accepted = ParticipantFactory(event=event, response=EventParticipant.Response.ACCEPTED)
    ParticipantFactory(event=event)
    listing = reverse("admin:campaigns_event_changelist")
    assert admin_client.get(listing).status_code == 200
    assert admin_client.get(reverse("admin:campaigns_event_change", args=[event.pk])).status_code == 200
    admin_client.post(listing, {"action": "send_invitations", "_selected_action": [event.pk]})
    assert OutboundEmail.objects.count() == 2
    admin_client.post(listing, {"action": "mark_accepted_attended", "_selected_action": [event.pk]})
    accepted.refresh_from_db()
    assert accepted.attended and Engagement.objects.count() == 1


def test_a_participant_twice_is_refused_in_the_admin(admin_client):
    participant = ParticipantFactory()
    response = admin_client.post(
        reverse("admin:campaigns_eventparticipant_add"),
        {
            "event": participant.event_id,
            "organisation": participant.organisation_id,
            "contact": participant.contact_id,
            "role": "attendee",
            "response": "invited",
        },
    )
    assert response.status_code == 200
    assert "already take part" in response.content.decode()
    assert EventParticipant.objects.count() == 1
