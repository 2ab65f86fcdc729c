"""Reads of the newsletters domain: audiences, progress, exports and the progress-update digest."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from coalition import hooks
from members.models import Commitment, Membership
from newsletters.models import BounceEvent, Delivery, Newsletter, Subscriber, Topic

# --- Audience and progress -------------------------------------------------------------------------------


def audience_for(
    *,
    topics: Iterable[Any] | QuerySet,
    organisation_kinds: Sequence[str],
    organisation_countries: Sequence[str],
) -> QuerySet:
    """Ids of the confirmed subscribers of any of ``topics`` (ids or a subquery), narrowed by the linked
    organisation's kinds and countries when given (one row per subscriber)."""
    audience = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED, topics__in=topics)
    if organisation_kinds:
        audience = audience.filter(contact__organisation__kind__in=organisation_kinds)
    if organisation_countries:
        audience = audience.filter(contact__organisation__country__in=organisation_countries)
    return audience.order_by().values("pk").distinct()


def topics_with_confirmed_counts() -> QuerySet:
    """Topics, each annotated with ``n_confirmed``: how many confirmed subscribers chose it."""
    return Topic.objects.annotate(
        n_confirmed=Count("subscribers", filter=Q(subscribers__status=Subscriber.Status.CONFIRMED))
    )


def newsletter_audience(*, newsletter: Newsletter) -> QuerySet:
    """Ids of the confirmed subscribers the newsletter goes to (one row per subscriber)."""
    return audience_for(
        topics=newsletter.topics.values("pk"),
        organisation_kinds=newsletter.organisation_kinds,
        organisation_countries=newsletter.organisation_countries,
    )


def newsletter_audience_count(*, newsletter: Newsletter) -> int:
    return newsletter_audience(newsletter=newsletter).count()


def newsletter_audience_by_language(*, newsletter: Newsletter) -> dict[str, int]:
    """Recipients per version: {"en": 120, "fr": 30} (a language without a version counts under the
    default, as it will be sent). One query."""
    from newsletters.sending.rendering import newsletter_languages, version_language_expression

    languages = newsletter_languages(newsletter)
    rows = (
        Subscriber.objects.filter(pk__in=newsletter_audience(newsletter=newsletter))
        .annotate(version=version_language_expression(languages))
        .values("version")
        .annotate(n=Count("pk"))
        .order_by("version")
    )
    counts = dict.fromkeys(languages, 0)
    counts.update({row["version"]: row["n"] for row in rows})
    return counts


def audience_count_for(
    *, topics: Iterable[Any], organisation_kinds: Sequence[str], organisation_countries: Sequence[str]
) -> int:
    """How many confirmed subscribers a newsletter with these (perhaps unsaved) choices would go to."""
    return audience_for(
        topics=list(topics),
        organisation_kinds=organisation_kinds,
        organisation_countries=organisation_countries,
    ).count()


DELIVERY_COUNTS = {
    "total": Count("deliveries"),
    "n_queued": Count(
        "deliveries", filter=Q(deliveries__status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING])
    ),
    "n_sent": Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
    "n_failed": Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
    "n_skipped": Count(
        "deliveries", filter=Q(deliveries__status__in=[Delivery.Status.SKIPPED, Delivery.Status.CANCELLED])
    ),
}


def newsletters_with_progress() -> QuerySet:
    """Newsletters with their delivery counts, topics and authors: one query for any number of rows
    (plus one for topics and one for the versions in other languages)."""
    return (
        Newsletter.objects.select_related("created_by", "sent_by")
        .prefetch_related("topics", "translations")
        .annotate(**DELIVERY_COUNTS)
    )


@dataclass(frozen=True)
class Progress:
    status: str
    total: int
    queued: int
    sent: int
    failed: int
    skipped: int
    percent: float
    eta_seconds: int | None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def progress_from_counts(
    *, newsletter: Newsletter, total: int, queued: int, sent: int, failed: int, skipped: int
) -> Progress:
    done = sent + failed + skipped
    percent = round(100.0 * done / total, 1) if total else (100.0 if newsletter.status == "sent" else 0.0)
    eta = None
    if newsletter.status == Newsletter.Status.SENDING and queued:
        elapsed = (timezone.now() - newsletter.started_at).total_seconds() if newsletter.started_at else 0
        observed = done / elapsed if elapsed > 1 and done else 0.0
        limit = settings.NEWSLETTER_RATE_LIMIT or 0.0
        rate = min(r for r in (observed, limit) if r > 0) if (observed > 0 or limit > 0) else 0.0
        eta = int(queued / rate) if rate else None
    return Progress(
        status=newsletter.status,
        total=total,
        queued=queued,
        sent=sent,
        failed=failed,
        skipped=skipped,
        percent=percent,
        eta_seconds=eta,
    )


def newsletter_progress(*, newsletter: Newsletter) -> Progress:
    """Progress from annotated counts when the row has them (lists), else one aggregate query."""
    if hasattr(newsletter, "n_sent"):
        counts = {
            "total": newsletter.total,
            "queued": newsletter.n_queued,
            "sent": newsletter.n_sent,
            "failed": newsletter.n_failed,
            "skipped": newsletter.n_skipped,
        }
    else:
        row = Newsletter.objects.filter(pk=newsletter.pk).aggregate(**DELIVERY_COUNTS)
        counts = {
            "total": row["total"],
            "queued": row["n_queued"],
            "sent": row["n_sent"],
            "failed": row["n_failed"],
            "skipped": row["n_skipped"],
        }
    return progress_from_counts(newsletter=newsletter, **counts)


@dataclass(frozen=True)
class Waiting:
    """Queued rows of a newsletter that wait for a retry: the mail server refused our session (login,
    sender, a dropped connection) or refused these recipients for now. ``reason`` is the server's answer
    most of them got (the latest of equally common ones), word for word: untrusted text."""

    count: int
    next_attempt_at: datetime
    reason: str
    reason_count: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


# Only these have rows that a batch will try again; elsewhere nothing is waiting to go out.
WAITING_STATUSES = (Newsletter.Status.SENDING, Newsletter.Status.PAUSED)


def _waiting_rows(*, newsletter: Newsletter) -> QuerySet:
    """Queued rows whose next try is later than now (a row due now, or never refused, is not waiting)."""
    return Delivery.objects.filter(
        newsletter=newsletter, status=Delivery.Status.QUEUED, next_attempt_at__gt=timezone.now()
    )


def newsletter_waiting(*, newsletter: Newsletter) -> Waiting | None:
    """Whether a sending (or paused) newsletter has queued rows waiting for a retry: how many, when the
    first is due and what the server said. None when none waits. At most two aggregate queries (none for
    a newsletter in another status)."""
    if newsletter.status not in WAITING_STATUSES:
        return None
    rows = _waiting_rows(newsletter=newsletter)
    totals = rows.aggregate(count=Count("pk"), next_attempt_at=Min("next_attempt_at"))
    if not totals["count"]:
        return None
    common = (
        rows.exclude(last_error="")
        .values("last_error")
        .annotate(n=Count("pk"), latest=Max("next_attempt_at"))
        .order_by("-n", "-latest")
        .first()
    )
    return Waiting(
        count=totals["count"],
        next_attempt_at=totals["next_attempt_at"],
        reason=common["last_error"] if common else "",
        reason_count=common["n"] if common else 0,
    )


def newsletter_send_summary(*, newsletter: Newsletter, failed_limit: int = 500) -> dict[str, Any]:
    """How a send went: the progress counts, the rows waiting for a retry after a refusal (how many,
    when the next try is, what the server said) and the failed rows with the reason the server gave
    (three or four queries)."""
    progress = newsletter_progress(newsletter=newsletter)
    failed = (
        Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.FAILED)
        .select_related("subscriber")
        .order_by("id")[:failed_limit]
    )
    waiting = newsletter_waiting(newsletter=newsletter)
    if newsletter.status in WAITING_STATUSES:
        waiting_for_retry = waiting.count if waiting else 0
    else:
        waiting_for_retry = _waiting_rows(newsletter=newsletter).count()
    return {
        **progress.as_dict(),
        "waiting_for_retry": waiting_for_retry,
        "waiting": waiting.as_dict() if waiting else None,
        "failed_deliveries": [
            {
                "id": d.pk,
                "email": d.subscriber.email if d.subscriber else None,
                "attempts": d.attempts,
                "reason": d.last_error,
            }
            for d in failed
        ],
    }


@dataclass(frozen=True)
class Outcome:
    """What became of a newsletter once sent: delivered and failed messages, and recipients who bounced
    or unsubscribed since it started going out."""

    delivered: int
    failed: int
    bounced: int
    unsubscribed: int

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def newsletter_outcome(*, newsletter: Newsletter) -> Outcome:
    """Delivered / failed from the delivery rows; bounced (a bounce event reported after the send started)
    and unsubscribed (left after it started) among its recipients. Three queries."""
    counts = Delivery.objects.filter(newsletter=newsletter).aggregate(
        delivered=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
    )
    since = newsletter.started_at or newsletter.created_at
    recipients = Delivery.objects.filter(newsletter=newsletter, subscriber__isnull=False).values(
        "subscriber_id"
    )
    bounced = (
        BounceEvent.objects.filter(
            subscriber_id__in=recipients,
            occurred_at__gte=since,
            kind__in=[BounceEvent.Kind.HARD_BOUNCE, BounceEvent.Kind.SOFT_BOUNCE],
        )
        .values("subscriber_id")
        .distinct()
        .count()
    )
    unsubscribed = Subscriber.objects.filter(
        pk__in=recipients, status=Subscriber.Status.UNSUBSCRIBED, status_changed_at__gte=since
    ).count()
    return Outcome(
        delivered=counts["delivered"], failed=counts["failed"], bounced=bounced, unsubscribed=unsubscribed
    )


# --- Privacy ---------------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def subscriber_export(*, subscriber: Subscriber) -> dict[str, Any]:
    """Everything held about one subscriber, for a data access request."""
    consents = subscriber.consents.select_related("wording").prefetch_related("requested_topics")
    deliveries = subscriber.deliveries.select_related("newsletter").order_by("id")
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "status": subscriber.status,
        "subscribed_since": _iso(subscriber.created_at),
        "confirmed_at": _iso(subscriber.confirmed_at),
        "status_changed_at": _iso(subscriber.status_changed_at),
        "linked_contact": (
            {"name": subscriber.contact.name, "organisation": str(subscriber.contact.organisation)}
            if subscriber.contact_id
            else None
        ),
        "topics": [t.name for t in subscriber.topics.all()],
        "consents": [
            {
                "at": _iso(c.created_at),
                "method": c.method,
                "wording_version": c.wording.version,
                "wording": c.wording_text or c.wording.text,
                "language": c.language,
                "ip_address": c.ip_address,
                "requested_name": c.requested_name,
                "requested_topics": [t.name for t in c.requested_topics.all()],
                "confirmed_at": _iso(c.confirmed_at),
            }
            for c in consents
        ],
        "deliveries": [
            {
                "newsletter": d.newsletter.subject,
                "status": d.status,
                "sent_at": _iso(d.sent_at),
            }
            for d in deliveries
        ],
        "bounces_and_complaints": [
            {"kind": b.kind, "provider": b.provider, "at": _iso(b.occurred_at), "description": b.description}
            for b in subscriber.bounce_events.all()
        ],
    }


# --- Progress update digest ------------------------------------------------------------------------------


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, datetime.min.time(), tzinfo=tz),
        datetime.combine(end, datetime.min.time(), tzinfo=tz),
    )


def _strength(status: str) -> int:
    try:
        return Commitment.STATUS_ORDER.index(status)
    except ValueError:
        return -1


def progress_items(*, start: date, end: date) -> list[dict[str, Any]]:
    """What happened in [start, end): new members, new or strengthened commitments, campaign milestones.

    Each item is {"section", "text", "url"?}; campaigns contribute through the ``progress_items`` hook.
    """
    since, until = _bounds(start, end)
    items: list[dict[str, Any]] = []
    for membership in (
        Membership.objects.filter(joined_on__gte=start, joined_on__lt=end)
        .select_related("organisation", "tier")
        .order_by("joined_on", "organisation__name")
    ):
        org = membership.organisation
        country = f" ({org.country.name})" if org.country and org.kind != "country" else ""
        items.append(
            {"section": "members", "text": f"{org.name}{country} joined as {membership.tier.name.lower()}."}
        )

    new_ids = set()
    for c in (
        Commitment.objects.filter(created_at__gte=since, created_at__lt=until)
        .select_related("organisation")
        .order_by("created_at")
    ):
        new_ids.add(c.pk)
        items.append(
            {"section": "commitments", "text": f"{c.organisation.name}: {_describe(c)}.", "url": c.source_url}
        )

    # Strengthened: a revision in the period raised the status, or brought the target year forward.
    revisions = (
        Commitment.history.filter(history_date__gte=since, history_date__lt=until, history_type="~")
        .exclude(id__in=new_ids)
        .order_by("id", "history_date")
    )
    changed_ids = {r.id for r in revisions}
    if changed_ids:
        before: dict[int, Any] = {}
        for row in Commitment.history.filter(id__in=changed_ids, history_date__lt=since).order_by(
            "id", "history_date"
        ):
            before[row.id] = row
        latest: dict[int, Any] = {}
        for row in revisions:
            latest[row.id] = row
        for cid, now_row in latest.items():
            old = before.get(cid)
            if old is None:
                continue
            stronger_status = _strength(now_row.status) > _strength(old.status)
            earlier_year = bool(
                old.target_year and now_row.target_year and now_row.target_year < old.target_year
            )
            if not (stronger_status or earlier_year):
                continue
            commitment = Commitment.objects.select_related("organisation").filter(pk=cid).first()
            if commitment is None:
                continue
            what = []
            if stronger_status:
                what.append(
                    f"now {dict(Commitment.Status.choices)[now_row.status].lower()} "
                    f"(was {dict(Commitment.Status.choices)[old.status].lower()})"
                )
            if earlier_year:
                what.append(f"target brought forward from {old.target_year} to {now_row.target_year}")
            items.append(
                {
                    "section": "commitments",
                    "text": f"{commitment.organisation.name} strengthened its "
                    f"{commitment.get_kind_display().lower()} target: {', '.join(what)}.",
                    "url": commitment.source_url,
                }
            )
    items.extend(hooks.collect("progress_items", start=start, end=end))
    return items


def _describe(c: Commitment) -> str:
    parts = [c.title or c.get_kind_display().lower()]
    if c.reduction_percent is not None and not c.title:
        parts.append(f"{c.reduction_percent:g} %")
    if c.target_year and not c.title:
        parts.append(f"by {c.target_year}")
    parts.append(f"({c.get_status_display().lower()})")
    return "new commitment: " + " ".join(parts)


SECTION_TITLES = {
    "members": "New members",
    "commitments": "New and strengthened commitments",
    "campaigns": "Campaign milestones",
}


def progress_markdown(*, start: date, end: date, items: list[dict[str, Any]]) -> str:
    last_day = end - timedelta(days=1)
    lines = [
        "Hello {{ name }},",
        "",
        f"Here is what the coalition achieved between {start:%-d %B} and {last_day:%-d %B %Y}.",
        "",
    ]
    sections: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        sections.setdefault(item.get("section") or "other", []).append(item)
    if not sections:
        lines.append("_Nothing to report for this period yet: add the highlights before sending._")
    for key in [*SECTION_TITLES, *[s for s in sections if s not in SECTION_TITLES]]:
        if key not in sections:
            continue
        lines += [f"## {SECTION_TITLES.get(key, key.capitalize())}", ""]
        for item in sections[key]:
            text = item["text"]
            lines.append(f"- [{text}]({item['url']})" if item.get("url") else f"- {text}")
        lines.append("")
    lines.append("Thank you for following our work.")
    return "\n".join(lines) + "\n"


def progress_preheader(*, items: list[dict[str, Any]]) -> str:
    counts = {}
    for item in items:
        counts[item.get("section")] = counts.get(item.get("section"), 0) + 1
    parts = []
    if counts.get("members"):
        parts.append(f"{counts['members']} new member{'s' if counts['members'] != 1 else ''}")
    if counts.get("commitments"):
        n = counts["commitments"]
        parts.append(f"{n} commitment{'s' if n != 1 else ''}")
    if counts.get("campaigns"):
        n = counts["campaigns"]
        parts.append(f"{n} campaign milestone{'s' if n != 1 else ''}")
    return ", ".join(parts)[:200] or "What the coalition did this month."
