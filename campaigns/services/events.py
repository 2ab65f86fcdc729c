"""Events and participants: invitations, RSVP links, attendance."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.models import CampaignAction, Event, EventParticipant, Target
from coalition import tokens
from coalition.i18n import in_language
from coalition.outbox import rendering as emails
from coalition.outbox.services import email_queue
from members import services as member_services
from members.models import Contact, Engagement, Organisation

RSVP_SALT = "campaigns.rsvp"
# An RSVP link works until the event is over; this bounds links for events far in the future too.
RSVP_MAX_AGE_SECONDS = 180 * 24 * 3600


# --- Events and participants -------------------------------------------------------------------------------

EVENT_FIELDS = ("title", "kind", "starts_at", "ends_at", "location", "online_url", "description", "campaign")


def event_check(event: Event) -> None:
    """The rules of an event (an end not before the start, a place or a link), checked before it is saved.

    The time rule is also the check constraint ``event_ends_after_it_starts``, the net for a write that
    skips this service.
    """
    errors: dict[str, list[str]] = {}
    if event.starts_at and event.ends_at and event.ends_at < event.starts_at:
        errors["ends_at"] = ["The end must not be before the start."]
    if not event.location and not event.online_url:
        errors["location"] = ["Give a place or an online link."]
    if errors:
        raise ValidationError(errors)
    event.full_clean(validate_constraints=False)


@transaction.atomic
def event_create(**fields: Any) -> Event:
    event = Event(**fields)
    event_check(event)
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, **fields: Any) -> Event:
    for name, value in fields.items():
        setattr(event, name, value)
    event_check(event)
    event.save()
    return event


def participant_check(participant: EventParticipant) -> None:
    """The rules of a participation (the contact works for the organisation; no one twice per event)."""
    if participant.contact_id and participant.contact.organisation_id != participant.organisation_id:
        raise ValidationError(
            {"contact": [f"{participant.contact.name} is not a contact of {participant.organisation}."]}
        )
    twin = EventParticipant.objects.filter(
        event_id=participant.event_id,
        organisation_id=participant.organisation_id,
        contact_id=participant.contact_id,
    ).exclude(pk=participant.pk)
    if twin.exists():
        raise ValidationError({"contact": ["This organisation and contact already take part in this event."]})
    participant.full_clean(validate_unique=False, validate_constraints=False)


@transaction.atomic
def participant_add(
    *,
    event: Event,
    organisation: Organisation,
    contact: Contact | None = None,
    role: str = EventParticipant.Role.ATTENDEE,
    response: str = EventParticipant.Response.INVITED,
) -> EventParticipant:
    participant = EventParticipant(
        event=event, organisation=organisation, contact=contact, role=role, response=response
    )
    participant_check(participant)
    participant.save()
    return participant


@transaction.atomic
def participant_update(*, participant: EventParticipant, **fields: Any) -> EventParticipant:
    """Change a participation's organisation, contact, role or response (``event`` may be given unchanged)."""
    # The stored row, not the caller's copy (an admin form has already written its values onto that one).
    participant = EventParticipant.objects.select_for_update().get(pk=participant.pk)
    if "event" in fields and fields.pop("event") != participant.event:
        raise ValidationError({"event": ["A participant cannot move to another event."]})
    allowed = {"organisation", "contact", "role", "response"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    if "response" in fields and fields["response"] != participant.response:
        participant.responded_at = timezone.now()
    for name, value in fields.items():
        setattr(participant, name, value)
    participant_check(participant)
    participant.save()
    return participant


@transaction.atomic
def event_delete(*, event: Event) -> None:
    """Delete an event with its participations; attendance already recorded as engagements stays in the
    organisations' histories, and RSVP links already sent stop working."""
    event.delete()


@transaction.atomic
def participant_remove(*, participant: EventParticipant) -> None:
    """Take a participation off an event; attendance already in the organisation's history stays there."""
    EventParticipant.objects.filter(pk=participant.pk).delete()


def rsvp_token(*, participant: EventParticipant, response: str) -> str:
    return tokens.token_make(value={"p": participant.pk, "r": response}, salt=RSVP_SALT)


def rsvp_url(*, participant: EventParticipant, response: str) -> str:
    return emails.absolute_url(
        reverse("campaigns:rsvp", kwargs={"token": rsvp_token(participant=participant, response=response)})
    )


def event_ics(*, event: Event, participant: EventParticipant | None = None) -> bytes:
    """An iCalendar invitation (METHOD:REQUEST) for the event; one UID per event, so updates replace it."""
    from icalendar import Calendar, vCalAddress, vText
    from icalendar import Event as IcsEvent

    host = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "coalition.example.org"
    cal = Calendar()
    cal.add("prodid", f"-//{settings.COALITION_NAME}//Coalition CRM//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    item = IcsEvent()
    item.add("uid", f"event-{event.pk}@{host}")
    item.add("dtstamp", timezone.now())
    item.add("dtstart", event.starts_at)
    item.add("dtend", event.ends_at)
    if event.location:
        item.add("location", event.location)
    if event.online_url:
        item.add("url", event.online_url)
    # The calendar's own words in the reader's language (the active one: the invitation's recipient's).
    language = translation.get_language() or "en"
    note = _("Invitation from %(coalition)s. Please answer with the links in the invitation email.") % {
        "coalition": settings.COALITION_NAME
    }
    item.add("summary", event.title, parameters={"LANGUAGE": language})
    item.add(
        "description",
        f"{event.description}\n\n{note}" if event.description else note,
        parameters={"LANGUAGE": language},
    )
    organizer = vCalAddress(f"mailto:{settings.SECRETARIAT_EMAIL}")
    organizer.params["cn"] = vText(settings.COALITION_NAME)
    item.add("organizer", organizer)
    if participant is not None and participant.contact_id and participant.contact.email:
        attendee = vCalAddress(f"mailto:{participant.contact.email}")
        attendee.params["cn"] = vText(participant.contact.name)
        attendee.params["role"] = vText(
            "CHAIR" if participant.role == EventParticipant.Role.ORGANISER else "REQ-PARTICIPANT"
        )
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        item.add("attendee", attendee, encode=0)
    item.add("sequence", 0)
    cal.add_component(item)
    return cal.to_ical()


@transaction.atomic
def participant_invite(*, participant: EventParticipant) -> bool:
    """Queue the invitation email (once per participant and event). False if there is nobody to write to."""
    contact = participant.contact
    if contact is None or not contact.email:
        return False
    event = participant.event
    # In the contact's language: the email, its answer links (/fr/events/rsvp/…) and the calendar file.
    with in_language(contact.preferred_language) as language:
        context = {
            "event": event,
            "participant": participant,
            "contact": contact,
            "role": str(participant.get_role_display()).lower(),
            "accept_url": rsvp_url(participant=participant, response=EventParticipant.Response.ACCEPTED),
            "decline_url": rsvp_url(participant=participant, response=EventParticipant.Response.DECLINED),
        }
        ics = event_ics(event=event, participant=participant)
    email_queue(
        kind="campaigns.event_invitation",
        to=contact.email,
        template="event_invitation",
        context=context,
        language=language,
        dedupe_key=f"campaigns.event_invitation:{event.pk}:{participant.pk}",
        attachments=[
            emails.attachment(
                filename="invitation.ics",
                mimetype="text/calendar",
                content=ics,
            )
        ],
        reply_to=settings.SECRETARIAT_EMAIL,
    )
    if participant.invited_at is None:
        EventParticipant.objects.filter(pk=participant.pk).update(invited_at=timezone.now())
    return True


@transaction.atomic
def event_invitations_send(*, event: Event) -> dict[str, int]:
    """Invite every participant not invited yet who has a contact with an email address."""
    queued = skipped = 0
    pending = event.participants.filter(invited_at__isnull=True).select_related(
        "contact", "event", "organisation"
    )
    for participant in pending:
        if participant_invite(participant=participant):
            queued += 1
        else:
            skipped += 1
    return {"queued": queued, "skipped": skipped}


class RsvpClosed(ValidationError):
    pass


def rsvp_read(*, token: str) -> tuple[EventParticipant, str]:
    """The participant and response a signed RSVP link stands for; BadToken if tampered with or expired."""
    from coalition.exceptions import BadToken

    value = tokens.token_read(
        token=token,
        salt=RSVP_SALT,
        max_age_seconds=RSVP_MAX_AGE_SECONDS,
        parse=lambda v: {"p": tokens.token_pk(v["p"]), "r": v.get("r")},
    )
    try:
        participant = EventParticipant.objects.select_related("event", "organisation", "contact").get(
            pk=value["p"]
        )
    except (EventParticipant.DoesNotExist, KeyError, TypeError) as exc:
        raise BadToken("This invitation no longer exists.") from exc
    response = value.get("r")
    if response not in (EventParticipant.Response.ACCEPTED, EventParticipant.Response.DECLINED):
        raise BadToken("This link is not valid.")
    return participant, response


@transaction.atomic
def participant_respond(*, participant: EventParticipant, response: str) -> EventParticipant:
    """Record an invitee's answer (from their RSVP link). Answering again changes the answer."""
    participant = EventParticipant.objects.select_for_update().select_related("event").get(pk=participant.pk)
    if participant.event.ends_at < timezone.now():
        raise RsvpClosed("This event has already taken place, so the invitation can no longer be answered.")
    if participant.response != response:
        participant.response = response
        participant.responded_at = timezone.now()
        participant.save(update_fields=["response", "responded_at", "updated_at"])
    return participant


@transaction.atomic
def participant_mark_attended(*, participant: EventParticipant, by=None) -> EventParticipant:
    """Mark attendance and add it to the organisation's history once (a speaking slot for speakers).

    When the event belongs to a campaign that targets the organisation, the engagement also joins that
    target's timeline.
    """
    participant = (
        EventParticipant.objects.select_for_update(of=("self",))
        .select_related("event", "organisation", "contact")
        .get(pk=participant.pk)
    )
    if participant.attended and participant.engagement_id:
        return participant
    event = participant.event
    speaking = participant.role in EventParticipant.SPEAKING_ROLES
    kind = Engagement.Kind.SPEAKING_SLOT if speaking else Engagement.Kind.EVENT_ATTENDANCE
    role = participant.get_role_display()
    engagement = member_services.engagement_create(
        organisation=participant.organisation,
        kind=kind,
        summary=f"{role} at {event.title}"[:300],
        occurred_at=event.starts_at,
        details=event.location or event.online_url,
        contacts=[participant.contact] if participant.contact_id else [],
    )
    participant.attended = True
    participant.engagement = engagement
    participant.save(update_fields=["attended", "engagement", "updated_at"])
    if event.campaign_id:
        target = Target.objects.filter(
            campaign_id=event.campaign_id, organisation_id=participant.organisation_id
        ).first()
        if target is not None:
            CampaignAction.objects.create(target=target, engagement=engagement, by=by)
    return participant


@transaction.atomic
def participants_mark_attended(*, participants: Iterable[EventParticipant], by=None) -> int:
    count = 0
    for participant in participants:
        participant_mark_attended(participant=participant, by=by)
        count += 1
    return count
