"""Writes of the campaigns domain. Keyword-only functions named ``<noun>_<verb>``; each one a transaction."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from coalition import emails, tokens
from members import services as member_services
from members.models import Commitment, Contact, Engagement, Membership, Organisation

from .models import Campaign, CampaignAction, Event, EventParticipant, Target, TargetStageChange

RSVP_SALT = "campaigns.rsvp"
# An RSVP link works until the event is over; this bounds links for events far in the future too.
RSVP_MAX_AGE_SECONDS = 180 * 24 * 3600

# Which commitment kinds satisfy an ask of a given kind. A net-negative target goes beyond neutrality, so it
# answers an ask for net zero or any kind of neutrality; nothing weaker answers an ask for net negative.
NEUTRALITY_KINDS = {
    Commitment.Kind.NET_ZERO,
    Commitment.Kind.CARBON_NEUTRAL,
    Commitment.Kind.CLIMATE_NEUTRAL,
    Commitment.Kind.GHG_NEUTRAL,
}


def kinds_satisfying(ask_kind: str) -> set[str]:
    kinds = {ask_kind}
    if ask_kind in NEUTRALITY_KINDS:
        kinds.add(Commitment.Kind.NET_NEGATIVE)
    return kinds


def _status_rank(status: str) -> int:
    return Commitment.STATUS_ORDER.index(status)


def commitment_satisfies_ask(*, commitment: Commitment, campaign: Campaign) -> bool:
    """Does ``commitment`` answer the campaign's ask?

    - kind: the same kind, or net negative for an ask of net zero / carbon, climate or GHG neutrality;
    - status: at least the ask's minimum in ``Commitment.STATUS_ORDER``;
    - in NDC: status "In NDC" or stronger (in law, achieved) — the tracker records a target's strongest
      instrument, and a target in law has gone beyond the ask rather than fallen short of it;
    - year: a target year no later than the ask's (a commitment without a year does not answer a dated ask).
    """
    if not campaign.ask_kind or commitment.kind not in kinds_satisfying(campaign.ask_kind):
        return False
    rank = _status_rank(commitment.status)
    if campaign.ask_min_status and rank < _status_rank(campaign.ask_min_status):
        return False
    if campaign.ask_in_ndc and rank < _status_rank(Commitment.Status.NDC):
        return False
    late = commitment.target_year is None or commitment.target_year > (campaign.ask_target_year or 0)
    return not (campaign.ask_target_year and late)


# --- Campaigns ---------------------------------------------------------------------------------------------

CAMPAIGN_FIELDS = (
    "name",
    "objective",
    "description",
    "status",
    "owner",
    "start_date",
    "deadline",
    "ask_kind",
    "ask_min_status",
    "ask_target_year",
    "ask_in_ndc",
)


def _campaign_check(campaign: Campaign) -> None:
    errors: dict[str, list[str]] = {}
    if campaign.start_date and campaign.deadline and campaign.deadline < campaign.start_date:
        errors["deadline"] = ["The deadline must not be before the start date."]
    if not campaign.ask_kind and (campaign.ask_min_status or campaign.ask_target_year or campaign.ask_in_ndc):
        errors["ask_kind"] = [
            "Choose the kind of commitment the campaign asks for, or clear the other ask fields."
        ]
    if errors:
        raise ValidationError(errors)
    # The check constraint would repeat the deadline message as a non-field error; it stays as the net.
    campaign.full_clean(validate_constraints=False)


@transaction.atomic
def campaign_create(*, by=None, **fields: Any) -> Campaign:
    campaign = Campaign(**fields)
    _campaign_check(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, by=None, **fields: Any) -> Campaign:
    for name, value in fields.items():
        setattr(campaign, name, value)
    _campaign_check(campaign)
    campaign.save()
    return campaign


# --- Targets -----------------------------------------------------------------------------------------------


def _stage_check(stage: str) -> None:
    if stage not in Target.Stage.values:
        raise ValidationError(
            {"stage": [f"Unknown stage {stage!r}; choose one of: {', '.join(Target.Stage.values)}."]}
        )


@transaction.atomic
def target_add(
    *,
    campaign: Campaign,
    organisation: Organisation,
    by=None,
    stage: str = Target.Stage.IDENTIFIED,
    owner=None,
    next_action: str = "",
    next_action_due=None,
    notes: str = "",
    at: datetime | None = None,
) -> Target:
    """Add one organisation to a campaign's targets; the first stage change records the addition."""
    _stage_check(stage)
    if Target.objects.filter(campaign=campaign, organisation=organisation).exists():
        raise ValidationError({"organisation": ["This organisation is already a target of this campaign."]})
    when = at or timezone.now()
    target = Target(
        campaign=campaign,
        organisation=organisation,
        stage=stage,
        stage_changed_at=when,
        owner=owner,
        next_action=next_action,
        next_action_due=next_action_due,
        notes=notes,
    )
    target.full_clean(validate_unique=False, validate_constraints=False)
    target.save()
    TargetStageChange.objects.create(
        target=target, from_stage="", to_stage=stage, by=by, at=when, note="Added"
    )
    return target


@transaction.atomic
def target_update(*, target: Target, by=None, **fields: Any) -> Target:
    """Change a target's owner, next action, due date or notes (the stage moves only through target_move)."""
    allowed = {"owner", "next_action", "next_action_due", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(target, name, value)
    target.full_clean(validate_unique=False, validate_constraints=False)
    target.save()
    return target


@transaction.atomic
def target_move(
    *,
    target: Target,
    stage: str,
    by=None,
    note: str = "",
    commitment: Commitment | None = None,
    at: datetime | None = None,
) -> Target:
    """Move a target to ``stage``, recording who moved it and when. Moving to its current stage does nothing.

    Any stage may follow any other: staff correct mistakes and a declined target may come round; the
    history keeps every move.
    """
    _stage_check(stage)
    target = Target.objects.select_for_update().get(pk=target.pk)
    if target.stage == stage and (commitment is None or target.commitment_id == commitment.pk):
        return target
    when = at or timezone.now()
    TargetStageChange.objects.create(
        target=target,
        from_stage=target.stage,
        to_stage=stage,
        by=by,
        at=when,
        note=note,
        commitment=commitment,
    )
    target.stage = stage
    target.stage_changed_at = when
    update = ["stage", "stage_changed_at", "updated_at"]
    if commitment is not None:
        target.commitment = commitment
        update.append("commitment")
    target.save(update_fields=update)
    return target


FILTER_COUNTRIES_WITHOUT_NET_NEGATIVE = "countries_without_net_negative"
FILTER_MEMBERS_OF_TIER = "members_of_tier"
FILTER_COUNTRIES = "countries"
FILTER_MEMBERS_WITHIN_COUNTRIES = "members_within_countries"
TARGET_FILTERS = {
    FILTER_COUNTRIES_WITHOUT_NET_NEGATIVE: "Countries without a net-negative commitment",
    FILTER_MEMBERS_OF_TIER: "Current members of a tier",
    FILTER_COUNTRIES: "A list of countries (ISO codes)",
    FILTER_MEMBERS_WITHIN_COUNTRIES: "Current members within countries (ISO codes)",
}


def target_filter_organisations(*, filter: str, tier: int | None = None, countries: Iterable[str] = ()):
    """The organisations a bulk-add filter selects (a queryset, not evaluated)."""
    if filter == FILTER_COUNTRIES_WITHOUT_NET_NEGATIVE:
        net_negative = Commitment.objects.filter(
            organisation=OuterRef("pk"), kind=Commitment.Kind.NET_NEGATIVE
        )
        return Organisation.objects.filter(kind=Organisation.Kind.COUNTRY).exclude(Exists(net_negative))
    if filter == FILTER_MEMBERS_OF_TIER:
        if not tier:
            raise ValidationError({"tier": ["Choose the membership tier whose members to add."]})
        current = Membership.objects.filter(
            organisation=OuterRef("pk"), tier_id=tier, status__in=Membership.CURRENT_STATUSES
        )
        return Organisation.objects.filter(Exists(current))
    if filter == FILTER_COUNTRIES:
        codes = sorted({c.strip().upper() for c in countries if c and c.strip()})
        if not codes:
            raise ValidationError(
                {"countries": ["List at least one ISO 3166 country code, e.g. DK, PA, FI."]}
            )
        return Organisation.objects.filter(kind=Organisation.Kind.COUNTRY, country__in=codes)
    if filter == FILTER_MEMBERS_WITHIN_COUNTRIES:
        from members.affiliations.selectors import organisations_within_countries

        codes = sorted({c.strip().upper() for c in countries if c and c.strip()})
        if not codes:
            raise ValidationError({"countries": ["List at least one ISO 3166 country code, e.g. DK."]})
        current = Membership.objects.filter(
            organisation=OuterRef("pk"), status__in=Membership.CURRENT_STATUSES
        )
        return organisations_within_countries(codes=codes).filter(Exists(current))
    raise ValidationError(
        {"filter": [f"Unknown filter {filter!r}; choose one of: {', '.join(TARGET_FILTERS)}."]}
    )


@transaction.atomic
def targets_add_from_filter(
    *, campaign: Campaign, filter: str, by=None, tier: int | None = None, countries: Iterable[str] = ()
) -> int:
    """Add every organisation the filter selects as a target ("identified"); returns how many were new.

    A fixed number of queries however many organisations match: one read of ids, two bulk inserts, one
    read of the new targets. Organisations already targeted are left as they are.
    """
    countries = list(countries)
    if filter in (FILTER_COUNTRIES, FILTER_MEMBERS_WITHIN_COUNTRIES):
        codes = {c.strip().upper() for c in countries if c and c.strip()}
        known = set(
            Organisation.objects.filter(kind=Organisation.Kind.COUNTRY, country__in=codes).values_list(
                "country", flat=True
            )
        )
        missing = sorted(codes - known)
        if missing:
            raise ValidationError(
                {"countries": [f"No country record for: {', '.join(missing)}. Add the countries first."]}
            )
    matched = target_filter_organisations(filter=filter, tier=tier, countries=countries).exclude(
        campaign_targets__campaign=campaign
    )
    organisation_ids = list(matched.values_list("pk", flat=True))
    if not organisation_ids:
        return 0
    now = timezone.now()
    Target.objects.bulk_create(
        [Target(campaign=campaign, organisation_id=pk, stage_changed_at=now) for pk in organisation_ids],
        ignore_conflicts=True,  # another request may have added some meanwhile
    )
    created = list(
        Target.objects.filter(
            campaign=campaign, organisation_id__in=organisation_ids, stage_changed_at=now
        ).values_list("pk", flat=True)
    )
    note = f"Added in bulk: {TARGET_FILTERS[filter]}"
    TargetStageChange.objects.bulk_create(
        [
            TargetStageChange(
                target_id=pk, from_stage="", to_stage=Target.Stage.IDENTIFIED, by=by, at=now, note=note
            )
            for pk in created
        ]
    )
    return len(created)


def targets_answer_commitment(*, commitment: Commitment, by=None) -> list[Target]:
    """Move to "committed" the open targets of active campaigns whose ask ``commitment`` satisfies.

    Called by the members commitment services (hook ``commitment_recorded``) inside their transaction.
    "Open" means not yet committed: a target that declined and then records the target anyway has committed.
    A revision that weakens a commitment does not move a committed target back; staff decide that.
    """
    candidates = (
        Target.objects.filter(
            organisation_id=commitment.organisation_id, campaign__status=Campaign.Status.ACTIVE
        )
        .exclude(stage=Target.Stage.COMMITTED)
        .exclude(campaign__ask_kind="")
        .select_related("campaign")
    )
    moved = []
    for target in candidates:
        if commitment_satisfies_ask(commitment=commitment, campaign=target.campaign):
            note = f"Recorded {commitment}, {commitment.get_status_display()}: answers the ask."
            moved.append(
                target_move(
                    target=target, stage=Target.Stage.COMMITTED, by=by, note=note, commitment=commitment
                )
            )
    return moved


def on_commitment_recorded(*, commitment: Commitment, created: bool, by=None, **_: Any) -> None:
    targets_answer_commitment(commitment=commitment, by=by)


@transaction.atomic
def target_log_action(
    *,
    target: Target,
    kind: str,
    summary: str,
    by=None,
    occurred_at: datetime | None = None,
    details: str = "",
    contacts: Iterable[Contact] = (),
) -> CampaignAction:
    """Log an engagement against a campaign target; it joins the organisation's history too."""
    contacts = list(contacts)
    strangers = [c for c in contacts if c.organisation_id != target.organisation_id]
    if strangers:
        raise ValidationError(
            {"contacts": [f"{strangers[0].name} is not a contact of {target.organisation}."]}
        )
    engagement = member_services.engagement_create(
        organisation=target.organisation,
        kind=kind,
        summary=summary,
        occurred_at=occurred_at,
        details=details,
        contacts=contacts,
        staff=[by] if by is not None and getattr(by, "is_staff", False) else [],
    )
    return CampaignAction.objects.create(target=target, engagement=engagement, by=by)


# --- Events and participants -------------------------------------------------------------------------------

EVENT_FIELDS = ("title", "kind", "starts_at", "ends_at", "location", "online_url", "description", "campaign")


def _event_check(event: Event) -> None:
    errors: dict[str, list[str]] = {}
    if event.starts_at and event.ends_at and event.ends_at < event.starts_at:
        errors["ends_at"] = ["The end must not be before the start."]
    if not event.location and not event.online_url:
        errors["location"] = ["Give a place or an online link."]
    if errors:
        raise ValidationError(errors)
    event.full_clean(validate_constraints=False)


@transaction.atomic
def event_create(*, by=None, **fields: Any) -> Event:
    event = Event(**fields)
    _event_check(event)
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, by=None, **fields: Any) -> Event:
    for name, value in fields.items():
        setattr(event, name, value)
    _event_check(event)
    event.save()
    return event


def _participant_check(participant: EventParticipant) -> None:
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
    by=None,
) -> EventParticipant:
    participant = EventParticipant(
        event=event, organisation=organisation, contact=contact, role=role, response=response
    )
    _participant_check(participant)
    participant.save()
    return participant


@transaction.atomic
def participant_update(*, participant: EventParticipant, by=None, **fields: Any) -> EventParticipant:
    allowed = {"organisation", "contact", "role", "response"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    if "response" in fields and fields["response"] != participant.response:
        participant.responded_at = timezone.now()
    for name, value in fields.items():
        setattr(participant, name, value)
    _participant_check(participant)
    participant.save()
    return participant


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
    item.add("summary", event.title)
    if event.location:
        item.add("location", event.location)
    if event.online_url:
        item.add("url", event.online_url)
    if event.description:
        item.add("description", event.description)
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
def participant_invite(*, participant: EventParticipant, by=None) -> bool:
    """Queue the invitation email (once per participant and event). False if there is nobody to write to."""
    contact = participant.contact
    if contact is None or not contact.email:
        return False
    event = participant.event
    emails.email_queue(
        kind="campaigns.event_invitation",
        to=contact.email,
        template="event_invitation",
        context={
            "event": event,
            "participant": participant,
            "contact": contact,
            "role": participant.get_role_display().lower(),
            "accept_url": rsvp_url(participant=participant, response=EventParticipant.Response.ACCEPTED),
            "decline_url": rsvp_url(participant=participant, response=EventParticipant.Response.DECLINED),
        },
        dedupe_key=f"campaigns.event_invitation:{event.pk}:{participant.pk}",
        attachments=[
            emails.attachment(
                filename="invitation.ics",
                mimetype="text/calendar",
                content=event_ics(event=event, participant=participant),
            )
        ],
        reply_to=settings.SECRETARIAT_EMAIL,
    )
    if participant.invited_at is None:
        EventParticipant.objects.filter(pk=participant.pk).update(invited_at=timezone.now())
    return True


@transaction.atomic
def event_invitations_send(*, event: Event, by=None) -> dict[str, int]:
    """Invite every participant not invited yet who has a contact with an email address."""
    queued = skipped = 0
    pending = event.participants.filter(invited_at__isnull=True).select_related(
        "contact", "event", "organisation"
    )
    for participant in pending:
        if participant_invite(participant=participant, by=by):
            queued += 1
        else:
            skipped += 1
    return {"queued": queued, "skipped": skipped}


class RsvpClosed(ValidationError):
    pass


def rsvp_read(*, token: str) -> tuple[EventParticipant, str]:
    """The participant and response a signed RSVP link stands for; BadToken if tampered with or expired."""
    from coalition.exceptions import BadToken

    value = tokens.token_read(token=token, salt=RSVP_SALT, max_age_seconds=RSVP_MAX_AGE_SECONDS)
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


# --- Merging organisations ---------------------------------------------------------------------------------


def organisations_merge_campaign_rows(*, keep: Organisation, gone: Organisation, **_: Any) -> None:
    """Move the targets and participations of ``gone`` to ``keep`` before ``gone`` is deleted.

    Called by the members merge service (hook ``organisations_merged``) inside its transaction. Where ``keep``
    is already a target of the same campaign, that target stays and receives the other's history and
    actions; where it already takes part in the same event with the same contact, the duplicate goes,
    keeping the attendance record if only the duplicate had one.
    """
    for target in Target.objects.filter(organisation=gone):
        twin = Target.objects.filter(campaign_id=target.campaign_id, organisation=keep).first()
        if twin is None:
            Target.objects.filter(pk=target.pk).update(organisation=keep)
            continue
        TargetStageChange.objects.filter(target=target).update(target=twin)
        CampaignAction.objects.filter(target=target).update(target=twin)
        target.delete()
    for participant in EventParticipant.objects.filter(organisation=gone):
        twin = EventParticipant.objects.filter(
            event_id=participant.event_id, organisation=keep, contact_id=participant.contact_id
        ).first()
        if twin is None:
            EventParticipant.objects.filter(pk=participant.pk).update(organisation=keep)
        else:
            _participation_fold(participant=participant, into=twin)


def contacts_merge_participations(*, keep_contact, gone_contact, **_: Any) -> None:
    """Hook ``contacts_merged``: a contact folded into another during a merge keeps its event history.

    Without this the folded contact's participations would be deleted with it (the foreign key cascades).
    Where the kept contact already takes part in the same event, the duplicate goes (its attendance, if
    only it had one, passes to the kept participation).
    """
    for participant in EventParticipant.objects.filter(contact=gone_contact):
        twin = EventParticipant.objects.filter(event_id=participant.event_id, contact=keep_contact).first()
        if twin is None:
            EventParticipant.objects.filter(pk=participant.pk).update(contact=keep_contact)
        else:
            _participation_fold(participant=participant, into=twin)


def _participation_fold(*, participant: EventParticipant, into: EventParticipant) -> None:
    """Drop a duplicate participation, passing its attendance (and engagement) on if only it had one."""
    if participant.attended and not into.attended:
        engagement_id = participant.engagement_id
        EventParticipant.objects.filter(pk=participant.pk).update(engagement=None)
        EventParticipant.objects.filter(pk=into.pk).update(attended=True, engagement_id=engagement_id)
    participant.delete()
