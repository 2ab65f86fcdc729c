"""Reads for the public pages: the member directory, the commitments tracker and the home page figures.

A *public member* is an organisation with a current membership that is active or in its grace period and
that agreed to be listed (``listed_publicly``). Every function here costs a fixed number of queries
whatever the number of members: pages count their rows with a window function in the same query that
fetches them, and the chart figures come from one grouped query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django_countries import countries

from members.climate.integrity import PUBLIC_INTEGRITY_FIELDS, integrity_export
from members.models import Commitment, Membership, Organisation


def _public_membership(organisation_ref: str) -> Exists:
    return Exists(Membership.objects.in_good_standing().filter(organisation_id=OuterRef(organisation_ref)))


def public_members() -> QuerySet[Organisation]:
    """Organisations shown to the public: members in good standing that agreed to be listed."""
    return Organisation.objects.filter(_public_membership("pk"), listed_publicly=True)


def public_commitments() -> QuerySet[Commitment]:
    """The commitments of public members, with their organisation."""
    return (
        Commitment.objects.filter(_public_membership("organisation_id"), organisation__listed_publicly=True)
        .select_related("organisation")
        .order_by("organisation__name", "target_year", "pk")
    )


@dataclass(frozen=True)
class PublicSummary:
    members: int
    countries: int
    commitments: int
    net_negative_commitments: int


def public_summary() -> PublicSummary:
    """The home page's figures, in one query."""
    # Aliases must not be field names: an alias "commitments" would shadow the relation in the filters.
    figures = public_members().aggregate(
        n_members=Count("pk", distinct=True),
        n_countries=Count("pk", filter=Q(kind=Organisation.Kind.COUNTRY), distinct=True),
        n_commitments=Count("commitments", distinct=True),
        n_net_negative=Count(
            "commitments", filter=Q(commitments__kind=Commitment.Kind.NET_NEGATIVE), distinct=True
        ),
    )
    return PublicSummary(
        members=figures["n_members"],
        countries=figures["n_countries"],
        commitments=figures["n_commitments"],
        net_negative_commitments=figures["n_net_negative"],
    )


# --- Pages ----------------------------------------------------------------------------------------------


@dataclass
class CountedPage:
    """One page of rows and the total, fetched together (``COUNT(*) OVER ()``), so one query per page."""

    rows: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)


def counted_page(qs: QuerySet, *, number: int, per_page: int) -> CountedPage:
    """Page ``number`` (from 1) of ``qs``. A page past the end has no rows and a total of 0; callers
    treat that as "no such page" when ``number > 1``."""
    number = max(1, number)
    offset = (number - 1) * per_page
    rows = list(qs.annotate(total_rows=Window(Count("pk")))[offset : offset + per_page])
    total = rows[0].total_rows if rows else 0
    return CountedPage(rows=rows, number=number, per_page=per_page, total=total)


# --- Member directory -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFacets:
    """The filter choices that have members behind them."""

    kinds: list[tuple[str, str]] = field(default_factory=list)
    countries: list[tuple[str, str]] = field(default_factory=list)
    # Bodies that public members sit within (a country for its cities, the EU for its member states).
    parents: list[tuple[str, str]] = field(default_factory=list)


def member_directory_facets() -> DirectoryFacets:
    """Kinds, countries and parent bodies of public members (one query), labelled and sorted by label."""
    rows = public_members().order_by().values_list("kind", "country", "parent_id", "parent__name").distinct()
    kinds, codes, parents = set(), set(), set()
    for kind, country, parent_id, parent_name in rows:
        kinds.add(kind)
        if country:
            codes.add(country)
        if parent_id is not None:
            parents.add((str(parent_id), parent_name))
    kind_labels = dict(Organisation.Kind.choices)
    return DirectoryFacets(
        kinds=[(k, str(kind_labels.get(k, k))) for k in Organisation.Kind.values if k in kinds],
        countries=sorted(((c, str(countries.name(c) or c)) for c in codes), key=lambda item: item[1]),
        parents=sorted(parents, key=lambda item: item[1]),
    )


def member_directory(*, kind: str = "", country: str = "", within: str = "") -> QuerySet[Organisation]:
    """Public members by name, each with ``member_since`` from its current membership.

    The membership join filters and annotates in one step: an organisation has at most one current
    membership (a database constraint), so every member appears once.
    """
    qs = Organisation.objects.filter(
        listed_publicly=True, memberships__status__in=Membership.GOOD_STANDING_STATUSES
    ).annotate(member_since=F("memberships__joined_on"), tier_name=F("memberships__tier__name"))
    if kind:
        qs = qs.filter(kind=kind)
    if country:
        qs = qs.filter(country=country)
    if within:
        qs = qs.filter(parent_id=int(within))
    return qs.select_related("parent").order_by("name", "pk")


# --- Commitments tracker --------------------------------------------------------------------------------


def commitments_tracker(*, kind: str = "", status: str = "") -> QuerySet[Commitment]:
    qs = public_commitments()
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs


@dataclass(frozen=True)
class CommitmentFigures:
    by_kind: list[tuple[str, str, int]]  # (kind, label, count), in the order of Commitment.Kind
    by_target_year: list[tuple[int | None, int]]  # (year or None, count), earliest first, None last
    total: int


def commitment_figures(qs: QuerySet[Commitment]) -> CommitmentFigures:
    """Counts by kind and by target year from one grouped query (at most kinds × years rows)."""
    grouped = qs.order_by().values("kind", "target_year").annotate(n=Count("pk"))
    by_kind: Counter[str] = Counter()
    by_year: Counter[int | None] = Counter()
    for row in grouped:
        by_kind[row["kind"]] += row["n"]
        by_year[row["target_year"]] += row["n"]
    labels = dict(Commitment.Kind.choices)
    return CommitmentFigures(
        by_kind=[(k, str(labels[k]), by_kind[k]) for k in Commitment.Kind.values if by_kind[k]],
        by_target_year=sorted(by_year.items(), key=lambda item: (item[0] is None, item[0] or 0)),
        total=sum(by_kind.values()),
    )


EXPORT_FIELDS = (
    "member",
    "country",
    "country_name",
    "kind",
    "kind_label",
    "title",
    "target_year",
    "reduction_percent",
    "baseline_year",
    "status",
    "status_label",
    "interim",
    "announced_on",
    "source_url",
    *PUBLIC_INTEGRITY_FIELDS,
    "integrity_met",
    "integrity_total",
)


def commitment_export_rows(qs: QuerySet[Commitment]) -> Iterator[dict[str, Any]]:
    """The tracker's rows for download, streamed from the database in chunks (one query)."""
    kind_labels = dict(Commitment.Kind.choices)
    status_labels = dict(Commitment.Status.choices)
    country_names = dict(countries)
    rows = qs.values(
        "organisation__name",
        "organisation__country",
        "kind",
        "title",
        "target_year",
        "reduction_percent",
        "baseline_year",
        "status",
        "is_interim",
        "announced_on",
        "source_url",
        *PUBLIC_INTEGRITY_FIELDS,
    )
    for r in rows.iterator(chunk_size=2000):
        yield {
            "member": r["organisation__name"],
            "country": r["organisation__country"],
            "country_name": str(country_names.get(r["organisation__country"], "")),
            "kind": r["kind"],
            "kind_label": str(kind_labels.get(r["kind"], r["kind"])),
            "title": r["title"],
            "target_year": r["target_year"],
            "reduction_percent": r["reduction_percent"],
            "baseline_year": r["baseline_year"],
            "status": r["status"],
            "status_label": str(status_labels.get(r["status"], r["status"])),
            "interim": r["is_interim"],
            "announced_on": r["announced_on"],
            "source_url": r["source_url"],
            **integrity_export(r),
        }
