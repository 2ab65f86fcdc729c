import datetime

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from campaigns import services
from campaigns.models import CampaignAction, Event, EventParticipant
from coalition.models import OutboundEmail
from members.models import Engagement
from tests.members.factories import ContactFactory, OrganisationFactory

from .factories import CampaignFactory, EventFactory, ParticipantFactory, TargetFactory

pytestmark = pytest.mark.django_db


def test_an_event_that_ends_before_it_starts_is_refused():
    start = timezone.now()
    with pytest.raises(ValidationError) as info:
        services.event_create(
            title="Webinar",
            kind=Event.Kind.WEBINAR,
            starts_at=start,
            ends_at=start - datetime.timedelta(hours=1),
            online_url="https://meet.example.org/x",
        )
    assert info.value.message_dict["ends_at"] == ["The end must not be before the start."]
    assert Event.objects.count() == 0


def test_an_event_needs_a_place_or_an_online_link():
    start = timezone.now()
    with pytest.raises(ValidationError, match="Give a place or an online link"):
        services.event_create(title="Briefing", kind=Event.Kind.BRIEFING, starts_at=start, ends_at=start)


def test_a_participant_cannot_be_added_twice_with_or_without_a_contact():
    event = EventFactory()
    org = OrganisationFactory()
    contact = ContactFactory(organisation=org)
    services.participant_add(event=event, organisation=org, contact=contact)
    services.participant_add(event=event, organisation=org)  # the organisation itself, without a person
    with pytest.raises(ValidationError, match="already take part"):
        services.participant_add(event=event, organisation=org, contact=contact)
    with pytest.raises(ValidationError, match="already take part"):
        services.participant_add(event=event, organisation=org)
    assert event.participants.count() == 2


def test_a_participants_contact_must_belong_to_the_organisation():
    with pytest.raises(ValidationError, match="is not a contact of"):
        services.participant_add(
            event=EventFactory(), organisation=OrganisationFactory(), contact=ContactFactory()
        )


def test_marking_attendance_adds_an_engagement_once_and_a_speaking_slot_for_speakers(staff_user):
    event = EventFactory(title="Launch of the alliance")
    attendee = ParticipantFactory(event=event)
    speaker = ParticipantFactory(event=event, role=EventParticipant.Role.SPEAKER)
    panellist = ParticipantFactory(event=event, role=EventParticipant.Role.PANELLIST)
    services.participants_mark_attended(participants=[attendee, speaker, panellist], by=staff_user)
    services.participant_mark_attended(participant=attendee, by=staff_user)  # again: no second entry

    assert Engagement.objects.count() == 3
    attendee.refresh_from_db()
    assert attendee.attended
    e = attendee.engagement
    assert (e.organisation, e.kind, e.occurred_at) == (
        attendee.organisation,
        "event_attendance",
        event.starts_at,
    )
    assert e.summary == "Attendee at Launch of the alliance"
    assert list(e.contacts.all()) == [attendee.contact]
    speaker.refresh_from_db()
    panellist.refresh_from_db()
    assert speaker.engagement.kind == panellist.engagement.kind == Engagement.Kind.SPEAKING_SLOT


def test_attendance_at_a_campaign_event_joins_the_targets_timeline(staff_user):
    campaign = CampaignFactory()
    participant = ParticipantFactory(event=EventFactory(campaign=campaign))
    target = TargetFactory(campaign=campaign, organisation=participant.organisation)
    services.participant_mark_attended(participant=participant, by=staff_user)
    participant.refresh_from_db()
    assert CampaignAction.objects.get().engagement == participant.engagement
    assert target.actions.count() == 1


def test_an_invitation_is_queued_once_with_an_ics_file_and_signed_links():
    participant = ParticipantFactory(event=EventFactory(title="Removals roundtable"))
    assert services.participant_invite(participant=participant)
    assert services.participant_invite(participant=participant)  # the dedupe key keeps it to one email
    email = OutboundEmail.objects.get()
    assert email.to == participant.contact.email and "Removals roundtable" in email.subject
    (item,) = email.attachments
    assert item["filename"] == "invitation.ics" and item["mimetype"] == "text/calendar"
    import base64

    calendar = Calendar.from_ical(base64.b64decode(item["content_b64"]))
    assert str(calendar["method"]) == "REQUEST"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == "Removals roundtable"
    assert vevent.decoded("dtstart") == participant.event.starts_at
    assert str(vevent["location"]) == "Copenhagen" and str(vevent["uid"]).startswith(
        f"event-{participant.event_id}@"
    )
    assert "/events/rsvp/" in email.body_text
    participant.refresh_from_db()
    assert participant.invited_at is not None


def test_the_invitation_and_the_rsvp_page_give_the_time_in_the_secretariats_zone_and_name_it(
    settings, client
):
    """18:00 in Copenhagen is 17:00 UTC: the invitation said "18:00 – 19:00 UTC", an hour off the calendar
    file attached to it."""
    settings.TIME_ZONE = "Europe/Copenhagen"
    starts = datetime.datetime(2027, 1, 15, 17, 0, tzinfo=datetime.UTC)
    event = EventFactory(
        title="Removals roundtable", starts_at=starts, ends_at=starts + datetime.timedelta(hours=1)
    )
    participant = ParticipantFactory(event=event)
    with timezone.override("Europe/Copenhagen"):
        assert services.participant_invite(participant=participant)
    email = OutboundEmail.objects.get()
    for body in (email.body_text, email.body_html):
        assert "18:00 – 19:00 Europe/Copenhagen (UTC+0100)" in body, body
    url = reverse(
        "campaigns:rsvp", kwargs={"token": services.rsvp_token(participant=participant, response="accepted")}
    )
    assert "18:00 – 19:00 Europe/Copenhagen (UTC+0100)" in client.get(url).content.decode()


def test_participants_without_an_email_are_skipped_when_inviting():
    event = EventFactory()
    ParticipantFactory(event=event)
    ParticipantFactory(event=event, contact=None)
    assert services.event_invitations_send(event=event) == {"queued": 1, "skipped": 1}
    assert services.event_invitations_send(event=event) == {"queued": 0, "skipped": 1}
    assert OutboundEmail.objects.count() == 1


def test_the_rsvp_page_asks_before_recording_and_records_on_post(client):
    participant = ParticipantFactory()
    url = reverse(
        "campaigns:rsvp", kwargs={"token": services.rsvp_token(participant=participant, response="accepted")}
    )
    page = client.get(url)
    assert page.status_code == 200 and b"Yes, I will attend" in page.content
    participant.refresh_from_db()
    assert participant.response == EventParticipant.Response.INVITED  # a link scanner's GET changes nothing
    done = client.post(url)
    assert done.status_code == 200 and b"We have recorded that you will attend" in done.content
    participant.refresh_from_db()
    assert participant.response == EventParticipant.Response.ACCEPTED and participant.responded_at

    decline = reverse(
        "campaigns:rsvp", kwargs={"token": services.rsvp_token(participant=participant, response="declined")}
    )
    client.post(decline)
    participant.refresh_from_db()
    assert participant.response == EventParticipant.Response.DECLINED


def test_a_tampered_or_expired_rsvp_link_answers_400_with_an_explanation(client, settings):
    participant = ParticipantFactory()
    token = services.rsvp_token(participant=participant, response="accepted")
    bad = client.post(reverse("campaigns:rsvp", kwargs={"token": token[:-2] + "xx"}))
    assert bad.status_code == 400 and b"This link is not valid." in bad.content

    old = signing.TimestampSigner(salt=services.RSVP_SALT)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(signing.time, "time", lambda: 0)  # a link signed in 1970
        expired_token = signing.dumps(
            {"p": participant.pk, "r": "accepted"}, salt=services.RSVP_SALT, compress=True
        )
    assert old  # the signer class is the one Django uses under dumps
    expired = client.post(reverse("campaigns:rsvp", kwargs={"token": expired_token}))
    assert expired.status_code == 400 and b"This link has expired." in expired.content
    participant.refresh_from_db()
    assert participant.response == EventParticipant.Response.INVITED


def test_an_invitation_to_a_past_event_can_no_longer_be_answered(client):
    past = timezone.now() - datetime.timedelta(days=3)
    participant = ParticipantFactory(event=EventFactory(starts_at=past, ends_at=past))
    token = services.rsvp_token(participant=participant, response="accepted")
    response = client.post(reverse("campaigns:rsvp", kwargs={"token": token}))
    assert response.status_code == 400 and b"already taken place" in response.content
    participant.refresh_from_db()
    assert participant.response == EventParticipant.Response.INVITED


def test_no_email_is_sent_in_process_by_inviting(django_capture_on_commit_callbacks):
    participant = ParticipantFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.participant_invite(participant=participant)
    assert len(callbacks) == 1 and mail.outbox == []  # sending waits for the commit, then goes to Celery


def test_the_event_list_filters_by_a_start_time_with_any_offset_python_accepts(admin_api):
    # PostgreSQL refuses offsets beyond ±15:59, which Python parses happily: the filter must convert to UTC.
    event = EventFactory(starts_at=datetime.datetime(2030, 6, 1, 12, 0, tzinfo=datetime.UTC))

    response = admin_api.get("/api/v1/events/", {"starts_before": "2030-06-01T00:00:00-22:16"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [event.pk]


def test_a_start_time_beyond_the_calendar_in_utc_answers_400_with_the_field(admin_api):
    response = admin_api.get("/api/v1/events/", {"starts_after": "0001-01-01T00:00:00+05:00"})

    assert response.status_code == 400
    assert "out of range" in str(response.json()["starts_after"])
