"""Staff pages for climate data: importing the Net Zero Tracker and the NDC registry list (with the
column-mapping step when a file's headers are not the ones expected), and the discrepancy queue.

Views hold no rules: they call ``tracker.tracker_import``, ``ndc.ndc_import``, ``mapping.column_mapping_save``
and the ``discrepancies`` services, and show their ``ValidationError`` messages.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable
from pathlib import PurePath

from django import forms
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from members.climate import csvsniff, discrepancies, mapping, ndc, tracker
from members.imports import services as imports
from members.models import Discrepancy, ImportJob
from members.staff import staff_required

TRACKER, NDCS = tracker.SOURCE, ndc.SOURCE
PERMISSIONS = {
    TRACKER: ("members.add_commitment", "members.change_commitment"),
    NDCS: ("members.add_ndcsubmission", "members.change_ndcsubmission"),
}
STASH_SALT = "members.climate.column-mapping"


def _allowed(user, source: str) -> bool:
    if source in PERMISSIONS:
        return user.has_perms(PERMISSIONS[source])
    try:
        return imports.importable_get(source).allowed(user)
    except ValidationError:
        return False


def _known_columns(source: str) -> list[str]:
    if source == TRACKER:
        return list(tracker.COLUMNS)
    if source == NDCS:
        return list(ndc.COLUMNS)
    return imports.importable_get(source).columns


def _required_columns(source: str) -> list[str]:
    if source == TRACKER:
        return list(tracker.REQUIRED)
    if source == NDCS:
        return list(ndc.REQUIRED)
    return list(imports.importable_get(source).resource_class.required_columns)


def _joins_names(source: str, headers: Iterable[str]) -> bool:
    """Whether the import makes the ``name`` column of this file from first and last name columns
    (``imports.dataset_read``): then the file is not without a name, and no other header is one."""
    return (
        source not in (TRACKER, NDCS)
        and imports.importable_get(source).resource_class.person_names
        and bool(imports.PERSON_NAME_HEADERS.intersection(headers))
    )


def _read_table(*, content: bytes, name: str, source: str) -> csvsniff.Table:
    sheet = tracker.SHEET if source == TRACKER else ""
    fmt = imports.import_format_of(name)
    return csvsniff.read_table(content=content, fmt=fmt, known=_known_columns(source), sheet=sheet)


# --- Keeping an uploaded file across the mapping step ------------------------------------------------------


def stash_upload(*, content: bytes, name: str, source: str, options: dict | None = None) -> str:
    """Store an upload while staff map its columns; a signed token names it (and cannot name another file)."""
    fmt = imports.import_format_of(name)
    path = default_storage.save(f"imports/mapping/{uuid.uuid4().hex}.{fmt}", ContentFile(content))
    return signing.dumps(
        {"path": path, "name": name, "source": source, "options": options or {}}, salt=STASH_SALT
    )


def _unstash(token: str) -> tuple[dict, bytes]:
    try:
        data = signing.loads(token, salt=STASH_SALT, max_age=24 * 3600)
        with default_storage.open(data["path"], "rb") as handle:
            return data, handle.read()
    except (signing.BadSignature, OSError, KeyError) as error:
        raise ValidationError(_("The uploaded file is no longer available: upload it again.")) from error


#: Required columns never given one value for every row: each row's own name or address.
NEVER_FILLED = frozenset({"name", "email"})


def _fillable_columns(source: str, headers: Iterable[str]) -> list[str]:
    """The required columns a file with ``headers`` lacks that may take one value for every row: only in a
    spreadsheet import (a list of companies from another CRM has no "kind" column; the tracker and NDC files
    always have theirs), and never a name or an email."""
    if source in (TRACKER, NDCS):
        return []
    present = set(headers)
    return [c for c in _required_columns(source) if c not in present and c not in NEVER_FILLED]


def _fill_choices(source: str, column: str) -> list[tuple[str, str]] | None:
    """The values a column of a spreadsheet import takes, when it takes a fixed set (a kind), else None."""
    widget = imports.importable_get(source).resource_class.fields[column].widget
    choices = getattr(widget, "choices", None)
    return [(str(value), str(label)) for value, label in choices] if choices else None


def needs_mapping(*, content: bytes, name: str, source: str) -> bool:
    """A file whose required columns are missing, and which has headers nobody has mapped yet or (for a
    spreadsheet import) lacks a column the mapping step can fill with one value for every row."""
    table = _read_table(content=content, name=name, source=source)
    headers = mapping.apply(source=source, headers=[csvsniff.normalise_header(h) for h in table.headers])
    missing = [c for c in _required_columns(source) if c not in headers]
    if _joins_names(source, headers):
        missing = [c for c in missing if c != "name"]
    return bool(missing) and (
        bool(_fillable_columns(source, headers))
        or bool(mapping.unknown_headers(headers=headers, known=_known_columns(source), source=source))
    )


def _filled_csv(table: csvsniff.Table, fills: dict[str, str]) -> bytes:
    """The file as CSV (UTF-8) with a column per ``fills`` entry holding its value on every row.

    Its rows are numbered as in the file staff have open, because errors and the preview name rows by
    number: the rows above the header (a title) stay, as empty rows, and so do the empty rows between and
    after the data, without the filled values (the import skips empty rows but counts them). The header
    row is found again where it was: it names the filled columns too, and the empty rows name nothing."""

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # 2050, not 2050.0, from a spreadsheet
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    empty = [""] * (len(table.headers) + len(fills))  # as wide as the rest: the delimiter reads as written
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([empty] * table.header_index)
    writer.writerow([*table.headers, *fills])
    for row in table.rows:
        cells = [cell(v) for v in row]
        writer.writerow([*cells, *fills.values()] if any(c.strip() for c in cells) else empty)
    return out.getvalue().encode()


def mapping_step_for(source: str, upload, *, options: dict | None = None) -> str:
    """The column-mapping page's address for an upload the spreadsheet import refused, or "" if mapping its
    headers would not help (for the import page of ``members.imports.views``). ``options`` (the import's
    mode, clearing blanks) go with the upload to the import that follows the mapping."""
    try:
        upload.seek(0)
        content, name = upload.read(), PurePath(upload.name).name
        if not needs_mapping(content=content, name=name, source=source):
            return ""
        token = stash_upload(content=content, name=name, source=source, options=options)
        return f"{reverse('climate-map-columns')}?token={token}"
    except ValidationError:
        return ""


# --- Importing the tracker and the NDC list -----------------------------------------------------------------


class ClimateImportForm(forms.Form):
    source = forms.ChoiceField(
        label=gettext_lazy("What the file holds"),
        choices=[
            (TRACKER, gettext_lazy("Net Zero Tracker download (.xlsx or .csv)")),
            (NDCS, gettext_lazy("UNFCCC NDC registry list (.csv)")),
        ],
    )
    file = forms.FileField(label=gettext_lazy("File"))
    create = forms.ChoiceField(
        label=gettext_lazy("Organisations to add when none matches a row (tracker)"),
        choices=[
            (tracker.Create.COUNTRIES, gettext_lazy("Countries (UN member states)")),
            (tracker.Create.ALL, gettext_lazy("All: also regions, cities and companies")),
            (tracker.Create.NONE, gettext_lazy("None")),
        ],
        initial=tracker.Create.COUNTRIES,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Preview only: write nothing"), required=False, initial=True
    )


def _run(*, source: str, content: bytes, name: str, create: str, dry_run: bool, by):
    fmt = imports.import_format_of(name)
    if source == TRACKER:
        mode = tracker.Mode.DRY_RUN if dry_run else tracker.Mode.IMPORT
        outcome = tracker.tracker_import(content=content, fmt=fmt, create=create, mode=mode, by=by)
        errors = [e.as_dict() for e in outcome.errors]
    else:
        outcome = ndc.ndc_import(content=content, fmt=fmt, dry_run=dry_run)
        errors = outcome.errors
    return outcome, errors


def _result(request, *, source: str, outcome, errors, dry_run: bool, name: str):
    return render(
        request,
        "members/climate/import_result.html",
        {"source": source, "outcome": outcome, "errors": errors[:500], "dry_run": dry_run, "name": name},
    )


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


@staff_required
def climate_import(request):
    form = ClimateImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        source = form.cleaned_data["source"]
        if not _allowed(request.user, source):
            raise PermissionDenied(_("You may not import these records."))
        upload = form.cleaned_data["file"]
        content, name = upload.read(), PurePath(upload.name).name
        options = {"create": form.cleaned_data["create"], "dry_run": form.cleaned_data["dry_run"]}
        try:
            if needs_mapping(content=content, name=name, source=source):
                token = stash_upload(content=content, name=name, source=source, options=options)
                return redirect(f"{reverse('climate-map-columns')}?token={token}")
            outcome, errors = _run(source=source, content=content, name=name, by=request.user, **options)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return _result(
                request, source=source, outcome=outcome, errors=errors, name=name, dry_run=options["dry_run"]
            )
    return render(request, "members/climate/import.html", {"form": form}, status=400 if form.errors else 200)


# --- The column-mapping step --------------------------------------------------------------------------------


#: Names other CRMs give a field, written as ``_compact`` writes them: "Company Domain Name" (HubSpot)
#: is the website, not the name. No "industry" for sector: a CRM's industries ("Utilities") are not the
#: coalition's sectors, and a guess staff confirm without looking would fail every row.
HEADER_ALIASES = {
    "domain": "website",
    "domainname": "website",
    "homepage": "website",
    "websiteurl": "website",
    "countrycode": "country",
    "emailaddress": "email",
    "phonenumber": "phone",
    "telephone": "phone",
}
#: A header ending in these is half a person's name ("Contact First Name"): never the name of anything.
_PERSON_NAME_PARTS = frozenset(h.replace("_", "") for h in imports.PERSON_NAME_HEADERS)


def _compact(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _likely_field(header: str, known: list[str]) -> str:
    """A first guess, for staff to confirm: the field a header names but for punctuation ("Web site",
    "E-mail"), else the one its longest ending names ("Organization name", "Billing Country", "Company
    Domain Name"), by the field's own name or another CRM's (``HEADER_ALIASES``); else the field one part of
    "Country/Region" names. First and last names get none: the import joins them into the name itself."""
    by_compact = {alias: field for alias, field in HEADER_ALIASES.items() if field in known}
    by_compact.update({_compact(k): k for k in known})
    header = csvsniff.normalise_header(header)
    for part in dict.fromkeys([header, *header.split("/")]):  # the whole header, then each alternative
        words = re.findall(r"[^\W_]+", part)
        for start in range(len(words)):
            ending = "".join(words[start:])
            if ending in _PERSON_NAME_PARTS:
                return ""
            if ending in by_compact:
                return by_compact[ending]
    return ""


class ColumnMappingForm(forms.Form):
    """Which field each unknown header holds; and, for required columns the file lacks (``missing``), one
    value for every row unless a header is mapped to the column."""

    def __init__(
        self,
        *args,
        headers: list[str],
        known: list[str],
        missing: dict[str, list[tuple[str, str]] | None] | None = None,
        present: Iterable[str] = (),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("Ignore this column")), *[(c, c) for c in known]]
        self.present = set(present)
        guessed = set(present)
        for index, header in enumerate(headers):
            guess = _likely_field(header, known)
            if guess in guessed:  # a field the file has, or another header was guessed for
                guess = ""
            guessed.add(guess)
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=guess
            )
        self.headers = headers
        self.missing = missing or {}
        for column, values in self.missing.items():
            if values:
                field = forms.ChoiceField(choices=[("", "—"), *values], required=False)
            else:
                field = forms.CharField(max_length=300, required=False)
            field.label = column
            self.fields[f"fill_{column}"] = field

    def mapping_fields(self):
        return [self[name] for name in self.fields if name.startswith("column_")]

    def fill_fields(self):
        return [self[name] for name in self.fields if name.startswith("fill_")]

    def mappings(self) -> dict[str, str]:
        return {header: self.cleaned_data.get(f"column_{i}") or "" for i, header in enumerate(self.headers)}

    def fills(self) -> dict[str, str]:
        """{column: value} for the required columns no header was mapped to."""
        mapped = set(self.mappings().values())
        return {c: self.cleaned_data[f"fill_{c}"] for c in self.missing if c not in mapped}

    def clean(self):
        cleaned = super().clean()
        chosen: dict[str, int] = {}
        for index in range(len(self.headers)):
            field = cleaned.get(f"column_{index}")
            if not field:
                continue
            if field in self.present or field in chosen:
                other = self.headers[chosen[field]] if field in chosen else field
                self.add_error(
                    f"column_{index}",
                    _("“%(field)s” is already the column “%(other)s”: one column per field.")
                    % {"field": field, "other": other},
                )
            chosen.setdefault(field, index)
        mapped = set(self.mappings().values())
        for column in self.missing:
            if column not in mapped and not (cleaned.get(f"fill_{column}") or "").strip():
                self.add_error(
                    f"fill_{column}",
                    _("The file has no “%(column)s” column: choose the column that holds it, or give one "
                      "value for every row.") % {"column": column},
                )  # fmt: skip
        return cleaned


@staff_required
def column_mapping(request):
    """Map a file's unknown headers to fields, remember them for its source, then go on with the import."""
    token = request.POST.get("token") or request.GET.get("token") or ""
    try:
        stash, content = _unstash(token)
    except ValidationError as error:
        return render(
            request, "members/climate/map_columns.html", {"problem": " ".join(error.messages)}, status=400
        )
    source, name = stash["source"], stash["name"]
    if not _allowed(request.user, source):
        raise PermissionDenied(_("You may not import these records."))
    known = _known_columns(source)
    table = _read_table(content=content, name=name, source=source)
    headers = [csvsniff.normalise_header(h) for h in table.headers]
    unknown = mapping.unknown_headers(headers=headers, known=known, source=source)
    present = set(mapping.apply(source=source, headers=headers))
    if _joins_names(source, present):
        present.add("name")
    missing = {c: _fill_choices(source, c) for c in _fillable_columns(source, present)}
    form = ColumnMappingForm(
        request.POST or None, headers=unknown, known=known, missing=missing, present=present
    )
    if request.method == "POST" and form.is_valid():
        try:
            mapping.column_mapping_save(source=source, mappings=form.mappings(), known=known)
            fills, read_as = form.fills(), name
            if fills:  # the job imports the file with those columns added: what its preview shows
                content, read_as = _filled_csv(table, fills), f"{PurePath(name).stem}.csv"
            response = _after_mapping(
                request, source=source, content=content, name=name, read_as=read_as, options=stash["options"]
            )
            default_storage.delete(stash["path"])  # done with: a job keeps its own copy of the file
            return response
        except ValidationError as error:
            form.add_error(None, error.messages)
    context = {
        "form": form,
        "token": token,
        "name": name,
        "source": source,
        "required": _required_columns(source),
        "samples": table.rows[:3],
        "headers": table.headers,
    }
    return render(request, "members/climate/map_columns.html", context, status=400 if form.errors else 200)


def _after_mapping(request, *, source: str, content: bytes, name: str, read_as: str, options: dict):
    """Go on with the import the mapping step interrupted. ``content`` may be a copy of the upload in
    another format (the CSV ``_filled_csv`` writes), read as ``read_as``; staff still see the upload's
    ``name``."""
    if source in (TRACKER, NDCS):
        outcome, errors = _run(
            source=source,
            content=content,
            name=read_as,
            create=options.get("create", tracker.Create.COUNTRIES),
            dry_run=options.get("dry_run", True),
            by=request.user,
        )
        dry_run = options.get("dry_run", True)
        return _result(request, source=source, outcome=outcome, errors=errors, name=name, dry_run=dry_run)
    job = imports.import_job_create(
        resource=source,
        upload=SimpleUploadedFile(read_as, content),
        original_name=name,
        by=request.user,
        mode=options.get("mode") or ImportJob.Mode.FILL,
        clear_blanks=bool(options.get("clear_blanks")),
    )
    imports.import_job_start(job=job)
    return redirect("imports-job", pk=job.pk)


# --- The discrepancy queue ----------------------------------------------------------------------------------


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", gettext_lazy("Accept the tracker's values")), ("keep", gettext_lazy("Keep ours"))]
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=300)


@staff_required
def discrepancy_list(request):
    if not request.user.has_perm("members.view_discrepancy"):
        raise PermissionDenied(_("You may not see discrepancies."))
    queue = discrepancies.discrepancies_open()[:200]
    return render(request, "members/climate/discrepancies.html", {"queue": queue, "form": ResolveForm()})


@staff_required
@require_POST
def discrepancy_resolve(request, pk: int):
    if not request.user.has_perms(("members.change_discrepancy", "members.change_commitment")):
        raise PermissionDenied(_("You may not resolve discrepancies."))
    discrepancy = get_object_or_404(Discrepancy, pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        queue = discrepancies.discrepancies_open()[:200]
        return render(
            request, "members/climate/discrepancies.html", {"queue": queue, "form": form}, status=400
        )
    service = (
        discrepancies.discrepancy_accept
        if form.cleaned_data["decision"] == "accept"
        else discrepancies.discrepancy_keep
    )
    try:
        service(discrepancy=discrepancy, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        queue = discrepancies.discrepancies_open()[:200]
        context = {"queue": queue, "form": form, "problem": " ".join(error.messages)}
        return render(request, "members/climate/discrepancies.html", context, status=409)
    return redirect("climate-discrepancies")
