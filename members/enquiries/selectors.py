"""Reads of the enquiry pipeline: staff lists, the reminder digest and the dashboard figures."""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, QuerySet
from django.utils import timezone

from members.models import Enquiry

DECISIONS = (Enquiry.Status.APPROVED, Enquiry.Status.DECLINED)


def enquiry_list() -> QuerySet[Enquiry]:
    """Enquiries with everything a list or detail shows, in a constant number of queries."""
    return Enquiry.objects.select_related(
        "requested_tier",
        "assignee",
        "suggested_organisation",
        "suggested_contact",
        "organisation",
        "contact",
        "membership",
    ).prefetch_related("transitions__by", "notes__author")


def enquiries_untouched(*, days: int) -> QuerySet[Enquiry]:
    """Open enquiries nobody has acted on for more than ``days`` days, oldest first."""
    cutoff = timezone.now() - timedelta(days=days)
    return (
        Enquiry.objects.filter(status__in=Enquiry.OPEN_STATUSES, last_activity_at__lt=cutoff)
        .select_related("assignee")
        .order_by("last_activity_at")
    )


def enquiries_per_stage() -> dict[str, int]:
    """How many enquiries are at each stage, every stage listed (zero included), in pipeline order."""
    counts = dict(Enquiry.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return {status.value: counts.get(status.value, 0) for status in Enquiry.Status}


class _Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``; over intervals it answers an interval."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _bounds(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """Dates mean whole days: ``end`` is included."""
    tz = timezone.get_current_timezone()
    if not isinstance(start, datetime):
        start = datetime.combine(start, time.min, tzinfo=tz)
    if not isinstance(end, datetime):
        end = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def enquiry_median_days_to_decision(*, start: date | datetime, end: date | datetime) -> float | None:
    """Median days from receipt to approval or decline, over enquiries decided in [start, end].

    None when nothing was decided in the period. One query; on PostgreSQL the median is computed there.
    """
    start_at, end_at = _bounds(start, end)
    decided = Enquiry.objects.filter(
        status__in=DECISIONS, decided_at__gte=start_at, decided_at__lt=end_at, decided_at__isnull=False
    )
    waited = F("decided_at") - F("created_at")
    if connection.vendor == "postgresql":
        median = decided.aggregate(m=_Median(waited))["m"]
        return None if median is None else round(median.total_seconds() / 86400, 2)
    durations = [(d - c).total_seconds() / 86400 for c, d in decided.values_list("created_at", "decided_at")]
    return round(statistics.median(durations), 2) if durations else None
