"""The UNFCCC NDC registry list in (as republished by openclimatedata/ndcs): one row per document filed,
``code, party, title, fileType, language, version, status, submissionDate, encodedAbsUrl, originalFilename``
(or the older capitalised layout with a ``Number`` column). Rows are kept as ``NdcSubmission`` records,
matched by party and URL, so a second run of the same list creates and changes nothing.

The round (first, updated, NDC 3.0) is read from the title, the submission date (``ndc_round``) and, in the
older layout, the number. EU member
states file no NDC of their own: ``ndc_submissions_for`` gives them the EU's (party ``EUU``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django_countries import countries

from coalition import hooks
from members import cells
from members.climate import csvsniff, mapping
from members.climate.countries import EU_MEMBER_STATES, EU_PARTY_CODE, country_code
from members.imports.services import row_errors
from members.models import Commitment, NdcSubmission, Organisation

SOURCE = "ndcs"
COLUMNS = (
    "code", "party", "title", "filetype", "language", "version", "status", "submissiondate", "encodedabsurl",
    "originalfilename", "number",
)  # fmt: skip
#: ``status`` is not required: the older layout (``Code, Party, …, Number, …``) has no such column (see
#: ``_derived_statuses``).
REQUIRED = ("code", "party", "title", "encodedabsurl")
EU_NAMES = ("european union", "european union (eu)")

STATUSES = {"active": NdcSubmission.Status.ACTIVE, "archived": NdcSubmission.Status.ARCHIVED}
FIELDS = (
    "party",
    "title",
    "round",
    "version",
    "status",
    "language",
    "submitted_on",
    "file_type",
    "original_filename",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


#: The 2025 round (NDC 3.0, targets for 2031–2035) opened in 2024: parties name its documents "Second NDC",
#: "2035 NDC", "NDC 3.0" or just "The NDC of …", so a document filed since then is of that round unless its
#: title says it updates an earlier one.
NDC_3_SINCE = date(2024, 1, 1)
_UPDATE_WORDS = re.compile(r"\bupdat|\brevis|\brevision\b|actualizaci|mise à jour|\bupdate\b")
#: "2035 NDC", "2031-2035", "2035/2040": the 2025 round's horizon (a "2050 strategy" is no such sign).
_LATER_TARGET_YEAR = re.compile(r"\b20(3[1-9]|40)\b")


def ndc_round(*, title: str, number: str = "", version: str = "", submitted_on: date | None = None) -> str:
    """First, updated or NDC 3.0, as the registry names them in titles ("… NDC 3.0", "Updated NDC",
    "Second NDC", "First NDC (Updated submission)", "Canada's 2035 NDC"), numbers (1, 2, 3) and, for the
    many titles that name no round, the submission date (``NDC_3_SINCE``)."""
    text, number = title.casefold(), number.strip().casefold()
    if re.search(r"\bndc\s*3(\.0)?\b", text):
        return NdcSubmission.Round.NDC_3
    if _UPDATE_WORDS.search(text):  # "First NDC (Updated submission)", "Third Update of Second NDC"
        return NdcSubmission.Round.UPDATED
    if "third" in text or number in ("3", "third"):
        return NdcSubmission.Round.NDC_3
    if (submitted_on is not None and submitted_on >= NDC_3_SINCE) or _LATER_TARGET_YEAR.search(text):
        return NdcSubmission.Round.NDC_3
    if "second" in text or number in ("2", "second"):
        return NdcSubmission.Round.UPDATED
    return NdcSubmission.Round.FIRST


ROUND_ORDER = (NdcSubmission.Round.FIRST, NdcSubmission.Round.UPDATED, NdcSubmission.Round.NDC_3)


def _derived_statuses(rows: list[dict[str, Any]]) -> None:
    """For a list without a ``status`` column (the registry's older layout, whose ``Number`` says First or
    Second): a party's documents of its latest round are active, those of earlier rounds archived."""

    def rank(row: dict[str, Any]) -> int:
        title, number = _text(row.get("title")), _text(row.get("number"))
        return ROUND_ORDER.index(ndc_round(title=title, number=number))

    ranked = [(_party_code(row), rank(row), row) for row in rows]
    latest: dict[str, int] = {}
    for code, row_rank, _row in ranked:
        latest[code] = max(latest.get(code, 0), row_rank)
    for code, row_rank, row in ranked:
        # A document the list itself files as archived ("FileType: Archived") is archived whatever its round.
        archived = _text(row.get("filetype")).casefold() == "archived"
        row["status"] = "Active" if row_rank == latest[code] and not archived else "Archived"


def _date(raw: Any, *, month_first: bool = False) -> date | None:
    """A submission date, read as every import reads dates (``members.cells``: ISO, or day first); a list
    republished with US dates ("12/31/2020") is read month first throughout (``cells.month_first``, decided
    for the whole column). Raises ``ValueError(text)``."""
    try:
        return cells.date_of(raw, month_first=month_first)
    except ValueError:
        raise ValueError(_text(raw)) from None


@dataclass
class NdcOutcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    #: Rows read together with an earlier one: {"row", "field", "message"}, as errors are.
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({e["row"] for e in self.errors})


def _organisations() -> tuple[dict[str, Organisation], Organisation | None]:
    by_country = {
        o.country.code: o for o in Organisation.objects.filter(kind=Organisation.Kind.COUNTRY).order_by("pk")
    }
    eu = (
        Organisation.objects.annotate(lower_name=Lower("name"))
        .filter(lower_name__in=EU_NAMES)
        .exclude(kind=Organisation.Kind.COUNTRY)
        .order_by("pk")
        .first()
    )
    return by_country, eu


def _states_net_negative(organisation: Organisation | None) -> bool:
    return bool(organisation) and organisation.commitments.filter(kind=Commitment.Kind.NET_NEGATIVE).exists()


class _Rollback(Exception):
    pass


def ndc_import(*, content: bytes, fmt: str, dry_run: bool = False) -> NdcOutcome:
    """Import the NDC registry list. A dry run does it all and rolls it back."""
    table = csvsniff.read_table(content=content, fmt=fmt, known=COLUMNS)
    headers = mapping.apply(source=SOURCE, headers=[csvsniff.normalise_header(h) for h in table.headers])
    csvsniff.refuse_repeated(headers, COLUMNS)
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise ValidationError(
            {"file": [_("The file has no %(columns)s column: is it the NDC registry list?")
                      % {"columns": ", ".join(missing)}]}
        )  # fmt: skip
    numbered = [
        (number, dict(zip(headers, values, strict=False))) for number, values in table.numbered_rows()
    ]
    if "status" not in headers:
        _derived_statuses([row for _number, row in numbered])
    outcome = NdcOutcome(rows=len(numbered))
    numbered = _one_row_per_document(numbered, outcome)
    month_first = cells.month_first(row.get("submissiondate") for _number, row in numbered)
    try:
        with transaction.atomic():
            by_country, eu = _organisations()
            existing = {
                (s.party_code, s.url): s for s in NdcSubmission.objects.select_related("organisation")
            }
            for number, row in numbered:
                _import_row(
                    row,
                    number,
                    by_country=by_country,
                    eu=eu,
                    existing=existing,
                    outcome=outcome,
                    month_first=month_first,
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return outcome


def _party_code(row: dict[str, Any]) -> str:
    """The party's alpha-3 code (the registry's own, ``EUU`` for the EU); an alpha-2 code is read as its
    alpha-3, so a list written either way names the party the same."""
    code = _text(row.get("code")).upper()
    if len(code) == 2 and (alpha3 := countries.alpha3(code)):
        return alpha3
    return code


def _one_row_per_document(numbered: list[tuple[int, dict]], outcome: NdcOutcome) -> list[tuple[int, dict]]:
    """The registry has listed one document twice (the same party and address: once as the NDC, once as an
    addendum). Such rows are read as one, so every run of the same list records the same: the first row's
    values, its blank cells filled from the later rows, active if any row says so; each later row is noted.
    """
    first: dict[tuple[str, str], tuple[int, dict]] = {}
    kept = []
    for number, row in numbered:
        key = (_party_code(row), _text(row.get("encodedabsurl"))[:500])
        if not key[1] or key not in first:
            first.setdefault(key, (number, row))
            kept.append((number, row))
            continue
        first_number, merged = first[key]
        for name, value in row.items():
            if not _text(merged.get(name)) and _text(value):
                merged[name] = value
        if _text(row.get("status")).casefold() == "active":
            merged["status"] = row["status"]
        outcome.notes.append(
            {
                "row": number,
                "field": "encodedabsurl",
                "message": _("The same document as row %(row)s: read together with it.")
                % {"row": first_number},
            }
        )
    return kept


def _import_row(row, number, *, by_country, eu, existing, outcome: NdcOutcome, month_first: bool) -> None:
    errors = []
    code = _party_code(row)
    if code == EU_PARTY_CODE:
        organisation = eu
    else:
        alpha2 = country_code(code)
        if not alpha2:
            errors.append(("code", _("“%(value)s” is not an ISO 3166 country code.") % {"value": code}))
        organisation = by_country.get(alpha2)
    status_raw = _text(row.get("status"))
    status = STATUSES.get(status_raw.casefold())
    if status is None:
        errors.append(("status", _("“%(value)s” is not Active or Archived.") % {"value": status_raw}))
    url = _text(row.get("encodedabsurl"))
    if not url.lower().startswith(("http://", "https://")):
        errors.append(("encodedabsurl", _("“%(value)s” is not a web address.") % {"value": url}))
    try:
        submitted_on = _date(row.get("submissiondate"), month_first=month_first)
    except ValueError as error:
        errors.append(
            ("submissiondate", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": str(error)})
        )
        submitted_on = None
    if errors:
        outcome.errors.extend({"row": number, "field": f, "message": m} for f, m in errors)
        return
    # The registry has listed a document without a title (a party's second NDC): it is named from the
    # party and its number ("Suriname Second NDC") rather than dropped.
    title = _text(row.get("title"))[:300] or " ".join(
        p for p in (_text(row.get("party")), _text(row.get("number")), "NDC") if p
    )
    values = {
        "party": _text(row.get("party"))[:200],
        "title": title,
        "round": ndc_round(
            title=title,
            number=_text(row.get("number")),
            version=_text(row.get("version")),
            submitted_on=submitted_on,
        ),
        "version": _text(row.get("version"))[:20],
        "status": status,
        "language": _text(row.get("language"))[:40],
        "submitted_on": submitted_on,
        "file_type": _text(row.get("filetype"))[:20],
        "original_filename": _text(row.get("originalfilename"))[:300],
        "organisation": organisation,
    }
    submission = existing.get((code, url[:500]))
    if submission is None:
        try:
            submission = ndc_submission_record(party_code=code, url=url[:500], values=values)
        except ValidationError as error:
            _refused(error, number, outcome)
            return
        existing[(code, submission.url)] = submission
        outcome.created += 1
        outcome.changes.append(_("New NDC submission: %(party)s, %(title)s") % values)
        if submission.net_negative_flagged:
            outcome.flagged += 1
        return
    changed = {n: v for n, v in values.items() if _comparable(n, v) != _comparable(n, getattr(submission, n))}
    if not changed:
        outcome.unchanged += 1
        return
    try:
        ndc_submission_update(submission=submission, values=changed)
    except ValidationError as error:
        submission.refresh_from_db()  # the refused values were set on it: as it is stored again
        _refused(error, number, outcome)
        return
    outcome.updated += 1
    if "status" in changed:
        outcome.changes.append(
            _("%(party)s, %(title)s: now %(status)s")
            % {**values, "status": submission.get_status_display().lower()}
        )


def _refused(error: ValidationError, number: int, outcome: NdcOutcome) -> None:
    """A row the submission's own rules refuse is a row error, with their words: the other rows go on."""
    outcome.errors.extend(e.as_dict() for e in row_errors(number, error.message_dict))


def _comparable(name: str, value: Any) -> Any:
    return value.pk if name == "organisation" and value is not None else value


@transaction.atomic
def ndc_submission_record(*, party_code: str, url: str, values: dict[str, Any]) -> NdcSubmission:
    """A new submission. A target country's NDC 3.0, when that country has stated a net-negative goal, is
    flagged: the list says a plan was filed, not what is in it, so staff confirm before anything moves."""
    submission = NdcSubmission(party_code=party_code, url=url, **values)
    organisation = values.get("organisation")
    submission.net_negative_flagged = submission.round == NdcSubmission.Round.NDC_3 and _states_net_negative(
        organisation
    )
    submission.full_clean(validate_constraints=False)
    submission.save()
    hooks.run("ndc_submission_recorded", submission=submission)
    return submission


@transaction.atomic
def ndc_submission_update(*, submission: NdcSubmission, values: dict[str, Any]) -> NdcSubmission:
    for name, value in values.items():
        setattr(submission, name, value)
    submission.full_clean(validate_constraints=False)
    submission.save()
    return submission


@transaction.atomic
def ndc_submission_clear_flag(*, submission: NdcSubmission) -> NdcSubmission:
    submission.net_negative_flagged = False
    submission.save(update_fields=["net_negative_flagged", "updated_at"])
    return submission


# --- Reads -----------------------------------------------------------------------------------------------


def party_codes_for_country(code: str) -> list[str]:
    """The parties whose NDCs a country (alpha-2) carries: its own, and the EU's for an EU member state."""
    alpha3 = countries.alpha3(code) if code else ""
    codes = [alpha3] if alpha3 else []
    if code in EU_MEMBER_STATES:
        codes.append(EU_PARTY_CODE)
    return codes


def party_codes_for(organisation: Organisation) -> list[str]:
    """The registry parties whose NDCs an organisation carries: none unless it is a country record."""
    if organisation.kind != Organisation.Kind.COUNTRY or not organisation.country:
        return []
    return party_codes_for_country(organisation.country.code)


def ndc_submissions_for(*, organisation: Organisation) -> QuerySet[NdcSubmission]:
    """Every submission an organisation carries: its own and (EU member states) the EU's, newest first."""
    condition = Q(organisation=organisation)
    codes = party_codes_for(organisation)
    if codes:
        condition |= Q(party_code__in=codes)
    return NdcSubmission.objects.filter(condition).order_by("-submitted_on", "-pk")


def ndc_active_for(*, organisation: Organisation, round: str | None = None) -> NdcSubmission | None:
    """The organisation's active submission (of ``round``, if given): its own before the EU's, and the NDC
    itself before a translation or an addendum filed with it (the newest of each)."""
    queryset = ndc_submissions_for(organisation=organisation).filter(status=NdcSubmission.Status.ACTIVE)
    if round:
        queryset = queryset.filter(round=round)
    active = list(queryset)
    own = [s for s in active if s.party_code != EU_PARTY_CODE] or active
    own.sort(key=lambda s: s.file_type.casefold() != "ndc")  # stable: newest first within each
    return own[0] if own else None
