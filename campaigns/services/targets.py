"""Campaign targets: adding them, moving them through the stages, the ask a commitment answers,
and merging organisations.

Every change of a target (its fields and its stage) goes through ``target_edit``; a stage change must be
in the table ``ALLOWED_TRANSITIONS``:

=========== =========================================
from        to
=========== =========================================
(new)       any stage (``target_add``; usually identified)
identified  contacted, engaged, committed, declined
contacted   engaged, committed, declined
engaged     contacted, committed, declined
committed   contacted, engaged, declined (a correction, or a government backs out)
declined    contacted, engaged, committed (a declined target may come round)
=========== =========================================

No target returns to identified. Asking for the current stage does nothing; anything else outside the
table raises ``InvalidTransition`` (409 in the API), whose message says what the stage allows. Each move
writes a ``TargetStageChange`` (who, when, why, and the commitment that answered the ask).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from campaigns.models import Campaign, CampaignAction, EventParticipant, Target, TargetStageChange
from coalition.exceptions import InvalidTransition
from members import services as member_services
from members.models import Commitment, Contact, Membership, Organisation

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


# --- Targets -----------------------------------------------------------------------------------------------

T = Target.Stage

# Where a target may go from each stage. "Identified" is where a target starts and never returns to: once
# approached, it stays approached. Any other move is allowed: staff correct mistakes (committed back to
# engaged), a declined target may come round, and the history keeps every move.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    T.IDENTIFIED: frozenset({T.CONTACTED, T.ENGAGED, T.COMMITTED, T.DECLINED}),
    T.CONTACTED: frozenset({T.ENGAGED, T.COMMITTED, T.DECLINED}),
    T.ENGAGED: frozenset({T.CONTACTED, T.COMMITTED, T.DECLINED}),
    T.COMMITTED: frozenset({T.CONTACTED, T.ENGAGED, T.DECLINED}),
    T.DECLINED: frozenset({T.CONTACTED, T.ENGAGED, T.COMMITTED}),
}

# What target_edit changes besides the stage; the campaign and organisation are fixed once added.
TARGET_EDITABLE_FIELDS = ("owner", "next_action", "next_action_due", "notes")


def _stage_check(stage: str) -> None:
    if stage not in ALLOWED_TRANSITIONS:
        raise ValidationError(
            {"stage": [f"Unknown stage {stage!r}; choose one of: {', '.join(Target.Stage.values)}."]}
        )


def target_stages_allowed(*, stage: str) -> list[str]:
    """The stages a target in ``stage`` may move to, in the pipeline's order."""
    return [s for s in Target.Stage.values if s in ALLOWED_TRANSITIONS.get(stage, ())]


def target_check(target: Target) -> None:
    """The rules of a target, checked before it is saved (admin forms show these errors).

    The campaign and organisation are fixed once a target is added, so only a new target can be a twin.
    """
    twin = Target.objects.filter(campaign_id=target.campaign_id, organisation_id=target.organisation_id)
    if target.pk is None and target.campaign_id and target.organisation_id and twin.exists():
        raise ValidationError({"organisation": ["This organisation is already a target of this campaign."]})
    target.full_clean(validate_unique=False, validate_constraints=False)


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
    note: str = "Added",
    at: datetime | None = None,
) -> Target:
    """Add one organisation to a campaign's targets; the first stage change records the addition."""
    _stage_check(stage)
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
    target_check(target)
    target.save()
    TargetStageChange.objects.create(target=target, from_stage="", to_stage=stage, by=by, at=when, note=note)
    return target


@transaction.atomic
def target_remove(*, target: Target) -> None:
    """Take an organisation off a campaign's targets, with its stage history; actions logged on it stay
    as engagements in the organisation's history."""
    target.delete()


@transaction.atomic
def target_edit(
    *,
    target: Target,
    by=None,
    stage: str | None = None,
    note: str = "",
    commitment: Commitment | None = None,
    at: datetime | None = None,
    **fields: Any,
) -> Target:
    """Change a target: its owner, next action, due date and notes, and (with ``stage``) where it stands.

    A stage change must be in ``ALLOWED_TRANSITIONS`` (else ``InvalidTransition``) and is recorded with who
    made it, when, why and the commitment that answered the ask. Asking for the current stage moves nothing
    (unless it links a new commitment). ``campaign`` and ``organisation`` may be given only unchanged.
    """
    for name in ("campaign", "organisation"):
        if name in fields and fields.pop(name) != getattr(target, name):
            raise ValidationError(
                {
                    name: [
                        "A target cannot move to another campaign or organisation; add a new target instead."
                    ]
                }
            )
    unknown = set(fields) - set(TARGET_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    if stage is not None:
        _stage_check(stage)
    target = Target.objects.select_for_update().get(pk=target.pk)
    update = ["updated_at"]
    if fields:
        for name, value in fields.items():
            setattr(target, name, value)
        target_check(target)
        update += list(fields)
    relinks = commitment is not None and target.commitment_id != commitment.pk
    if stage is not None and (stage != target.stage or relinks):
        if stage != target.stage and stage not in ALLOWED_TRANSITIONS[target.stage]:
            allowed = ", ".join(str(T(s).label).lower() for s in target_stages_allowed(stage=target.stage))
            raise InvalidTransition(
                f"This target is {target.get_stage_display().lower()}: it cannot move to "
                f"{T(stage).label.lower()}. From here it can move to: {allowed}."
            )
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
        update += ["stage", "stage_changed_at"]
        if commitment is not None:
            target.commitment = commitment
            update.append("commitment")
    if len(update) > 1:
        target.save(update_fields=update)
    return target


def target_move(
    *,
    target: Target,
    stage: str,
    by=None,
    note: str = "",
    commitment: Commitment | None = None,
    at: datetime | None = None,
) -> Target:
    """Move a target to ``stage`` (see ``target_edit``, which holds the rule)."""
    return target_edit(target=target, stage=stage, by=by, note=note, commitment=commitment, at=at)


FILTER_COUNTRIES_WITHOUT_NET_NEGATIVE = "countries_without_net_negative"
FILTER_MEMBERS_OF_TIER = "members_of_tier"
FILTER_COUNTRIES = "countries"
FILTER_MEMBERS_WITHIN_COUNTRIES = "members_within_countries"
TARGET_FILTERS = {
    FILTER_COUNTRIES_WITHOUT_NET_NEGATIVE: "Countries without a net-negative commitment",
    FILTER_MEMBERS_OF_TIER: "Current members of a tier",
    FILTER_COUNTRIES: "A list of countries (ISO codes)",
    FILTER_MEMBERS_WITHIN_COUNTRIES: "Members within countries (ISO codes): their regions, cities, companies",
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
        members = Membership.objects.in_good_standing().filter(organisation=OuterRef("pk"), tier_id=tier)
        return Organisation.objects.filter(Exists(members))
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
        return organisations_within_countries(codes=codes).in_good_standing()
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


def targets_lose_commitment(*, commitment: Commitment, by=None) -> list[Target]:
    """The targets a commitment moved to "committed", when that commitment is deleted (recorded by
    mistake, or an import undone): each is answered by another of the organisation's commitments that
    satisfies the ask, if one does, else goes back to the stage it came from (or, where the stages allow no
    way back there, "contacted"), and the stage log says why.

    Called by the members commitment services (hook ``commitment_deleted``) before the deletion.
    """
    moved = []
    for target in Target.objects.filter(commitment=commitment, stage=Target.Stage.COMMITTED).select_related(
        "campaign"
    ):
        others = Commitment.objects.filter(organisation_id=commitment.organisation_id).exclude(
            pk=commitment.pk
        )
        other = next(
            (c for c in others if commitment_satisfies_ask(commitment=c, campaign=target.campaign)), None
        )
        if other is not None:
            note = f"{commitment} was deleted; {other} answers the ask."
            moved.append(
                target_move(target=target, stage=Target.Stage.COMMITTED, by=by, note=note, commitment=other)
            )
            continue
        came_from = (
            TargetStageChange.objects.filter(
                target=target, to_stage=Target.Stage.COMMITTED, commitment=commitment
            )
            .order_by("-at", "-pk")
            .values_list("from_stage", flat=True)
            .first()
        )
        stage = (
            came_from if came_from in ALLOWED_TRANSITIONS[Target.Stage.COMMITTED] else Target.Stage.CONTACTED
        )
        note = f"{commitment}, which answered the ask, was deleted."
        moved.append(target_move(target=target, stage=stage, by=by, note=note))
    return moved


def on_commitment_deleted(*, commitment: Commitment, by=None, **_: Any) -> None:
    targets_lose_commitment(commitment=commitment, by=by)


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
