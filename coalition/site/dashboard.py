"""Figures for the staff dashboard. Each function runs a fixed number of queries whatever the data size.

The figures that aggregate whole tables (members over time, commitments by kind and by target year, the
net-negative share, the enquiry funnel) are summaries: computed once, kept in the cache under the
dashboard's version stamp (``coalition.versions.DASHBOARD_CONTENT``, bumped by the members and enquiry
services on every write that changes them) and the day, and recomputed on a schedule
(``dashboard_summaries_refresh``, every ten minutes from the beat schedule or the embedded scheduler) so a
staff member rarely waits for one. A dashboard view therefore costs the same at 100 organisations and at
100,000: a few cache reads, plus the short lists (attention, waiting, overdue) that read from indexes.
The functions keep their names, arguments and return shapes; ``fresh=True`` skips the cache.
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q

from coalition.dates import secretariat_today
from coalition.versions import DASHBOARD_CONTENT, cache_get, cache_set, content_version
from members.models import Commitment, Membership, Organisation

# A summary lives at most this long in the cache (the schedule refreshes it every ten minutes anyway).
SUMMARY_SECONDS = 3600


def _summary(name: str, compute: Callable[[], Any], *, fresh: bool = False, **params: Any) -> Any:
    """``compute()``'s result, from the cache when the dashboard's records have not changed since."""
    today = secretariat_today().isoformat()
    args = ",".join(f"{k}={v}" for k, v in sorted(params.items()))
    key = f"dashboard:{name}:{content_version(DASHBOARD_CONTENT)}:{today}:{args}"
    if not fresh:
        value = cache_get(cache, key)
        if value is not None:
            return value
    value = compute()
    cache_set(cache, key, value, SUMMARY_SECONDS)
    return value


def month_ends(*, months: int, today: date | None = None) -> list[date]:
    today = today or secretariat_today()
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    ends.reverse()
    ends[-1] = today  # the current month counts up to today
    return ends


def members_over_time(*, months: int = 12, today: date | None = None, fresh: bool = False) -> dict:
    """Members at each month end, by kind of organisation. One query, or none (a summary)."""
    if today is not None:  # a chosen day: not the summary of today
        return _members_over_time(months=months, today=today)
    return _summary(
        "members_over_time", lambda: _members_over_time(months=months), fresh=fresh, months=months
    )


def _members_over_time(*, months: int, today: date | None = None) -> dict:
    ends = month_ends(months=months, today=today)
    aggregates = {
        f"m{i}": Count(
            "id",
            filter=Q(joined_on__lte=end)
            & ~Q(status=Membership.Status.PENDING)
            # Current members count from the day they joined; former ones until their end date (a
            # withdrawal with no end date is not counted back in time, rather than counted for ever).
            & (Q(status__in=Membership.GOOD_STANDING_STATUSES) | Q(end_date__gte=end)),
        )
        for i, end in enumerate(ends)
    }
    rows = (
        Membership.objects.values("organisation__kind").annotate(**aggregates).order_by("organisation__kind")
    )
    labels = dict(Organisation.Kind.choices)
    series = [
        {
            "name": labels.get(row["organisation__kind"], row["organisation__kind"]),
            "values": [row[f"m{i}"] for i in range(len(ends))],
        }
        for row in rows
    ]
    return {"labels": [e.strftime("%b %Y") for e in ends], "series": series}


def commitments_by_kind(*, fresh: bool = False) -> list[tuple[str, int]]:
    return _summary("commitments_by_kind", _commitments_by_kind, fresh=fresh)


def _commitments_by_kind() -> list[tuple[str, int]]:
    labels = dict(Commitment.Kind.choices)
    rows = Commitment.objects.values("kind").annotate(n=Count("id")).order_by("-n", "kind")
    return [(labels.get(r["kind"], r["kind"]), r["n"]) for r in rows]


def commitments_by_target_year(*, fresh: bool = False) -> list[tuple[str, int]]:
    return _summary("commitments_by_target_year", _commitments_by_target_year, fresh=fresh)


def _commitments_by_target_year() -> list[tuple[str, int]]:
    rows = (
        Commitment.objects.filter(target_year__isnull=False)
        .values("target_year")
        .annotate(n=Count("id"))
        .order_by("target_year")
    )
    return [(str(r["target_year"]), r["n"]) for r in rows]


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def percent(self) -> float:
        return round(100 * self.part / self.whole, 1) if self.whole else 0.0


def members_with_net_negative_targets(*, fresh: bool = False) -> Share:
    """Share of members in good standing with a net-negative commitment. Two counts, or none (a summary)."""
    return _summary("members_with_net_negative_targets", _members_with_net_negative_targets, fresh=fresh)


def _members_with_net_negative_targets() -> Share:
    # One pass with an EXISTS per member instead of a COUNT DISTINCT over the organisation-commitment join.
    net_negative = Commitment.objects.filter(
        organisation_id=OuterRef("pk"), kind=Commitment.Kind.NET_NEGATIVE
    )
    counts = Organisation.objects.in_good_standing().aggregate(
        whole=Count("pk"), part=Count("pk", filter=Q(Exists(net_negative)))
    )
    return Share(part=counts["part"], whole=counts["whole"])


def memberships_needing_attention(*, within_days: int = 30, limit: int = 10) -> list[Membership]:
    """Memberships in grace, or active and ending within ``within_days``, soonest first."""
    today = secretariat_today()
    return list(
        Membership.objects.filter(
            Q(status=Membership.Status.GRACE)
            | Q(status=Membership.Status.ACTIVE, end_date__lte=today + timedelta(days=within_days))
        )
        .select_related("organisation", "tier")
        .order_by("end_date")[:limit]
    )


def countries_without_focal_point(*, limit: int = 10) -> list[Organisation]:
    """Member countries with no current national focal point (members.affiliations.selectors)."""
    from members.affiliations.selectors import countries_without_focal_point as selector

    return list(selector()[:limit])


def open_invoices_ageing() -> list:
    """Open invoices by age bucket, owed per currency (members.dues.selectors)."""
    from members.dues.selectors import invoices_ageing

    return invoices_ageing()


# --- Enquiries, campaigns, newsletters (the dashboard is the one place that reads every app) -------------


def enquiry_funnel(*, fresh: bool = False) -> list[tuple[str, int]]:
    return _summary("enquiry_funnel", _enquiry_funnel, fresh=fresh)


def _enquiry_funnel() -> list[tuple[str, int]]:
    from members.enquiries.selectors import enquiries_per_stage
    from members.models import Enquiry

    labels = dict(Enquiry.Status.choices)
    return [(labels[status], n) for status, n in enquiries_per_stage().items()]


def enquiry_median_days(*, days: int = 365) -> float | None:
    from members.enquiries.selectors import enquiry_median_days_to_decision

    today = secretariat_today()
    return enquiry_median_days_to_decision(start=today - timedelta(days=days), end=today)


def enquiries_waiting(*, limit: int = 10) -> list:
    from members.models import Enquiry

    return list(
        Enquiry.objects.filter(status__in=Enquiry.OPEN_STATUSES)
        .select_related("assignee")
        .order_by("last_activity_at")[:limit]
    )


def campaign_progress_rows(*, limit: int = 8) -> list[tuple]:
    from campaigns.models import Campaign
    from campaigns.selectors import campaign_progress, campaigns_with_progress

    campaigns = campaigns_with_progress(
        Campaign.objects.exclude(status=Campaign.Status.CANCELLED).order_by("-deadline")
    )[:limit]
    return [(c, campaign_progress(campaign=c)) for c in campaigns]


def targets_overdue(*, limit: int = 10) -> list:
    from campaigns.models import Target

    return list(
        Target.objects.filter(next_action_due__lt=secretariat_today())
        .exclude(stage__in=["committed", "declined"])
        .select_related("campaign", "organisation", "owner")
        .order_by("next_action_due")[:limit]
    )


def subscribers_over_time(*, months: int = 12, today: date | None = None) -> dict:
    """Confirmed subscribers at each month end. One query."""
    from newsletters.models import Subscriber

    ends = month_ends(months=months, today=today)
    aggregates = {
        f"m{i}": Count(
            "id",
            filter=Q(confirmed_at__date__lte=end)
            & (Q(status=Subscriber.Status.CONFIRMED) | Q(status_changed_at__date__gt=end)),
        )
        for i, end in enumerate(ends)
    }
    row = Subscriber.objects.aggregate(**aggregates)
    return {"labels": [e.strftime("%b %Y") for e in ends], "values": [row[f"m{i}"] for i in range(len(ends))]}


def recent_sends(*, limit: int = 5) -> list:
    """The latest newsletters sent: delivered, failed, and how many recipients since bounced,
    complained or unsubscribed. One query."""
    from newsletters.models import Delivery, Newsletter, Subscriber

    return list(
        Newsletter.objects.filter(started_at__isnull=False)
        .annotate(
            delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
            failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
            bounced=Count(
                "deliveries",
                filter=Q(
                    deliveries__subscriber__status__in=[
                        Subscriber.Status.BOUNCED,
                        Subscriber.Status.COMPLAINED,
                    ]
                ),
            ),
            unsubscribed=Count(
                "deliveries", filter=Q(deliveries__subscriber__status=Subscriber.Status.UNSUBSCRIBED)
            ),
        )
        .order_by("-started_at")[:limit]
    )


def dashboard_summaries_refresh() -> list[str]:
    """Recompute every summary under the current version stamp (the scheduled refresh); return their names."""
    members_over_time(months=12, fresh=True)
    commitments_by_kind(fresh=True)
    commitments_by_target_year(fresh=True)
    members_with_net_negative_targets(fresh=True)
    enquiry_funnel(fresh=True)
    return [
        "members_over_time",
        "commitments_by_kind",
        "commitments_by_target_year",
        "members_with_net_negative_targets",
        "enquiry_funnel",
    ]
