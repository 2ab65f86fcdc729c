"""Invitations through a real Celery worker and an SMTP server on loopback."""

import re
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from icalendar import Calendar

from campaigns import services
from campaigns.models import EventParticipant
from tests.members.factories import ContactFactory

from .factories import EventFactory, ParticipantFactory


def _links(message) -> dict[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return dict(re.findall(r"^(Accept|Decline): (\S+)", text, flags=re.MULTILINE))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_invitations_reach_each_participant_once_and_the_rsvp_link_records_the_answer(
    worker, mailbox, client
):
    event = EventFactory(title="Removals in NDCs: a roundtable", location="Copenhagen")
    first = ParticipantFactory(event=event, role=EventParticipant.Role.SPEAKER)
    second = ParticipantFactory(event=event)
    ParticipantFactory(event=event, contact=ContactFactory(email=""))  # nobody to write to
    with transaction.atomic():
        result = services.event_invitations_send(event=event)
    assert result == {"queued": 2, "skipped": 1}
    with transaction.atomic():  # sending again (a double click) queues nothing new
        assert services.event_invitations_send(event=event) == {"queued": 0, "skipped": 1}

    mailbox.wait_for(2)
    messages = mailbox.settle()
    assert len(messages) == 2
    assert len(mailbox.to(first.contact.email)) == len(mailbox.to(second.contact.email)) == 1

    message = mailbox.to(first.contact.email)[0]
    assert message["Subject"].startswith("Invitation: Removals in NDCs: a roundtable")
    (ics,) = [part for part in message.iter_attachments() if part.get_filename() == "invitation.ics"]
    assert ics.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(ics.get_payload(decode=True))
    assert str(calendar["method"]) == "REQUEST"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == "Removals in NDCs: a roundtable"
    assert vevent.decoded("dtstart") == event.starts_at and vevent.decoded("dtend") == event.ends_at
    assert first.contact.email in str(vevent["attendee"])

    links = _links(message)
    accept = urlsplit(links["Accept"]).path
    assert client.get(accept).status_code == 200
    first.refresh_from_db()
    assert first.response == EventParticipant.Response.INVITED
    assert client.post(accept).status_code == 200
    first.refresh_from_db()
    assert first.response == EventParticipant.Response.ACCEPTED

    decline = urlsplit(_links(mailbox.to(second.contact.email)[0])["Decline"]).path
    assert client.post(decline).status_code == 200
    second.refresh_from_db()
    assert second.response == EventParticipant.Response.DECLINED
