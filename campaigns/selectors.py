"""Reads of the campaigns domain."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from campaigns.models import Campaign, CampaignAction, Event, EventParticipant, Target, TargetStageChange
from coalition.dates import secretariat_today

STAGES = list(Target.Stage)


def campaigns_with_progress(queryset: QuerySet[Campaign] | None = None) -> QuerySet[Campaign]:
    """Campaigns annotated with their target counts per stage: one query for any number of campaigns."""
    qs = queryset if queryset is not None else Campaign.objects.all()
    counts = {f"n_{stage.value}": Count("targets", filter=Q(targets__stage=stage.value)) for stage in STAGES}
    return qs.annotate(n_targets=Count("targets"), **counts)


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class CampaignProgress:
    total: int
    stages: list[StageCount]
    committed: int
    share_committed: float  # 0..1
    days_to_deadline: int  # negative once the deadline has passed

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "per_stage": {s.stage: s.count for s in self.stages},
            "committed": self.committed,
            "share_committed": round(self.share_committed, 4),
            "days_to_deadline": self.days_to_deadline,
        }


def campaign_progress(*, campaign: Campaign, today: date | None = None) -> CampaignProgress:
    """Counts per stage, share committed and days to the deadline.

    Uses the annotations of ``campaigns_with_progress`` when present (no query), else counts (one query).
    """
    if not hasattr(campaign, "n_targets"):
        campaign = campaigns_with_progress(Campaign.objects.filter(pk=campaign.pk)).get()
    total = campaign.n_targets
    stages = []
    for stage in STAGES:
        n = getattr(campaign, f"n_{stage.value}")
        stages.append(StageCount(stage.value, stage.label, n, round(100 * n / total, 1) if total else 0.0))
    committed = campaign.n_committed
    today = today or secretariat_today()
    return CampaignProgress(
        total=total,
        stages=stages,
        committed=committed,
        share_committed=committed / total if total else 0.0,
        days_to_deadline=(campaign.deadline - today).days,
    )


def campaign_committed_over_time(*, campaign: Campaign) -> list[tuple[datetime, int]]:
    """Cumulative number of committed targets after each move into or out of "committed" (for the chart)."""
    changes = TargetStageChange.objects.filter(target__campaign=campaign).filter(
        Q(to_stage=Target.Stage.COMMITTED) | Q(from_stage=Target.Stage.COMMITTED)
    )
    points, running = [], 0
    for change in changes.order_by("at", "pk").only("at", "from_stage", "to_stage"):
        if change.to_stage == Target.Stage.COMMITTED and change.from_stage != Target.Stage.COMMITTED:
            running += 1
        elif change.from_stage == Target.Stage.COMMITTED and change.to_stage != Target.Stage.COMMITTED:
            running -= 1
        else:
            continue
        points.append((change.at, running))
    return points


def targets_for_list() -> QuerySet[Target]:
    return Target.objects.select_related("campaign", "organisation", "owner", "commitment")


def events_for_list() -> QuerySet[Event]:
    return Event.objects.select_related("campaign").annotate(
        n_participants=Count("participants"),
        n_accepted=Count("participants", filter=Q(participants__response=EventParticipant.Response.ACCEPTED)),
        n_attended=Count("participants", filter=Q(participants__attended=True)),
    )


def participants_for_list() -> QuerySet[EventParticipant]:
    return EventParticipant.objects.select_related("event", "organisation", "contact")


@dataclass(frozen=True)
class TargetTimelineEntry:
    at: datetime
    category: str  # "stage" or "action"
    title: str
    detail: str = ""
    by: str = ""
    object_id: int | None = None


def target_timeline(*, target: Target) -> list[TargetTimelineEntry]:
    """A target's stage changes and logged actions, newest first; three queries whatever its length."""
    entries: list[TargetTimelineEntry] = []
    for change in target.stage_changes.select_related("by"):
        label = dict(Target.Stage.choices)
        if change.from_stage:
            title = f"Stage: {label.get(change.from_stage, change.from_stage)} → {label.get(change.to_stage)}"
        else:
            title = f"Added as {label.get(change.to_stage, change.to_stage).lower()}"
        entries.append(
            TargetTimelineEntry(
                at=change.at,
                category="stage",
                title=title,
                detail=change.note,
                by=change.by.get_username() if change.by else "",
                object_id=change.pk,
            )
        )
    actions = CampaignAction.objects.filter(target=target).select_related("engagement", "by")
    for action in actions.prefetch_related("engagement__contacts"):
        e = action.engagement
        people = ", ".join(c.name for c in e.contacts.all())
        entries.append(
            TargetTimelineEntry(
                at=e.occurred_at,
                category="action",
                title=f"{e.get_kind_display()}: {e.summary}",
                detail=people,
                by=action.by.get_username() if action.by else "",
                object_id=e.pk,
            )
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def progress_items(*, start: datetime, end: datetime) -> list[dict[str, str]]:
    """Campaign milestones in [start, end) for the progress update: targets that committed, events held.

    Links point at public material only (the commitment's source, the event's online page), never at staff
    pages, since the update may go to subscribers.
    """
    items: list[dict[str, str]] = []
    committed = (
        TargetStageChange.objects.filter(to_stage=Target.Stage.COMMITTED, at__gte=start, at__lt=end)
        .exclude(from_stage=Target.Stage.COMMITTED)
        .select_related("target__organisation", "target__campaign", "commitment")
        .order_by("at", "pk")
    )
    for change in committed:
        target = change.target
        what = ""
        if change.commitment_id:
            c = change.commitment
            year = f" by {c.target_year}" if c.target_year else ""
            what = (
                f" to a {c.get_kind_display().lower()} target{year} ({_lower_first(c.get_status_display())})"
            )
        items.append(
            {
                "section": "campaigns",
                "text": f"{target.organisation.name} committed{what}: {target.campaign.name}.",
                "url": change.commitment.source_url if change.commitment_id else "",
            }
        )
    held = Event.objects.filter(ends_at__gte=start, ends_at__lt=end).order_by("starts_at")
    for event in held:
        where = f", {event.location}" if event.location else " (online)"
        items.append(
            {
                "section": "campaigns",
                "text": f"{event.get_kind_display()}: {event.title}{where}, {event.starts_at:%-d %B %Y}.",
                "url": event.online_url,
            }
        )
    return items
