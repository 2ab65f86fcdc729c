"""Reads of the members domain."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from members.models import Commitment, Contact, Engagement, Membership, Organisation


def memberships_newest_first(queryset: QuerySet | None = None) -> QuerySet:
    """Memberships ordered so the first of an organisation's is "its membership": the current one if it has
    one, otherwise the one that started last."""
    queryset = queryset if queryset is not None else Membership.objects.all()
    return queryset.annotate(
        _not_current=Case(
            When(status__in=Membership.CURRENT_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("_not_current", "-start_date", "-pk")


def organisation_list() -> QuerySet:
    """Organisations with what a list shows of each, in a fixed number of queries whatever the page size:

    - ``current_membership`` (its current membership, else its latest; kept by the membership services)
      with its tier, prefetched by primary key for the page's rows: a join in the page query would make a
      narrow filter (``kind=country``) hash the whole membership table; filters and ordering use the
      organisation's own indexed ``membership_status``;
    - ``commitments_by_year``: its commitments, prefetched.
    """
    return Organisation.objects.prefetch_related(
        Prefetch("current_membership", queryset=Membership.objects.select_related("tier")),
        Prefetch(
            "commitments",
            queryset=Commitment.objects.order_by("target_year", "pk"),
            to_attr="commitments_by_year",
        ),
    )


def organisation_membership(*, organisation: Organisation) -> Membership | None:
    """The organisation's membership: its current one, else its latest (``Organisation.current_membership``,
    which the membership services keep)."""
    return organisation.current_membership


def contact_list() -> QuerySet:
    return Contact.objects.select_related("organisation")


def membership_list() -> QuerySet:
    return Membership.objects.select_related("organisation", "tier")


def commitment_list() -> QuerySet:
    return Commitment.objects.select_related("organisation")


def engagement_list() -> QuerySet:
    return Engagement.objects.select_related("organisation").prefetch_related("contacts", "staff")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    category: str  # "engagement", "membership" or "commitment"
    kind: str
    title: str
    detail: str = ""
    by: str = ""
    object_id: int | None = None
    changes: list[str] = field(default_factory=list)


_MEMBERSHIP_FIELDS = ("status", "tier_id", "start_date", "end_date", "status_override")
_COMMITMENT_FIELDS = (
    "kind",
    "title",
    "target_year",
    "reduction_percent",
    "baseline_year",
    "status",
    "gases",
    "scope",
    "uses_removals",
    "uses_offsets",
    "is_interim",
    "source_url",
)


def _label(model, name: str, value) -> str:
    if value in (None, ""):
        return "–"
    try:
        f = model._meta.get_field(name.removesuffix("_id"))
    except Exception:  # noqa: BLE001
        return str(value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    return str(value)


def _diff(model, fields, old, new) -> list[str]:
    changes = []
    for name in fields:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            verbose = model._meta.get_field(name.removesuffix("_id")).verbose_name
            changes.append(f"{verbose}: {_label(model, name, a)} → {_label(model, name, b)}")
    return changes


def _revision_entries(rows, *, model, fields, category: str, title, detail, tidy=None) -> list[TimelineEntry]:
    """Timeline entries from history rows ordered by object and time: one per creation, deletion, and
    change of a watched field (a save that changed none of ``fields`` is left out)."""
    entries: list[TimelineEntry] = []
    previous: dict[int, object] = {}
    for row in rows:
        old = previous.get(row.id)
        previous[row.id] = row
        changes: list[str] = []
        if row.history_type == "+" or old is None:
            event = "created"
        elif row.history_type == "-":
            event = "deleted"
        else:
            event = "changed"
            changes = _diff(model, fields, old, row)
            if tidy is not None:
                changes = [tidy(change, old, row) for change in changes]
            if not changes:
                continue
        entries.append(
            TimelineEntry(
                at=row.history_date,
                category=category,
                kind=row.history_type,
                title=title(row, event),
                detail=detail(row),
                by=row.history_user.get_username() if row.history_user else "",
                object_id=row.id,
                changes=changes,
            )
        )
    return entries


def organisation_timeline(*, organisation: Organisation, limit: int | None = None) -> list[TimelineEntry]:
    """Engagements, membership changes, commitment revisions and people starting and leaving (affiliations)
    of one organisation, newest first.

    Runs a fixed number of queries (five) whatever the length of the history.
    """
    entries: list[TimelineEntry] = []
    engagements = organisation.engagements.prefetch_related("contacts")
    for e in engagements:
        people = ", ".join(c.name for c in e.contacts.all())
        entries.append(
            TimelineEntry(
                at=e.occurred_at,
                category="engagement",
                kind=e.kind,
                title=f"{e.get_kind_display()}: {e.summary}",
                detail=people,
                object_id=e.pk,
            )
        )

    membership_rows = list(
        Membership.history.filter(organisation_id=organisation.pk)
        .select_related("history_user", "tier")
        .order_by("id", "history_date", "history_id")
    )
    tiers = {row.tier_id: row.tier.name if row.tier else "?" for row in membership_rows}

    def membership_title(row, event: str) -> str:
        if event == "created":
            return f"Membership created: {tiers[row.tier_id]}, {_label(Membership, 'status', row.status)}"
        return "Membership deleted" if event == "deleted" else "Membership changed"

    def tier_names(change: str, old, row) -> str:
        if not change.startswith("tier"):
            return change
        return change.replace(f"{old.tier_id} →", f"{tiers.get(old.tier_id, old.tier_id)} →").replace(
            f"→ {row.tier_id}", f"→ {tiers[row.tier_id]}"
        )

    entries += _revision_entries(
        membership_rows,
        model=Membership,
        fields=_MEMBERSHIP_FIELDS,
        category="membership",
        title=membership_title,
        detail=lambda row: row.history_change_reason or "",
        tidy=tier_names,
    )

    commitment_rows = list(
        Commitment.history.filter(organisation_id=organisation.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )

    def commitment_title(row, event: str) -> str:
        year = f" by {row.target_year}" if row.target_year else ""
        pct = f" ({row.reduction_percent}% reduction)" if row.reduction_percent is not None else ""
        described = f"{_label(Commitment, 'kind', row.kind)}{year}{pct}"
        verb = {"created": "recorded", "deleted": "removed", "changed": "revised"}[event]
        return f"Commitment {verb}: {described}"

    entries += _revision_entries(
        commitment_rows,
        model=Commitment,
        fields=_COMMITMENT_FIELDS,
        category="commitment",
        title=commitment_title,
        detail=lambda row: _label(Commitment, "status", row.status),
    )

    from members.affiliations.selectors import affiliation_timeline_entries

    entries.extend(affiliation_timeline_entries(organisation=organisation))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit] if limit else entries
