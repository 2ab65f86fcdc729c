"""Reads for the public pages: the member directory, the commitments tracker and the home page figures.

A *public member* is an organisation with a current membership that is active or in its grace period and
that agreed to be listed (``listed_publicly``). The organisation's own ``membership_status`` (its current
membership's status, else its latest's, kept by the membership services) says so from one indexed column:
a good-standing status can only be a current membership's. Every function here costs a fixed number of
queries whatever the number of members: a page's total comes from the figures or facets query the page
runs anyway (grouped counts), never from a window over every matching row.

The views cache what these return per language and per ``content_version(PUBLIC_CONTENT)``, which the
members services bump on every write that changes a public page (``services.records_changed``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django_countries import countries

from members.climate.integrity import PUBLIC_INTEGRITY_FIELDS, integrity_export
from members.models import Commitment, Membership, Organisation

# How long a cached public page or figure may live at most: the bound on staleness for a write that does
# not go through the services (a bulk import), as every service write bumps the version at once.
PUBLIC_CACHE_SECONDS = 600


def public_members() -> QuerySet[Organisation]:
    """Organisations shown to the public: members in good standing that agreed to be listed."""
    return Organisation.objects.filter(
        listed_publicly=True, membership_status__in=Membership.GOOD_STANDING_STATUSES
    )


def public_commitments() -> QuerySet[Commitment]:
    """The commitments of public members, with their organisation."""
    return (
        Commitment.objects.filter(
            organisation__listed_publicly=True,
            organisation__membership_status__in=Membership.GOOD_STANDING_STATUSES,
        )
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
    """The home page's figures, in one query (not cached: the home page is the site's live sign of health,
    and its one aggregate reads the organisation's indexed membership status)."""
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
    """One page of rows and the total of the list it belongs to."""

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


def counted_page(qs: QuerySet, *, number: int, per_page: int, total: int | None = None) -> CountedPage:
    """Page ``number`` (from 1) of ``qs``. A page past the end has no rows; callers treat that as "no such
    page" when ``number > 1``.

    ``total`` is the list's length when the caller already has it (the tracker's figures, the directory's
    facets count it in their grouped query); otherwise one ``COUNT`` query finds it. Either way PostgreSQL
    reads only the page's rows for the page: a ``COUNT(*) OVER ()`` window would build every matching row
    before the LIMIT.
    """
    number = max(1, number)
    offset = (number - 1) * per_page
    if total is None:
        total = qs.order_by().count()
    rows = list(qs[offset : offset + per_page]) if offset < total else []
    return CountedPage(rows=rows, number=number, per_page=per_page, total=total if rows or number == 1 else 0)


# --- Member directory -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFacets:
    """The filter choices that have members behind them, and how many members each combination has."""

    kinds: list[tuple[str, str]] = field(default_factory=list)
    countries: list[tuple[str, str]] = field(default_factory=list)
    # Bodies that public members sit within (a country for its cities, the EU for its member states).
    parents: list[tuple[str, str]] = field(default_factory=list)
    # (kind, country, parent id as text or "", members): the directory's totals, whatever the filters.
    groups: list[tuple[str, str, str, int]] = field(default_factory=list)

    def total(self, *, kind: str = "", country: str = "", within: str = "") -> int:
        """Members matching the directory's filters, summed from the groups (no query)."""
        return sum(
            n
            for k, c, p, n in self.groups
            if (not kind or k == kind) and (not country or c == country) and (not within or p == str(within))
        )


def member_directory_facets() -> DirectoryFacets:
    """Kinds, countries and parent bodies of public members with their counts (one grouped query),
    labelled and sorted by label."""
    rows = (
        public_members()
        .order_by()
        .values_list("kind", "country", "parent_id", "parent__name")
        .annotate(n=Count("pk"))
    )
    kinds, codes, parents, groups = set(), set(), set(), []
    for kind, country, parent_id, parent_name, n in rows:
        kinds.add(kind)
        if country:
            codes.add(country)
        if parent_id is not None:
            parents.add((str(parent_id), parent_name))
        groups.append((kind, country or "", "" if parent_id is None else str(parent_id), n))
    kind_labels = dict(Organisation.Kind.choices)
    return DirectoryFacets(
        kinds=[(k, str(kind_labels.get(k, k))) for k in Organisation.Kind.values if k in kinds],
        countries=sorted(((c, str(countries.name(c) or c)) for c in codes), key=lambda item: item[1]),
        parents=sorted(parents, key=lambda item: item[1]),
        groups=groups,
    )


def member_directory(*, kind: str = "", country: str = "", within: str = "") -> QuerySet[Organisation]:
    """Public members by name, each with ``member_since`` and ``tier_name`` from its current membership
    (``Organisation.current_membership``, a to-one join)."""
    qs = public_members().annotate(
        member_since=F("current_membership__joined_on"), tier_name=F("current_membership__tier__name")
    )
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
