"""Importing spreadsheets (CSV, XLSX): the registry of importable resources, previews and runs.

Other apps plug their own resources in from ``AppConfig.ready``::

    from members.imports.services import importable_register
    importable_register("subscribers", resource_class=SubscriberResource, label="Subscribers")

A resource is a ``members.imports.resources.CoalitionResource``: it matches rows to existing records
by a natural key (``match``), names that key (``row_key``) so repeated keys inside one file are reported
instead of imported twice, and loads what it needs per chunk (``prepare``).

Every import, preview or real, goes through ``_process_chunk`` in chunks of ``CHUNK_ROWS`` rows. A job
(``ImportJob``) commits each chunk together with its counters, so ``processed_rows`` is both the progress
bar and the place a re-delivered task resumes from: running the task twice imports nothing twice.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import tablib
from django.conf import settings
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from import_export.results import RowResult
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_manager_for_model

from coalition.exports import formula_unsafe
from coalition.queueing import enqueue_after_commit
from members import cells
from members import services as member_services
from members.imports.resources import (
    MODE_FILL,
    MODE_OVERWRITE,
    MODES,
    CoalitionResource,
    CommitmentResource,
    ContactResource,
    DateWidget,
    NumberWidget,
    OrganisationResource,
    import_tag,
)
from members.models import ImportJob
from members.services import records_changed

log = logging.getLogger(__name__)

CHUNK_ROWS = 500
#: Files up to this many rows are previewed and imported during the request; larger ones by a worker.
INLINE_MAX_ROWS = getattr(settings, "IMPORT_INLINE_MAX_ROWS", 200)
MAX_UPLOAD_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
PREVIEW_ROWS = 100
#: The preview lists the first PREVIEW_ROWS rows plus every row that updates a record, up to this many.
MAX_PREVIEW_ENTRIES = 5000
#: A job keeps this many row errors (the count stays exact): enough to fix a file, small enough to store.
MAX_STORED_ERRORS = 5000
# The registered name of ``members.imports.tasks.import_job_process_task``.
PROCESS_TASK = "members.import_tasks.import_job_process_task"


# --- Registry --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Importable:
    name: str
    resource_class: type[CoalitionResource]
    label: str
    help_text: str = ""
    #: The service that deletes a record the import created, when a revert undoes it: ``delete(record, by)``
    #: (what the model's services do on a deletion happens on a revert too). None: the record is deleted.
    delete: Callable[..., None] | None = None

    @property
    def model(self) -> type[models.Model]:
        return self.resource_class._meta.model

    @property
    def revertable(self) -> bool:
        """Whether an import of these records can be undone: a revert reads the history records the import
        wrote, so only records that keep a history can be (subscribers keep none)."""
        return hasattr(self.model, "history")

    def permissions(self) -> list[str]:
        opts = self.model._meta
        return [f"{opts.app_label}.add_{opts.model_name}", f"{opts.app_label}.change_{opts.model_name}"]

    def allowed(self, user) -> bool:
        return bool(user and user.is_active and user.is_staff and user.has_perms(self.permissions()))

    @property
    def columns(self) -> list[str]:
        return [f.column_name for f in self.resource_class().get_import_fields() if not f.readonly]

    @property
    def date_columns(self) -> list[str]:
        return [
            f.column_name
            for f in self.resource_class().get_import_fields()
            if isinstance(f.widget, DateWidget)
        ]

    @property
    def number_columns(self) -> list[str]:
        return [
            f.column_name
            for f in self.resource_class().get_import_fields()
            if isinstance(f.widget, NumberWidget)
        ]


_importables: dict[str, Importable] = {}


def importable_register(
    name: str,
    *,
    resource_class: type[CoalitionResource],
    label: str,
    help_text: str = "",
    delete: Callable[..., None] | None = None,
) -> None:
    _importables[name] = Importable(
        name=name, resource_class=resource_class, label=label, help_text=help_text, delete=delete
    )


def importable_get(name: str) -> Importable:
    try:
        return _importables[name]
    except KeyError:
        raise ValidationError({"resource": [f"Nothing called “{name}” can be imported."]}) from None


def importables_for(user) -> list[Importable]:
    """What ``user`` may import: add and change permission on the target model."""
    return [spec for spec in _importables.values() if spec.allowed(user)]


def importable_for_model(model: type[models.Model]) -> Importable | None:
    return next((spec for spec in _importables.values() if spec.model is model), None)


importable_register(
    "organisations",
    resource_class=OrganisationResource,
    label="Organisations",
    help_text="Matched by country code (countries), website domain or name.",
    delete=lambda record, by: member_services.organisation_delete(organisation=record, by=by),
)
importable_register(
    "contacts",
    resource_class=ContactResource,
    label="Contacts",
    help_text="Matched by organisation and email (or name when there is no email).",
    delete=lambda record, by: member_services.contact_delete(contact=record, by=by),
)
importable_register(
    "commitments",
    resource_class=CommitmentResource,
    label="Commitments",
    help_text="Matched by organisation, kind, target year and interim or final.",
    delete=lambda record, by: member_services.commitment_delete(commitment=record, by=by),
)


# --- Reading files ---------------------------------------------------------------------------------------


def import_format_of(filename: str) -> str:
    """CSV or XLSX, by the file's name. Excel saves tab-separated "Text" and "Unicode Text" as ``.txt``, and
    other tools write ``.tsv``: both are read as CSV (the delimiter and encoding are worked out)."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return ImportJob.Format.CSV
    if suffix == ".xlsx":
        return ImportJob.Format.XLSX
    raise ValidationError({"file": ["Upload a .csv or .xlsx file (or tab-separated text: .txt, .tsv)."]})


def _header(value: Any) -> str:
    return "_".join(str(value or "").strip().lower().split())


def dataset_read(*, content: bytes, fmt: str, importable: Importable) -> tablib.Dataset:
    """Parse a file into a dataset with normalised headers; a ValidationError says what is wrong."""
    # Any delimiter, a BOM, group-header rows above the header; then the column mapping saved for this source.
    from members.climate import csvsniff, mapping

    table = csvsniff.read_table(content=content, fmt=fmt, known=importable.columns)
    headers = mapping.apply(source=importable.name, headers=[_header(h) for h in table.headers])
    csvsniff.refuse_repeated(headers, importable.columns)
    # The product's own exports guard cells against formulas with an apostrophe: read them as they were.
    rows = [
        [formula_unsafe(v) if isinstance(v, str) and v[:1] == "'" else v for v in row] for row in table.rows
    ]
    if importable.resource_class.person_names and "name" not in headers:
        headers, rows = _joined_person_names(headers, rows)
    dataset = tablib.Dataset(*rows, headers=headers)
    missing = [c for c in importable.resource_class.required_columns if c not in dataset.headers]
    if missing:
        expected = ", ".join(importable.columns)
        raise ValidationError(
            {"file": [f"The file has no {', '.join(missing)} column; expected: {expected}."]}
        )
    # Spreadsheets often end with empty rows; they are not rows anyone meant to import.
    keep = [i for i, data in enumerate(dataset) if any(str(v or "").strip() for v in data)]
    if len(keep) != len(dataset):
        cleaned = tablib.Dataset(headers=dataset.headers)
        for i in keep:
            cleaned.append(dataset[i])
        dataset = cleaned
    # Errors and the preview name rows as the spreadsheet numbers them (``sheet_row``).
    dataset.sheet_rows = [table.header_index + 2 + i for i in keep]
    hidden = set(table.hidden_rows)
    dataset.hidden_rows = [row for row in dataset.sheet_rows if row in hidden]
    # A date column is read one way for the whole file: month first if its cells say so (US spreadsheets).
    dataset.month_first_columns = {
        c for c in importable.date_columns if c in dataset.headers and cells.month_first(dataset[c])
    }
    # So is a number column: "1.251" among "543,8" and "1.234,5" is 1251 (European files).
    dataset.number_layouts = {
        c: cells.number_layout(dataset[c]) for c in importable.number_columns if c in dataset.headers
    }
    if not len(dataset):
        raise ValidationError({"file": ["The file has a header row but no rows to import."]})
    return dataset


HIDDEN_ROWS_SHOWN = 20


def dataset_notes(dataset: tablib.Dataset) -> list[str]:
    """What staff should know about the file before importing it that is not an error: rows the spreadsheet
    hides (a filter left on, rows hidden by hand) are rows of the file like the others, and are imported."""
    hidden = getattr(dataset, "hidden_rows", [])
    if not hidden:
        return []
    shown = ", ".join(str(row) for row in hidden[:HIDDEN_ROWS_SHOWN])
    more = f" and {len(hidden) - HIDDEN_ROWS_SHOWN} more" if len(hidden) > HIDDEN_ROWS_SHOWN else ""
    return [
        f"{len(hidden)} rows are hidden in the spreadsheet (a filter, or hidden by hand): "
        f"rows {shown}{more}. They are part of the file and are imported like the others; "
        "to leave them out, delete them from the file and upload it again."
    ]


FIRST_NAME_HEADERS = ("first_name", "firstname", "given_name", "forename", "first")
LAST_NAME_HEADERS = ("last_name", "lastname", "surname", "family_name", "last")
PERSON_NAME_HEADERS = frozenset(FIRST_NAME_HEADERS + LAST_NAME_HEADERS)


def _joined_person_names(headers: list[str], rows: list[list]) -> tuple[list[str], list[list]]:
    """A ``name`` column made of first and last name columns ("Anna", "Jensen" → "Anna Jensen"), if the
    file has either; the two columns stay, unread."""
    first = next((headers.index(h) for h in FIRST_NAME_HEADERS if h in headers), None)
    last = next((headers.index(h) for h in LAST_NAME_HEADERS if h in headers), None)
    if first is None and last is None:
        return headers, rows

    def joined(row: list) -> str:
        parts = [row[i] for i in (first, last) if i is not None and i < len(row)]
        return " ".join(" ".join(str(p).split()) for p in parts if p is not None and str(p).strip())

    return [*headers, "name"], [[*row, joined(row)] for row in rows]


def sheet_row(dataset: tablib.Dataset, index: int) -> int:
    """The row number a person sees in the spreadsheet for data row ``index`` (0-based) of ``dataset``:
    rows above the header (a title) and the empty rows ``dataset_read`` left out are counted."""
    numbers = getattr(dataset, "sheet_rows", None)
    if numbers is not None and 0 <= index < len(numbers):
        return numbers[index]
    return index + 2


def within_file_duplicates(
    resource: CoalitionResource, dataset: tablib.Dataset
) -> dict[int, tuple[str, str]]:
    """Rows repeating a key of an earlier row in the same file: {1-based data row: (field, reason)}."""
    seen: dict[str, int] = {}
    duplicates: dict[int, tuple[str, str]] = {}
    # Rows that matching by name would take for one record though their keys differ ("Acme Ltd, acme.com"
    # and "ACME Limited" without a website): {name key: [(row index, domain, country)]}.
    named: dict[str, list[tuple[int, str, str]]] = {}
    name_parts = getattr(resource, "name_parts", None)
    rows = dataset.dict
    for index, row in enumerate(rows):
        key = resource.row_key(row)
        if key is None:
            continue
        if key in seen:
            duplicates[index + 1] = (
                resource.key_field(row),
                f"The {key} already appears on row {sheet_row(dataset, seen[key])} of this file.",
            )
            continue
        seen[key] = index
        parts = name_parts(row) if name_parts else None
        if parts is None:
            continue
        name, domain, country = parts
        for earlier, earlier_domain, earlier_country in named.get(name, []):
            if (domain and earlier_domain and domain != earlier_domain) or (
                country and earlier_country and country != earlier_country
            ):
                continue  # another organisation of the same name
            if resource.match(rows[earlier], load=True) is not None:
                break  # both rows are changes to a record we have: applied in order, as matched
            duplicates[index + 1] = ("name", resource.same_name_message(row, sheet_row(dataset, earlier)))
            break
        named.setdefault(name, []).append((index, domain, country))
    return duplicates


# --- Processing ----------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


def row_errors(row: int, messages: dict[str, list]) -> list[RowError]:
    """Row ``row``'s errors from messages by field (a ``ValidationError``'s ``message_dict``); those about
    the row as a whole name no field."""
    return [
        RowError(row=row, field="" if name == NON_FIELD_ERRORS else name, message=str(message))
        for name, field_messages in messages.items()
        for message in field_messages
    ]


@dataclass
class ImportOutcome:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    error_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: ImportOutcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped
        self.error_rows += other.error_rows
        self.errors.extend(other.errors)
        self.preview.extend(other.preview[: max(0, MAX_PREVIEW_ENTRIES - len(self.preview))])


_ACTIONS = {
    RowResult.IMPORT_TYPE_NEW: "new",
    RowResult.IMPORT_TYPE_UPDATE: "update",
    RowResult.IMPORT_TYPE_SKIP: "unchanged",
    RowResult.IMPORT_TYPE_INVALID: "error",
    RowResult.IMPORT_TYPE_ERROR: "error",
}


class _RetryWithSavepoints(Exception):
    pass


class _TableStatistics:
    """Keeps PostgreSQL's statistics of the table an import grows current enough for its lookups (on
    PostgreSQL only: SQLite, the embedded default, plans these lookups without statistics).

    Each chunk finds its existing records with a few ``IN`` queries on indexed keys. A planner whose
    statistics date from a much smaller table (a new database, or a first import of many thousands of
    records, faster than autovacuum's next visit) scans the whole table for each instead: tens of
    milliseconds per chunk, growing with the table. So an import runs ``ANALYZE`` on the table and its
    history table once it has created ``MIN_ROWS`` records, then each time it has created as many as the
    table held at the last one: a few times in an import of 100,000 records, a fraction of a second each.
    """

    MIN_ROWS = 5000

    def __init__(self, model: type[models.Model]) -> None:
        self.tables = [model._meta.db_table]
        with contextlib.suppress(NotHistoricalModelError):
            self.tables.append(get_history_manager_for_model(model).model._meta.db_table)
        self.rows = 0  # what the table held at the last ANALYZE (the estimate before that may be stale)
        self.created = 0

    def _estimate(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [self.tables[0]])
            return max(0, int(cursor.fetchone()[0]))

    def add(self, created: int) -> None:
        self.created += created
        if self.created < max(self.MIN_ROWS, self.rows) or connection.vendor != "postgresql":
            return
        qn = connection.ops.quote_name
        try:
            # Never a wait for the import: if something holds the table (a VACUUM), the statistics can wait.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('lock_timeout')")
                (previous,) = cursor.fetchone()
                cursor.execute("SELECT set_config('lock_timeout', '1s', true)")
                cursor.execute("ANALYZE " + ", ".join(qn(table) for table in self.tables))
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
        except DatabaseError:
            log.warning("could not refresh the statistics of %s", ", ".join(self.tables), exc_info=True)
        self.rows, self.created = self._estimate(), 0


def _process_chunk(
    *,
    importable: Importable,
    dataset: tablib.Dataset,
    start: int,
    end: int,
    dry_run: bool,
    by=None,
    source_name: str = "",
    duplicates: dict[int, tuple[str, str]],
    preview_room: int = 0,
    mode: str = MODE_FILL,
    clear_blanks: bool = False,
    job_id: int | None = None,
) -> ImportOutcome:
    """Import data rows ``start``..``end`` (0-based, end exclusive) in the caller's transaction."""
    chunk = tablib.Dataset(headers=dataset.headers)
    for index in range(start, end):
        chunk.append(dataset[index])
    # Rows are written in a savepoint of the caller's transaction (rolled back for a preview). First
    # without a savepoint per row (and, for resources with ``bulk_writes``, in a few bulk queries for the
    # whole chunk); if the database refuses a row, that attempt is rolled back and the chunk runs again
    # with a savepoint and a save per row, so the bad row fails alone.
    for savepoints in (False, True):
        resource = importable.resource_class(
            by=by,
            source_name=source_name,
            duplicate_rows=duplicates,
            row_offset=start,
            month_first_columns=getattr(dataset, "month_first_columns", ()),
            number_layouts=getattr(dataset, "number_layouts", {}),
            savepoints=savepoints,
            mode=mode,
            clear_blanks=clear_blanks,
            job_id=job_id,
        )
        try:
            with transaction.atomic():
                result = resource.import_data(
                    chunk, dry_run=False, use_transactions=False, raise_errors=False
                )
                if resource.transaction_broken:
                    raise _RetryWithSavepoints
                if dry_run:
                    transaction.set_rollback(True)
        except _RetryWithSavepoints:
            continue
        break
    outcome = ImportOutcome(total_rows=end - start)
    totals = result.totals
    if not dry_run and (totals[RowResult.IMPORT_TYPE_NEW] or totals[RowResult.IMPORT_TYPE_UPDATE]):
        # The public pages and dashboard figures are cached by the records' version: an import changes them.
        records_changed()
    for error in result.base_errors:
        outcome.errors.append(RowError(row=0, field="", message=str(error.error)))
    rows_by_number: dict[int, list[RowError]] = {}
    for invalid in result.invalid_rows:
        number = sheet_row(dataset, start + invalid.number - 1)
        rows_by_number.setdefault(number, []).extend(row_errors(number, invalid.error_dict))
    for number, errors in result.row_errors():
        row_number = sheet_row(dataset, start + number - 1)
        for error in errors:
            rows_by_number.setdefault(row_number, []).append(
                RowError(row=row_number, field="", message=str(error.error))
            )
    for number in sorted(rows_by_number):
        outcome.errors.extend(rows_by_number[number])
    outcome.error_rows = len(rows_by_number)
    totals = result.totals
    outcome.created = totals[RowResult.IMPORT_TYPE_NEW]
    outcome.updated = totals[RowResult.IMPORT_TYPE_UPDATE]
    outcome.skipped = totals[RowResult.IMPORT_TYPE_SKIP]
    for offset, row_result in enumerate(result.rows):
        action = _ACTIONS.get(row_result.import_type, row_result.import_type)
        # The first rows whatever they do, and every row that updates a record with its changes.
        if offset >= preview_room and action != "update":
            continue
        entry = {
            "row": sheet_row(dataset, start + offset),
            "action": action,
            "record": row_result.object_repr or "",
        }
        if action == "update":
            entry["changes"] = resource.row_changes.get(offset + 1, [])
        outcome.preview.append(entry)
    return outcome


def _run_in_memory(
    *,
    resource: str,
    content: bytes,
    fmt: str,
    dry_run: bool,
    by,
    source_name: str,
    mode: str = MODE_FILL,
    clear_blanks: bool = False,
):
    importable = importable_get(resource)
    dataset = dataset_read(content=content, fmt=fmt, importable=importable)
    duplicates = within_file_duplicates(importable.resource_class(), dataset)
    outcome = ImportOutcome(total_rows=len(dataset))
    statistics = _TableStatistics(importable.model)
    for start in range(0, len(dataset), CHUNK_ROWS):
        with transaction.atomic():
            chunk = _process_chunk(
                importable=importable,
                dataset=dataset,
                start=start,
                end=min(start + CHUNK_ROWS, len(dataset)),
                dry_run=dry_run,
                by=by,
                source_name=source_name,
                duplicates=duplicates,
                preview_room=PREVIEW_ROWS - len(outcome.preview),
                mode=mode,
                clear_blanks=clear_blanks,
            )
        outcome.add(chunk)
        if not dry_run:
            statistics.add(chunk.created)
    return outcome


def import_preview(
    *, resource: str, content: bytes, fmt: str, by=None, mode: str = MODE_FILL, clear_blanks: bool = False
) -> ImportOutcome:
    """Dry run: what importing the file would do, row by row, and every row's errors. Writes nothing."""
    return _run_in_memory(
        resource=resource,
        content=content,
        fmt=fmt,
        dry_run=True,
        by=by,
        source_name="",
        mode=mode,
        clear_blanks=clear_blanks,
    )


def import_run(
    *,
    resource: str,
    content: bytes,
    fmt: str,
    by=None,
    source_name: str = "",
    mode: str = MODE_FILL,
    clear_blanks: bool = False,
) -> ImportOutcome:
    """Import the file now, chunk by chunk (each chunk commits): good rows are written, bad rows reported."""
    return _run_in_memory(
        resource=resource,
        content=content,
        fmt=fmt,
        dry_run=False,
        by=by,
        source_name=source_name,
        mode=mode,
        clear_blanks=clear_blanks,
    )


# --- Jobs: previews and imports with a progress bar ----------------------------------------------------


@transaction.atomic
def import_job_create(
    *,
    resource: str,
    upload,
    by,
    mode: str = MODE_FILL,
    clear_blanks: bool = False,
    check_user: bool = True,
    original_name: str = "",
) -> ImportJob:
    """Store an uploaded file as a preview job, after checking it can be read and has the columns needed.

    ``mode`` says how rows matching existing records are treated (skip, fill — the default — or
    overwrite); ``clear_blanks`` lets blank cells clear fields, with overwrite only. ``check_user`` is off
    only for the command line (``manage.py import_file``), which has no user to check. ``original_name`` is
    the name of the file staff uploaded when ``upload`` is a copy made from it (the column-mapping step's
    CSV with a column added): the job shows the file staff know, and is read in the copy's format.
    """
    importable = importable_get(resource)
    if check_user and not importable.allowed(by):
        raise ValidationError({"resource": [f"You may not import {importable.label.lower()}."]})
    if mode not in MODES:
        raise ValidationError({"mode": [f"Choose how to treat existing records: {', '.join(MODES)}."]})
    fmt = import_format_of(upload.name)
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."]})
    content = upload.read()
    dataset = dataset_read(content=content, fmt=fmt, importable=importable)
    job = ImportJob(
        resource=resource,
        format=fmt,
        original_name=PurePath(original_name or upload.name).name[:255],
        dry_run=True,
        total_rows=len(dataset),
        created_by=by,
        mode=mode,
        clear_blanks=clear_blanks and mode == MODE_OVERWRITE,
        notes=dataset_notes(dataset),
    )
    job.file.save(f"{resource}.{fmt}", ContentFile(content), save=False)
    job.save()
    return job


def import_job_start(*, job: ImportJob) -> ImportJob:
    """Process a queued job: during the request if small, else on a worker once this transaction commits."""
    if job.total_rows <= INLINE_MAX_ROWS:
        return import_job_process(job_id=job.pk)
    enqueue_after_commit(PROCESS_TASK, job.pk)
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob, by) -> ImportJob:
    """Turn a finished preview into the real import of the same file."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.dry_run or job.status != ImportJob.Status.DONE:
        raise ValidationError("Only a finished preview can be imported.")
    if by is not None and not importable_get(job.resource).allowed(by):
        raise ValidationError(f"You may not import {job.resource}.")
    job.dry_run = False
    job.status = ImportJob.Status.QUEUED
    job.processed_rows = job.created_count = job.updated_count = job.skipped_count = job.error_count = 0
    job.errors, job.preview, job.failure = [], [], ""
    job.started_at = job.finished_at = None
    job.save()
    return job


def import_job_process(*, job_id: int) -> ImportJob:
    """Work through a job chunk by chunk. Idempotent: it resumes after the last committed chunk."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return job
    try:
        importable = importable_get(job.resource)
        with job.file.open("rb") as handle:
            content = handle.read()
        dataset = dataset_read(content=content, fmt=job.format, importable=importable)
    except (ValidationError, OSError) as error:
        message = "; ".join(getattr(error, "messages", [str(error)]))
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, failure=message, finished_at=timezone.now()
        )
        return ImportJob.objects.get(pk=job_id)
    duplicates = within_file_duplicates(importable.resource_class(), dataset)
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), total_rows=len(dataset)
    )
    statistics = _TableStatistics(importable.model)
    while True:
        with transaction.atomic():
            # The lock serialises two deliveries of the same task: each chunk is taken exactly once.
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status != ImportJob.Status.RUNNING:
                return job
            start = job.processed_rows
            if start >= len(dataset):
                job.status = ImportJob.Status.DONE
                job.finished_at = timezone.now()
                job.save(update_fields=["status", "finished_at", "updated_at"])
                return job
            end = min(start + CHUNK_ROWS, len(dataset))
            try:
                with transaction.atomic():
                    outcome = _process_chunk(
                        importable=importable,
                        dataset=dataset,
                        start=start,
                        end=end,
                        dry_run=job.dry_run,
                        by=job.created_by,
                        source_name=job.original_name,
                        duplicates=duplicates,
                        preview_room=PREVIEW_ROWS - len(job.preview),
                        mode=job.mode,
                        clear_blanks=job.clear_blanks,
                        job_id=None if job.dry_run else job.pk,
                    )
            except Exception as error:  # noqa: BLE001 - a bug must fail the job visibly, not loop forever
                log.exception("import job %s failed at row %s", job_id, sheet_row(dataset, start))
                job.status = ImportJob.Status.FAILED
                job.failure = f"Stopped at row {sheet_row(dataset, start)}: {error}"
                job.finished_at = timezone.now()
                job.save()
                return job
            job.processed_rows = end
            job.created_count += outcome.created
            job.updated_count += outcome.updated
            job.skipped_count += outcome.skipped
            job.error_count += outcome.error_rows
            room = max(0, MAX_STORED_ERRORS - len(job.errors))
            job.errors = job.errors + [e.as_dict() for e in outcome.errors[:room]]
            job.preview = job.preview + outcome.preview[: max(0, MAX_PREVIEW_ENTRIES - len(job.preview))]
            job.save()
        if not job.dry_run:
            statistics.add(outcome.created)


# --- Revert: undo one import as a unit, from the history records it wrote ------------------------------


@dataclass
class RevertOutcome:
    deleted: int = 0
    restored: int = 0
    kept: int = 0  # records changed again since the import: the later value is kept
    #: Records the import created that are kept: changed since, or with records of their own added since
    #: (contacts, commitments, members) that deleting would take with them. Their names.
    kept_created: list[str] = field(default_factory=list)


def import_job_revertable(job: ImportJob) -> bool:
    try:
        importable = importable_get(job.resource)
    except ValidationError:
        return False
    return (
        not job.dry_run
        and job.status == ImportJob.Status.DONE
        and job.reverted_at is None
        and importable.revertable
    )


def _worked_on_since(record, created, job: ImportJob) -> bool:
    """Whether a record the import created has been worked on since: changed by anyone but the import, or
    given records of its own (deleting it would take them along, or is refused for them)."""
    tag = import_tag(job.pk)
    later = type(record).history.filter(id=record.pk, history_date__gt=created.history_date)
    if later.exclude(history_change_reason__startswith=tag).exists():
        return True
    collector = NestedObjects(using=record._state.db)
    collector.collect([record])
    if collector.protected:
        return True
    return any(
        obj is not record and obj != record for model_objs in collector.data.values() for obj in model_objs
    )


@transaction.atomic
def import_job_revert(*, job: ImportJob, by=None) -> RevertOutcome:
    """Undo an import: delete the records it created, and put back each field it changed.

    It reads the history records the import wrote (their change reason starts with the job's tag). A field
    changed again after the import keeps its later value (counted in ``kept``): a revert never throws away
    work done since: a created record that was changed since, or has records of its own added since
    (contacts, commitments, a membership), is kept too (``kept_created``).
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not import_job_revertable(job):
        raise ValidationError(
            "Only a finished import of records that keep a history can be reverted, once."
            if job.reverted_at is None
            else "This import was already reverted."
        )
    spec = importable_get(job.resource)
    model = spec.model
    reason = f"Reverted {import_tag(job.pk)[:-1].lower()}"
    outcome = RevertOutcome()
    records = model.history.filter(history_change_reason__startswith=import_tag(job.pk)).order_by(
        "-history_date", "-history_id"
    )
    # Only the columns the history records (a model may leave derived ones out, as Organisation does).
    tracked = {f.attname for f in model.history.model._meta.concrete_fields}
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in {"updated_at"} and f.attname in tracked
    ]
    for record in records:
        current = model._default_manager.filter(pk=record.id).first()
        if current is None:
            continue
        if record.history_type == "+":
            if _worked_on_since(current, record, job):
                outcome.kept_created.append(str(current))
                continue
            current._change_reason = reason
            current._history_user = by
            if spec.delete is not None:
                spec.delete(current, by)
            else:
                current.delete()
            outcome.deleted += 1
            continue
        previous = record.prev_record
        if previous is None:
            continue
        changed = False
        for model_field in fields:
            name = model_field.attname
            before, imported = getattr(previous, name), getattr(record, name)
            if before == imported:
                continue
            if getattr(current, name) != imported:
                outcome.kept += 1
                continue
            setattr(current, name, before)
            changed = True
        if changed:
            current._change_reason = reason
            current._history_user = by
            current.save()
            outcome.restored += 1
    job.reverted_at = timezone.now()
    job.save(update_fields=["reverted_at", "updated_at"])
    if outcome.deleted or outcome.restored:
        records_changed()
    return outcome
