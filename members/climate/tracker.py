"""The Net Zero Tracker download (zerotracker.net) in: one row per country, region, city or company, turned
into an end commitment and, when the row has one, an interim commitment.

The tracker's labels are mapped to ours through the tables below (``KINDS``, ``STATUSES``, …), which the
README reproduces. A label not in a table is a row error naming the column and the value; the row is skipped,
the rest of the file goes on.

Organisations are matched by ISO code (countries), else by ISIN, else by name and country. A tracker target
is matched to a recorded commitment by the tracker's key (``source_identifier``), else by interim or final
and the target year (and kind). Where they agree, the commitment is linked to the tracker and its integrity
indicators refreshed; where they disagree on kind, year, status or percent, nothing is overwritten: a
``Discrepancy`` is raised for staff (``members.climate.discrepancies``). Running the same file twice
creates and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members import cells, services
from members.climate import csvsniff, discrepancies, mapping
from members.climate.countries import UN_MEMBER_STATES, country_code
from members.imports.services import RowError, row_errors  # one shape of row error for every import
from members.matching import normalise_name
from members.models import Commitment, Organisation

K = Commitment.Kind
S = Commitment.Status
U = Commitment.Usage
P = Commitment.Plan
R = Commitment.Reporting

SOURCE = "tracker"  # the column mappings' source name
CHUNK_ROWS = 50  # rows per transaction of a real import
SHEET = "Current Snapshot"
REASON = "Net Zero Tracker"


class Create:
    """What ``import_tracker --create`` may add when no organisation matches a row."""

    NONE = "none"
    COUNTRIES = "countries"  # a country record for a UN member state
    ALL = "all"  # and regions, cities and companies

    CHOICES = (NONE, COUNTRIES, ALL)


class Mode:
    IMPORT = "import"  # create commitments, link and refresh, raise discrepancies
    DRY_RUN = "dry_run"  # the same, rolled back: a preview
    DISCREPANCIES = "discrepancies"  # write nothing but discrepancies (the weekly refresh)


#: The columns read as numbers (percentages): each is read in the layout its cells show (``number_layout``).
PERCENT_COLUMNS = ("end_target_percentage_reduction", "interim_target_percentage_reduction")

#: The published columns (normalised). Unknown columns are ignored; ``REQUIRED`` must be present.
# fmt: off
COLUMNS = (
    "last_updated", "id_code", "isin_id", "name", "country", "geographic_region", "entity_type",
    "private_company", "end_target", "end_target_percentage_reduction", "end_target_baseline_year",
    "end_target_year", "status_of_end_target", "date_of_last_status_update", "end_target_text",
    "end_target_source_url", "interim_target", "interim_target_year", "interim_target_percentage_reduction",
    "interim_target_baseline_year", "interim_target_text", "targets_notes", "ghgs_covered",
    "scope_1_coverage", "scope_2_coverage", "scope_3_coverage", "coverage_notes", "published_plan",
    "published_plan_measures", "reporting_mechanism", "international_equity_just_transition",
    "accountability_delivery", "governance_notes",
    "carbon_credits", "carbon_credits_conditions", "max_emission_offset", "carbon_credits_conditions_other",
    "separate_removal_target", "planning_removals", "removals_and_credits_notes", "territorial_emissions",
    "consumption_emissions", "international_aviation", "international_shipping", "historical_emissions",
    "race_to_zero_member", "gdp", "gdp_year", "population", "population_year", "company_annual_revenue",
    "industry", "employees", "ghg_emissions", "ghg_emissions_year", "ghg_emissions_source",
)
# fmt: on
REQUIRED = ("name", "country", "entity_type", "end_target")

# --- The mapping table (README: "Net Zero Tracker import") ------------------------------------------------

NO_TARGET = frozenset({"", "no target", "none", "no", "n/a", "-"})

KINDS: dict[str, str] = {
    "net zero": K.NET_ZERO,
    "net-zero": K.NET_ZERO,
    "zero carbon": K.NET_ZERO,
    "zero emissions": K.NET_ZERO,
    "carbon neutral(ity)": K.CARBON_NEUTRAL,
    "carbon neutral": K.CARBON_NEUTRAL,
    "carbon neutrality": K.CARBON_NEUTRAL,
    "climate neutral(ity)": K.CLIMATE_NEUTRAL,
    "climate neutral": K.CLIMATE_NEUTRAL,
    "climate neutrality": K.CLIMATE_NEUTRAL,
    "ghg neutral(ity)": K.GHG_NEUTRAL,
    "ghg neutral": K.GHG_NEUTRAL,
    "ghg neutrality": K.GHG_NEUTRAL,
    "emissions reduction target": K.EMISSIONS_REDUCTION,
    "emissions reduction": K.EMISSIONS_REDUCTION,
    "absolute emissions target": K.EMISSIONS_REDUCTION,
    "reduction v. bau": K.EMISSIONS_REDUCTION,
    "reduction vs. bau": K.EMISSIONS_REDUCTION,
    "emissions intensity target": K.INTENSITY_REDUCTION,
    "intensity target": K.INTENSITY_REDUCTION,
    "carbon negative": K.NET_NEGATIVE,
    "climate positive": K.NET_NEGATIVE,
    "net negative": K.NET_NEGATIVE,
    "removal target": K.REMOVAL_TARGET,
    "other": K.OTHER,
}

STATUSES: dict[str, str] = {
    "achieved (externally validated)": S.ACHIEVED_VERIFIED,
    "achieved (self-declared)": S.ACHIEVED_SELF_DECLARED,
    "achieved (self declared)": S.ACHIEVED_SELF_DECLARED,
    "achieved": S.ACHIEVED_SELF_DECLARED,
    "in law": S.LAW,
    "in ndc": S.NDC,
    "in nationally determined contribution": S.NDC,
    "in policy document": S.POLICY_DOCUMENT,
    "in corporate strategy": S.POLICY_DOCUMENT,
    "declaration / pledge": S.PLEDGE,
    "declaration/pledge": S.PLEDGE,
    "pledge": S.PLEDGE,
    "proposed / in discussion": S.PROPOSED,
    "proposed/in discussion": S.PROPOSED,
    "proposed": S.PROPOSED,
}

ENTITY_KINDS: dict[str, str] = {
    "country": Organisation.Kind.COUNTRY,
    "region": Organisation.Kind.REGION,
    "state": Organisation.Kind.REGION,
    "city": Organisation.Kind.CITY,
    "company": Organisation.Kind.COMPANY,
}

UNSPECIFIED = frozenset({"", "not specified", "unknown", "unclear", "n/a", "-"})
#: A coverage the tracker calls partial (Scope 3, international aviation…) is neither yes nor no.
PARTIAL = frozenset({"partial", "partially", "partly", "some"})

YES_NO: dict[str, str] = {"yes": U.YES, "no": U.NO, "true": U.YES, "false": U.NO}

PLANS: dict[str, str] = {
    "yes": P.YES,
    "partial": P.PARTIAL,
    "partial plan": P.PARTIAL,
    "in development": P.PARTIAL,
    "no": P.NO,
}

REPORTING: dict[str, str] = {
    "annual reporting": R.ANNUAL,
    "annual": R.ANNUAL,
    "yes": R.ANNUAL,
    "less than annual reporting": R.LESS_FREQUENT,
    "less than annual": R.LESS_FREQUENT,
    "less frequent": R.LESS_FREQUENT,
    "less frequently than annually": R.LESS_FREQUENT,
    "less than annually": R.LESS_FREQUENT,
    "no reporting mechanism": R.NONE,
    "no reporting": R.NONE,
    "no": R.NONE,
}

GASES: dict[str, str] = {
    "co2 only": Commitment.Gases.CO2,
    "co2": Commitment.Gases.CO2,
    "carbon dioxide only": Commitment.Gases.CO2,
    "all ghgs": Commitment.Gases.ALL_GHG,
    "all ghg": Commitment.Gases.ALL_GHG,
    "all greenhouse gases": Commitment.Gases.ALL_GHG,
    "some ghgs": Commitment.Gases.SOME_GHG,
    "multiple ghgs": Commitment.Gases.SOME_GHG,
}

# Fields the tracker owns outright: refreshed on a linked commitment. The target itself (``COMPARED``) is
# never overwritten.
COMPARED = ("kind", "target_year", "status", "reduction_percent")
REFRESHED = (
    "gases", "scope", "uses_removals", "uses_offsets", *Commitment.INTEGRITY_FIELDS,
)  # fmt: skip


# --- Reading cells ---------------------------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _label(value: Any) -> str:
    return _text(value).casefold()


def _lookup(row: dict, column: str, table: dict[str, str], *, noun: str, blank: str | None = None) -> str:
    raw = _text(row.get(column))
    key = raw.casefold()
    if blank is not None and key in UNSPECIFIED:
        return blank
    try:
        return table[key]
    except KeyError:
        raise CellError(
            column,
            _("“%(value)s” is not a %(noun)s the tracker import knows.") % {"value": raw, "noun": noun},
        ) from None


def _usage(row: dict, column: str) -> str:
    raw = _text(row.get(column))
    key = raw.casefold()
    if key in UNSPECIFIED or key in PARTIAL:
        return U.UNKNOWN
    if key in YES_NO:
        return YES_NO[key]
    # "Yes, with conditions", "No – excluded": the answer comes first.
    first = re.split(r"[\s,;:(–-]+", key, maxsplit=1)[0]
    if first in YES_NO:
        return YES_NO[first]
    raise CellError(column, _("“%(value)s” is not yes, no or not specified.") % {"value": raw})


def _year(row: dict, column: str) -> int | None:
    if _label(row.get(column)) in UNSPECIFIED:
        return None
    try:
        year = cells.year_of(row.get(column))
    except ValueError as error:
        raise CellError(column, str(error)) from None
    if year is not None and not 1900 <= year <= 2100:
        raise CellError(
            column, _("“%(value)s” is not a year between 1900 and 2100.") % {"value": _text(row.get(column))}
        )
    return year


def _percent(row: dict, column: str, *, layouts: Mapping[str, str]) -> Decimal | None:
    """A percentage, in its column's layout (``layouts``: ``cells.number_layout``)."""
    raw = _text(row.get(column))
    if raw.casefold() in UNSPECIFIED:
        return None
    try:
        value = cells.decimal_of(row.get(column), percent=True, layout=layouts.get(column, ""))
    except cells.LayoutError as error:
        raise CellError(column, str(error)) from None
    except ValueError:
        raise CellError(column, _("“%(value)s” is not a percentage.") % {"value": raw}) from None
    if value is None:
        return None
    if not 0 <= value <= 200:
        raise CellError(
            column, _("“%(value)s” is not a reduction between 0 and 200 percent.") % {"value": raw}
        )
    return value.quantize(Decimal("0.1"))


def _date(row: dict, column: str, *, month_first: bool = False) -> date | None:
    try:
        return cells.date_of(row.get(column), month_first=month_first)
    except ValueError as error:
        raise CellError(column, str(error)) from None


def _url(row: dict, column: str) -> str:
    """The cell's first web address: a cell may list several ("https://a…; https://b…")."""
    for word in re.split(r"[\s;,|]+", _text(row.get(column))):
        if word.lower().startswith(("http://", "https://")) and len(word) <= 500:
            return word
    return ""


def _scope(row: dict) -> str:
    covered = [_usage(row, f"scope_{n}_coverage") for n in (1, 2, 3)]
    if covered == [U.YES, U.YES, U.YES]:
        return Commitment.Scope.SCOPE_1_2_3
    if covered[:2] == [U.YES, U.YES]:
        return Commitment.Scope.SCOPE_1_2
    return Commitment.Scope.UNKNOWN


# --- A row -----------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One commitment a row stands for: its fields, and the tracker's key for it."""

    source_identifier: str
    fields: dict[str, Any]
    #: Fields whose cell was not read (``notes``): their fallback is recorded on a new commitment, but
    #: neither compared with nor written over a recorded one.
    unread: frozenset[str] = frozenset()

    @property
    def is_interim(self) -> bool:
        return bool(self.fields["is_interim"])


@dataclass
class TrackerRow:
    number: int  # as a person sees it in the file
    name: str
    country: str  # alpha-2
    kind: str  # an Organisation.Kind
    isin: str
    id_code: str
    targets: list[Target] = field(default_factory=list)
    #: [(column, message)]: cells read as "not specified" because their value is not one the import knows.
    notes: list[tuple[str, str]] = field(default_factory=list)


def _credit_conditions(row: dict) -> str:
    """The conditions put on carbon credits, as text; "No" or "Not specified" is no condition."""
    texts = (_text(row.get("carbon_credits_conditions")), _text(row.get("carbon_credits_conditions_other")))
    return "; ".join(t for t in texts if t and t.casefold() not in UNSPECIFIED | {"no", "none"})


#: Integrity indicators read from a choice column: field, (column, table, what the values are, not specified).
LOOKED_UP = {
    "gases": ("ghgs_covered", GASES, gettext_lazy("gas coverage"), Commitment.Gases.UNKNOWN),
    "published_plan": ("published_plan", PLANS, gettext_lazy("published plan answer"), P.UNKNOWN),
    "reporting_mechanism": ("reporting_mechanism", REPORTING, gettext_lazy("reporting mechanism"), R.UNKNOWN),
    "accountability": ("accountability_delivery", PLANS, gettext_lazy("accountability answer"), P.UNKNOWN),
}
#: Integrity indicators read from a yes/no column: field, column.
ANSWERED = {
    "uses_removals": "planning_removals",
    "uses_offsets": "carbon_credits",
    "separate_removal_target": "separate_removal_target",
    "covers_international_aviation": "international_aviation",
    "covers_international_shipping": "international_shipping",
    "covers_consumption_emissions": "consumption_emissions",
}


def _integrity(row: dict, noted, *, month_first: bool = False) -> dict[str, Any]:
    """The integrity indicators of a row. They describe a target, they are not the target: a value the
    import does not know is read as "not specified" and noted, rather than refusing the row and losing its
    targets. ``noted(field, fallback, func, …)`` gives ``func``'s value, or ``fallback`` and a note (and
    the field is then not written over a recorded commitment's)."""
    values = {
        name: noted(name, unknown, _lookup, row, column, table, noun=noun, blank=unknown)
        for name, (column, table, noun, unknown) in LOOKED_UP.items()
    }
    values |= {name: noted(name, U.UNKNOWN, _usage, row, column) for name, column in ANSWERED.items()}
    values["scope"] = noted("scope", Commitment.Scope.UNKNOWN, _scope, row)
    values["carbon_credit_conditions"] = _credit_conditions(row)
    values["status_date"] = noted(
        "status_date", None, _date, row, "date_of_last_status_update", month_first=month_first
    )
    return values


def row_parse(
    row: dict[str, Any],
    *,
    number: int,
    month_first: bool = False,
    number_layouts: Mapping[str, str] | None = None,
) -> tuple[TrackerRow | None, list[tuple[str, str]]]:
    """A file row (normalised headers) as a ``TrackerRow``, or None and its errors [(column, message)].
    ``month_first``: the file writes its dates month first (``cells.month_first``); ``number_layouts``:
    how it writes the numbers of each ``PERCENT_COLUMNS`` column (``cells.number_layout``)."""
    layouts = number_layouts or {}
    errors: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []

    def attempt(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CellError as error:
            errors.append((error.column, error.message))
            return None

    unread: set[str] = set()

    def noted(name, fallback, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CellError as error:
            notes.append((error.column, _("%(problem)s Read as not specified.") % {"problem": error.message}))
            unread.add(name)
            return fallback

    name = _text(row.get("name"))[:200]
    if not name:
        errors.append(("name", _("The row has no name.")))
    raw_country = _text(row.get("country"))
    country = country_code(raw_country)
    if not country:
        errors.append(
            (
                "country",
                _("“%(value)s” is not an ISO 3166 country code or country name.") % {"value": raw_country},
            )
        )
    kind = attempt(_lookup, row, "entity_type", ENTITY_KINDS, noun=_("kind of entity"))
    integrity = _integrity(row, noted, month_first=month_first)
    # A file without the tracker's ID_Code (one made by hand) keys a row by its country and name key, so
    # "Acme Energy plc" and "ACME Energy PLC" in a later file are the same row.
    id_code = _text(row.get("id_code"))[:80] or f"{raw_country.upper()}:{normalise_name(name)}"[:80]
    targets: list[Target] = []
    end_label = _label(row.get("end_target"))
    if end_label not in NO_TARGET:
        end_kind = attempt(_lookup, row, "end_target", KINDS, noun=_("target kind"))
        if _label(row.get("status_of_end_target")) in UNSPECIFIED:
            # The tracker has listed targets without a status: recorded as the weakest one a target
            # stated in public has, which the next file's real status replaces (as a discrepancy).
            status = S.PLEDGE
            unread.add("status")
            notes.append(
                (
                    "status_of_end_target",
                    _("No status given: recorded as “%(status)s”.") % {"status": S.PLEDGE.label},
                )
            )
        else:
            status = attempt(_lookup, row, "status_of_end_target", STATUSES, noun=_("target status"))
        fields = {
            "kind": end_kind,
            "title": _text(row.get("end_target_text"))[:200],
            "target_year": attempt(_year, row, "end_target_year"),
            "reduction_percent": attempt(_percent, row, "end_target_percentage_reduction", layouts=layouts),
            "baseline_year": attempt(_year, row, "end_target_baseline_year"),
            "status": status,
            "is_interim": False,
            "source_url": _url(row, "end_target_source_url"),
            "source_identifier": f"{id_code}:end",
            **integrity,
        }
        targets.append(Target(f"{id_code}:end", fields, frozenset(unread)))
        interim_label = _label(row.get("interim_target"))
        if interim_label not in NO_TARGET:
            # The tracker records one status per row, the end target's; the interim target shares it.
            interim_kind = K.EMISSIONS_REDUCTION if interim_label == "yes" else None
            if interim_kind is None:
                interim_kind = attempt(_lookup, row, "interim_target", KINDS, noun=_("target kind"))
            fields = {
                **fields,
                "kind": interim_kind,
                "title": _text(row.get("interim_target_text"))[:200],
                "target_year": attempt(_year, row, "interim_target_year"),
                "reduction_percent": attempt(
                    _percent, row, "interim_target_percentage_reduction", layouts=layouts
                ),
                "baseline_year": attempt(_year, row, "interim_target_baseline_year"),
                "is_interim": True,
                "source_identifier": f"{id_code}:interim",
            }
            targets.append(Target(f"{id_code}:interim", fields, frozenset(unread)))
    if errors:
        return None, errors
    parsed = TrackerRow(
        number=number,
        name=name,
        country=country,
        kind=kind,
        isin=_text(row.get("isin_id")).upper()[:12],
        id_code=id_code,
        targets=targets,
        notes=notes,
    )
    return parsed, []


# --- Reading the file ------------------------------------------------------------------------------------


def tracker_rows_read(*, content: bytes, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """The file's data rows as dicts of normalised headers, each with its row number as the spreadsheet
    shows it (empty rows are left out, but counted)."""
    table = csvsniff.read_table(content=content, fmt=fmt, known=COLUMNS, sheet=SHEET)
    headers = mapping.apply(source=SOURCE, headers=[csvsniff.normalise_header(h) for h in table.headers])
    csvsniff.refuse_repeated(headers, COLUMNS)
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise ValidationError(
            {"file": [_("The file has no %(columns)s column: is it the Net Zero Tracker's download?")
                      % {"columns": ", ".join(missing)}]}
        )  # fmt: skip
    return [(number, dict(zip(headers, values, strict=False))) for number, values in table.numbered_rows()]


# --- Importing -------------------------------------------------------------------------------------------


@dataclass
class TrackerOutcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    organisations_created: int = 0
    discrepancies: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    #: Cells read as "not specified" (an integrity value the import does not know, a target with no status).
    notes: list[RowError] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    _COUNTS = ("created", "updated", "unchanged", "skipped", "organisations_created", "discrepancies")

    def counts(self) -> tuple:
        return (*(getattr(self, n) for n in self._COUNTS), len(self.changes))

    def restore(self, counts: tuple) -> None:
        for name, value in zip(self._COUNTS, counts, strict=False):
            setattr(self, name, value)
        del self.changes[counts[-1] :]

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.organisations_created or self.discrepancies)


class _Organisations:
    """Existing organisations the file names, loaded in a few queries."""

    def __init__(self, rows: Iterable[TrackerRow]) -> None:
        rows = list(rows)
        self.by_country = {
            o.country.code: o
            for o in Organisation.objects.filter(kind=Organisation.Kind.COUNTRY).order_by("pk")
        }
        isins = {r.isin for r in rows if r.isin}
        self.by_isin = (
            {o.isin: o for o in Organisation.objects.filter(isin__in=isins).order_by("-pk")} if isins else {}
        )
        # By the name key every door matches on (``members.matching``: "Acme Energy Ltd." is "ACME Energy",
        # "Île-de-France" is "Ile-de-France") and the country; a record with no country matches a name alone.
        keys = {normalise_name(r.name) for r in rows if r.kind != Organisation.Kind.COUNTRY} - {""}
        self.by_name: dict[tuple[str, str], Organisation] = {}
        if keys:
            for o in Organisation.objects.filter(name_key__in=keys).order_by("-pk"):
                self.by_name[(o.name_key, o.country.code if o.country else "")] = o

    def match(self, row: TrackerRow) -> Organisation | None:
        if row.kind == Organisation.Kind.COUNTRY:
            return self.by_country.get(row.country)
        if row.isin and row.isin in self.by_isin:
            return self.by_isin[row.isin]
        key = normalise_name(row.name)
        if not key:  # a name of no letters matches no other
            return None
        return self.by_name.get((key, row.country)) or self.by_name.get((key, ""))

    def remember(self, row: TrackerRow, organisation: Organisation) -> None:
        if row.kind == Organisation.Kind.COUNTRY:
            self.by_country[row.country] = organisation
        if row.isin:
            self.by_isin[row.isin] = organisation
        self.by_name[(normalise_name(row.name), row.country)] = organisation

    def forget(self, organisation: Organisation) -> None:
        """Drop a record created for a row that then failed: its creation was rolled back with the row."""
        for index in (self.by_country, self.by_isin, self.by_name):
            for key in [k for k, o in index.items() if o.pk == organisation.pk]:
                del index[key]


def _may_create(row: TrackerRow, create: str) -> bool:
    if create == Create.ALL:
        return True
    return (
        create == Create.COUNTRIES
        and row.kind == Organisation.Kind.COUNTRY
        and row.country in UN_MEMBER_STATES
    )


def _matching_commitment(
    target: Target, recorded: list[Commitment], in_file: set[str] = frozenset()
) -> Commitment | None:
    """The recorded commitment a tracker target speaks of: the one linked to it, else one of the same
    interim-or-final with the same kind and year, the same year, or (the only one of) the same kind."""
    for commitment in recorded:
        if commitment.source_identifier == target.source_identifier:
            return commitment
    # A commitment linked to another of this file's targets is not this one. One linked to a target the
    # file no longer has (the tracker renumbered its rows) may be: matched, it is linked anew.
    same_stage = [
        c
        for c in recorded
        if c.is_interim == target.is_interim
        and (not c.source_identifier or c.source_identifier not in in_file)
    ]
    kind, year = target.fields["kind"], target.fields["target_year"]
    for test in (
        lambda c: c.kind == kind and c.target_year == year,
        lambda c: year is not None and c.target_year == year,
    ):
        found = [c for c in same_stage if test(c)]
        if found:
            return found[0]
    same_kind = [c for c in same_stage if c.kind == kind]
    return same_kind[0] if len(same_kind) == 1 else None


def _differences(commitment: Commitment, target: Target) -> list[str]:
    different = []
    for name in COMPARED:
        if name in target.unread:
            continue
        theirs = target.fields[name]
        if name == "reduction_percent" and theirs is None:
            continue  # the tracker not stating a percent is no disagreement
        if getattr(commitment, name) != theirs:
            different.append(name)
    return different


def _refreshes(commitment: Commitment, target: Target) -> dict[str, Any]:
    return {
        n: target.fields[n]
        for n in REFRESHED
        if n not in target.unread and getattr(commitment, n) != target.fields[n]
    }


def _import_row(
    row: TrackerRow,
    *,
    organisations: _Organisations,
    recorded: dict[int, list[Commitment]],
    create: str,
    mode: str,
    by,
    outcome: TrackerOutcome,
    in_file: set[str],
    created: list[Organisation],
) -> None:
    organisation = organisations.match(row)
    if organisation is None:
        if mode == Mode.DISCREPANCIES or not _may_create(row, create):
            outcome.skipped += 1
            return
        organisation = services.organisation_create(
            by=by,
            name=row.name,
            kind=row.kind,
            country=row.country,
            isin=row.isin,
            sector=Organisation.Sector.PUBLIC_SECTOR if row.kind != Organisation.Kind.COMPANY else "",
        )
        organisations.remember(row, organisation)
        created.append(organisation)
        recorded[organisation.pk] = []
        outcome.organisations_created += 1
        outcome.changes.append(_("New organisation: %(name)s") % {"name": organisation.name})
    ours = recorded.setdefault(organisation.pk, [])
    for target in row.targets:
        commitment = _matching_commitment(target, ours, in_file)
        if commitment is None:
            if mode == Mode.DISCREPANCIES:
                outcome.changes.append(
                    _("The tracker lists a target we do not record: %(target)s")
                    % {"target": discrepancies.describe(organisation=organisation, values=target.fields)}
                )
                outcome.created += 1
                continue
            commitment = services.commitment_create(
                organisation=organisation, by=by, reason=REASON, **target.fields
            )
            ours.append(commitment)
            outcome.created += 1
            continue
        different = _differences(commitment, target)
        if different:
            raised = discrepancies.discrepancy_raise(
                commitment=commitment, organisation=organisation, target=target, fields=different
            )
            if raised is not None:
                outcome.discrepancies += 1
                outcome.changes.append(raised.summary)
            else:
                outcome.unchanged += 1
            continue
        refresh = _refreshes(commitment, target)
        if not refresh or mode == Mode.DISCREPANCIES:
            outcome.unchanged += 1
        else:
            services.commitment_update(commitment=commitment, by=by, reason=REASON, **refresh)
            outcome.updated += 1


class _Rollback(Exception):
    pass


def tracker_import(
    *, content: bytes, fmt: str, create: str = Create.COUNTRIES, mode: str = Mode.IMPORT, by=None
) -> TrackerOutcome:
    """Import a Net Zero Tracker file (``fmt`` csv or xlsx). A dry run does it all and rolls it back."""
    if create not in Create.CHOICES:
        raise ValidationError({"create": [_("Create one of: %s.") % ", ".join(Create.CHOICES)]})
    rows = tracker_rows_read(content=content, fmt=fmt)
    month_first = cells.month_first(data.get("date_of_last_status_update") for _number, data in rows)
    layouts = {c: cells.number_layout(data.get(c) for _number, data in rows) for c in PERCENT_COLUMNS}
    outcome = TrackerOutcome(rows=len(rows))
    parsed: list[TrackerRow] = []
    seen: dict[str, int] = {}
    for number, data in rows:
        row, errors = row_parse(data, number=number, month_first=month_first, number_layouts=layouts)
        if row is None:
            outcome.errors.extend(RowError(number, column, message) for column, message in errors)
            continue
        if row.id_code in seen:
            outcome.errors.append(
                RowError(
                    number,
                    "id_code",
                    _("%(code)s already appears on row %(row)s of this file.")
                    % {"code": row.id_code, "row": seen[row.id_code]},
                )
            )
            continue
        seen[row.id_code] = number
        outcome.notes.extend(RowError(number, column, message) for column, message in row.notes)
        parsed.append(row)
    organisations = _Organisations(parsed)
    in_file = {target.source_identifier for row in parsed for target in row.targets}
    recorded: dict[int, list[Commitment]] = {}
    known = {o.pk for o in (*organisations.by_country.values(), *organisations.by_isin.values())}
    known |= {o.pk for o in organisations.by_name.values()}
    for commitment in Commitment.objects.filter(organisation_id__in=known).order_by("pk"):
        recorded.setdefault(commitment.organisation_id, []).append(commitment)

    def run(rows: list[TrackerRow]) -> None:
        for row in rows:
            before = outcome.counts()
            created: list[Organisation] = []
            try:
                with transaction.atomic():  # a bad row fails alone
                    _import_row(
                        row,
                        organisations=organisations,
                        recorded=recorded,
                        create=create,
                        mode=mode,
                        by=by,
                        outcome=outcome,
                        in_file=in_file,
                        created=created,
                    )
            except ValidationError as error:
                # The row's savepoint is rolled back: so are its counts and the organisation it created.
                outcome.restore(before)
                for organisation in created:
                    organisations.forget(organisation)
                outcome.errors.extend(row_errors(row.number, error.message_dict))

    if mode == Mode.DRY_RUN:
        try:
            with transaction.atomic():
                run(parsed)
                raise _Rollback
        except _Rollback:
            pass
        return outcome
    # Each chunk commits: one transaction over a whole file would pile up thousands of savepoints
    # (subtransactions), which slows PostgreSQL for every connection, not only this one.
    for start in range(0, len(parsed), CHUNK_ROWS):
        with transaction.atomic():
            run(parsed[start : start + CHUNK_ROWS])
    return outcome
