"""django-import-export resources for organisations, contacts and commitments.

Every resource matches a row to an existing record by a natural key instead of creating a duplicate:

- organisation: the ISO country code for a country record; else the website domain; else the normalised
  name (only among records without a different website or country, so "Acme" at acme.com never swallows
  "Acme" at acme.co.uk, nor Cambridge in the US Cambridge in England);
- contact: (organisation, email), or (organisation, normalised name) when the row has no email;
- commitment: (organisation, kind, target year, interim or final).

Contacts and commitments name their organisation in one ``organisation`` column holding a country code,
a website (or bare domain) or a name. Lookups are loaded once per chunk of rows (a few queries per chunk,
not per row), and rows repeating a key already seen earlier in the same file are reported as errors
(``row_key``), so a file can never create two records for one organisation.

Cells are forgiving where a person would be: choices accept their code or label in any case, countries
their alpha-2 or alpha-3 code or name (``members.climate.countries``), numbers, years and dates their
English or European layout (``members.cells``), websites may omit ``https://``.
"""

from __future__ import annotations

import copy
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import Lookup, Q
from django.utils import timezone
from import_export import fields, resources, widgets
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_manager_for_model

from coalition.validators import validate_single_line
from members import cells, services
from members.climate.countries import country_code
from members.matching import normalise_email, normalise_name, normalise_person_name, website_domain
from members.models import Commitment, Contact, Organisation

log = logging.getLogger(__name__)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets hand back 2050.0 for 2050
    return str(value).strip()


def record_id(value: Any) -> int | None:
    """A cell holding a record's id, as the exports write it (``12``; ``12.0`` from a spreadsheet)."""
    text = _text(value)
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 18 else None


def _address_text(value: Any) -> str:
    """A cell holding an address (email, website): without the invisible characters text pasted from a web
    page or a document carries (zero-width spaces and joiners, a byte order mark, direction marks, soft
    hyphens: Unicode's "format" characters), which no address holds and which would make it another."""
    text = _text(value)
    if text.isascii():  # every format character lies outside ASCII: most cells need no look at each one
        return text
    return "".join(char for char in text if unicodedata.category(char) != "Cf").strip()


#: How a row matching an existing record is treated (``ImportJob.Mode``): left alone, its empty fields
#: filled, or its fields overwritten. New records take every cell whatever the mode.
MODE_SKIP, MODE_FILL, MODE_OVERWRITE = "skip", "fill", "overwrite"
MODES = (MODE_SKIP, MODE_FILL, MODE_OVERWRITE)


def import_tag(job_id: int) -> str:
    """The start of the change reason of every history record an import job writes."""
    return f"Import #{job_id}:"


def _is_empty(value: Any) -> bool:
    """A field "fill" may write: nothing in it. A yes/no field always holds an answer."""
    if value is None:
        return True
    if hasattr(value, "code"):  # a django-countries Country
        return not value.code
    return isinstance(value, str) and value.strip() == ""


def _shown(field, instance) -> str:
    """A field's value as the file would hold it, for the preview's before → after."""
    try:
        value = field.export(instance)
    except Exception:  # noqa: BLE001 - a half-built instance must not break the preview
        value = getattr(instance, field.attribute, "")
    return "" if value is None else str(value)


# --- Widgets -------------------------------------------------------------------------------------------


def _record_search_words(instances: list) -> None:
    """The words of imported organisation and contact names, for typo-tolerant search (one query)."""
    names = [i.name for i in instances if isinstance(i, Organisation | Contact)]
    if names:
        services.search_words_add(names=names)


class ChoiceWidget(widgets.Widget):
    """A choice cell: its code or its label, in any case. Blank gives ``default``, or an error if the
    choice is ``required`` (a record cannot be without it)."""

    def __init__(
        self, choices: Iterable[tuple[str, str]], *, noun: str, default: str = "", required: bool = False
    ) -> None:
        super().__init__()
        self.choices = list(choices)
        self.noun = noun
        self.default = default
        self.required = required
        self.codes = ", ".join(str(v) for v, _ in self.choices)  # for the error messages
        self.lookup = {}
        for value, label in self.choices:
            self.lookup[str(value).casefold()] = value
            self.lookup[str(label).casefold()] = value

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        codes = self.codes
        if not text:
            if self.required:
                raise ValueError(f"Give the {self.noun}; use one of: {codes}.")
            return self.default
        try:
            return self.lookup[text.casefold()]
        except KeyError:
            raise ValueError(f"“{text}” is not a known {self.noun}; use one of: {codes}.") from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class CountryWidget(widgets.Widget):
    """An ISO 3166 code (``DK``) or an English country name (``Denmark``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Each resource has its own copy of its widgets, so this lives for one chunk of rows: a file
        # repeats a few countries many times, and asking django-countries costs more than the rest of a row.
        self.known: dict[str, str] = {}

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return ""
        code = self.known.get(text)
        if code is None:
            code = self.known[text] = self._code(text)
        return code

    @staticmethod
    def _code(text: str) -> str:
        code = country_code(text)  # alpha-2, alpha-3 or name
        if code:
            return code
        raise ValueError(f"“{text}” is not an ISO 3166 country code or country name.")

    def render(self, value, obj=None, **kwargs):
        return getattr(value, "code", value) or ""


#: What a spreadsheet writes in a cell it has nothing for.
NOTHING = frozenset({"n/a", "na", "-", "--", "none", "null", "nil", "unknown", "not specified"})


def _one_of(text: str, noun: str, mark: str) -> str:
    """The cell's one value; a cell listing several (parts holding ``mark``: "." or "@") is refused with what
    to do about it."""
    if (";" in text or "," in text or " " in text) and sum(
        mark in part for part in re.split(r"[;,\s]+", text)
    ) > 1:
        raise ValueError(
            f"“{text}” holds more than one {noun}: keep one here (the others can go in the notes or a "
            "row of their own)."
        )
    return text


class WebsiteWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _address_text(value)
        if text.casefold() in NOTHING:
            return ""
        text = _one_of(text, "web address", ".")
        if text and "://" not in text:
            text = f"https://{text}"
        return text

    def render(self, value, obj=None, **kwargs):
        return value or ""


class NumberWidget(widgets.Widget):
    """A number cell, as ``members.cells`` reads it (English or European layout; "%" with ``percent``), in
    the layout the file writes this column in (``layout``, set by the resource for the file:
    ``cells.number_layout``), so "1.251" among decimal commas is 1251."""

    layout = ""

    def __init__(self, *, percent: bool = False):
        super().__init__()
        self.percent = percent

    def clean(self, value, row=None, **kwargs):
        return cells.decimal_of(value, percent=self.percent, layout=self.layout)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class YearWidget(widgets.Widget):
    """A year cell: a whole number, which no layout writes with a separator."""

    def clean(self, value, row=None, **kwargs):
        return cells.year_of(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class DateWidget(widgets.Widget):
    """A date cell, day first as everywhere in the project ("03/04/2026" is 3 April), unless the file writes
    this column month first (``month_first``, set by the resource for the file: ``cells.month_first``)."""

    month_first = False

    def clean(self, value, row=None, **kwargs):
        return cells.date_of(value, month_first=self.month_first)

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return _text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class SingleLineWidget(TextWidget):
    """A name: one line of plain text (``coalition.validators``), else a row error on its column."""

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        try:
            validate_single_line(text)
        except ValidationError as error:
            raise ValueError(error.messages[0]) from error
        return text


class EmailWidget(widgets.Widget):
    """Emails are stored in lower case (a database constraint), so they are compared that way too. A cell
    as mail programs and CRMs write it ("Ole Hansen <ole@example.org>", "mailto:ole@example.org") gives
    its address; one listing several addresses is refused, saying so."""

    def clean(self, value, row=None, **kwargs):
        text = _address_text(value)
        if text.casefold() in NOTHING:
            return ""
        named = re.fullmatch(r"[^<>]*<\s*([^<>\s]+)\s*>", text)
        if named:
            text = named[1]
        text = re.sub(r"(?i)^mailto:", "", text).strip()
        return _one_of(text, "email address", "@").lower()

    def render(self, value, obj=None, **kwargs):
        return value or ""


class YesNoWidget(widgets.BooleanWidget):
    """Booleans as people type them: yes/no, true/false, 1/0, x; blank is no."""

    TRUE = {"1", "true", "yes", "y", "x", "interim"}
    FALSE = {"", "0", "false", "no", "n", "final"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = _text(value).casefold()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"“{_text(value)}” is not yes or no.")

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class OrganisationWidget(widgets.Widget):
    """The ``organisation`` column of contacts and commitments, resolved through the resource's index."""

    def __init__(self, resource: OrganisationReferenceMixin) -> None:
        super().__init__()
        self.resource = resource

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            raise ValueError("Name the organisation (country code, website or name).")
        if row is not None:
            organisation = self.resource.organisation_of(row)
        else:
            organisation = self.resource.org_index.resolve(text)
        if organisation is None:
            raise ValueError(f"No organisation matches “{text}” by country code, website domain or name.")
        return organisation

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


# --- Organisation lookups, loaded once per chunk -------------------------------------------------------


@models.CharField.register_lookup
class _InArray(Lookup):
    """``column = ANY(%s)``, the values as one array parameter (PostgreSQL): what ``__in`` asks, without
    Django preparing and placing each of a chunk's thousands of keys as a parameter of its own."""

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, [str(value) for value in self.rhs]]


def _keys_in(field: str, keys: set[str]) -> Q:
    """Records whose ``field`` is one of ``keys``: one array parameter on PostgreSQL, ``IN`` elsewhere."""
    lookup = "in_array" if connection.vendor == "postgresql" else "in"
    return Q(**{f"{field}__{lookup}": sorted(keys)})


class OrganisationIndex:
    """Existing organisations by country code, website domain and normalised name, for a set of keys."""

    def __init__(self) -> None:
        self.by_country: dict[str, Organisation] = {}
        self.by_domain: dict[str, Organisation] = {}
        self.by_name: dict[str, list[Organisation]] = {}
        self.by_pk: dict[int, Organisation] = {}

    @staticmethod
    def reference_kind(text: str) -> tuple[str, str]:
        """How an ``organisation`` cell names an organisation: ("country"|"domain"|"name", key)."""
        text = _address_text(text)
        if len(text) in (2, 3) and text.isalpha() and country_code(text):
            return "country", country_code(text)
        if " " not in text and "." in text:
            return "domain", website_domain(text)
        return "name", normalise_name(text)

    def load(
        self,
        *,
        codes: Iterable[str] = (),
        domains: Iterable[str] = (),
        names: Iterable[str] = (),
        ids: Iterable[int] = (),
    ):
        codes, domains, names, ids = set(codes) - {""}, set(domains) - {""}, set(names) - {""}, set(ids)
        # One query per kind of key rather than one with OR: each is then an index scan (the names use the
        # index on name_key), where PostgreSQL plans the OR of a chunk's keys as a scan of the
        # whole table. At most three queries, whatever the number of keys.
        conditions = []
        if codes:
            conditions.append(Q(kind=Organisation.Kind.COUNTRY) & _keys_in("country", codes))
        if domains:
            conditions.append(_keys_in("website_domain", domains))
        if names:
            conditions.append(_keys_in("name_key", names))
        if ids:
            conditions.append(Q(pk__in=sorted(ids)))
        found: dict[int, Organisation] = {}
        for condition in conditions:
            queryset = Organisation.objects.filter(condition)
            for organisation in queryset.order_by():
                found.setdefault(organisation.pk, organisation)
        self.by_pk.update(found)
        for _, organisation in sorted(found.items()):
            if organisation.kind == Organisation.Kind.COUNTRY and organisation.country:
                self.by_country.setdefault(organisation.country.code, organisation)
            if organisation.website_domain:
                self.by_domain.setdefault(organisation.website_domain, organisation)
            if organisation.name_key:  # a name of no letters matches no other (``normalise_name``)
                self.by_name.setdefault(organisation.name_key, []).append(organisation)
        return self

    def match(self, *, kind: str, country: str, domain: str, name: str) -> Organisation | None:
        """The record an organisation row stands for, by the precedence in the module docstring."""
        if kind == Organisation.Kind.COUNTRY and country:
            return self.by_country.get(country)
        if domain and domain in self.by_domain:
            return self.by_domain[domain]
        for candidate in self.by_name.get(name, []) if name else []:
            if domain and candidate.website_domain and candidate.website_domain != domain:
                continue  # "Acme" at acme.com is not "Acme" at acme.co.uk
            if country and candidate.country and candidate.country.code != country:
                continue  # Cambridge (GB) is not Cambridge (US)
            return candidate
        return None

    def attach(self, record) -> None:
        """Give a contact or commitment its organisation from the index, so reading ``record.organisation``
        (comparing a row with it, naming it in the preview) costs no query per row."""
        record.organisation = self.by_pk[record.organisation_id]

    def resolve_exported(self, text: str, record_id: int | None) -> Organisation | None:
        """The organisation an exported row names: the record of its ``organisation_id`` cell when that
        record is one the ``organisation`` cell could name (so a sheet from elsewhere with other ids is read
        by the cell alone), else as ``resolve`` reads the cell. Two organisations of one name ("University
        of Cambridge", GB and US) are then told apart in a sheet exported and imported back."""
        record = self.by_pk.get(record_id) if record_id else None
        if record is not None and self.names(record, text):
            return record
        return self.resolve(text)

    @staticmethod
    def names(organisation: Organisation, text: str) -> bool:
        """Whether ``text`` (an ``organisation`` cell) could name ``organisation``."""
        how, key = OrganisationIndex.reference_kind(text)
        if how == "country" and organisation.kind == Organisation.Kind.COUNTRY:
            return bool(organisation.country) and organisation.country.code == key
        if how == "domain" and organisation.website_domain == key:
            return True
        return bool(organisation.name_key) and organisation.name_key == normalise_name(text)

    def resolve(self, text: str) -> Organisation | None:
        how, key = self.reference_kind(text)
        if how == "country":
            # An organisation named so ("CAN", the Climate Action Network; "GE") before the country the
            # letters are the code of: a person who means the country writes its code or its name.
            return (self.by_name.get(normalise_name(text)) or [None])[0] or self.by_country.get(key)
        if how == "domain":
            # "350.org" may be a name as well as an address.
            return self.by_domain.get(key) or (self.by_name.get(normalise_name(text)) or [None])[0]
        # A name: the organisation of that name, else the country it names ("Danmark", "Deutschland").
        named = (self.by_name.get(key) or [None])[0]
        if named is None and (code := country_code(text)):
            return self.by_country.get(code)
        return named


# --- Base resource -------------------------------------------------------------------------------------


class _NoDiff:
    """Stands in for import-export's ``Diff`` when no HTML diff is shown (``skip_html_diff``): the real one
    renders every field of every row twice, only for the diff nobody reads."""

    def __init__(self, resource, instance, new) -> None:
        pass

    def compare_with(self, resource, instance) -> None:
        pass


class CoalitionResource(resources.ModelResource):
    """Shared behaviour: natural-key matching, in-file duplicate errors, history, safe saves."""

    #: Columns a file must have (checked before any row is read).
    required_columns: tuple[str, ...] = ()
    #: Rows are people: a file with first and last names in two columns (as CRMs and mailing tools export
    #: them) and no ``name`` column gets one, the two joined.
    person_names: bool = False
    #: The column a repeated key is reported against.
    key_column: str = ""
    #: Write a chunk's new records in one bulk insert and its changed ones in one bulk update (and, for a
    #: model with history, their history records in one insert each), instead of a query or two per row.
    #: Only for resources whose rows are plain model saves (``save_record`` not overridden): the records'
    #: ``save`` is not called, so what it derives must be in the model's ``set_derived_fields``.
    bulk_writes: bool = False

    class Meta:
        # import-export deep-copies every row's instance (the "original") for its diff and for
        # ``skip_unchanged``: most of a row's time. ``import_instance`` keeps a shallow copy instead.
        skip_diff = True

    def __init__(
        self,
        *,
        by=None,
        source_name: str = "",
        duplicate_rows: dict[int, tuple[str, str]] | None = None,
        row_offset: int = 0,
        savepoints: bool = True,
        mode: str = MODE_FILL,
        clear_blanks: bool = False,
        job_id: int | None = None,
        month_first_columns: Iterable[str] = (),
        number_layouts: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Date columns the file writes month first, and each number column's layout (``dataset_read``):
        # each resource has its own widgets.
        month_first_columns = set(month_first_columns)
        number_layouts = number_layouts or {}
        for f in self.fields.values():
            if isinstance(f.widget, DateWidget):
                f.widget.month_first = f.column_name in month_first_columns
            elif isinstance(f.widget, NumberWidget):
                f.widget.layout = number_layouts.get(f.column_name, "")
        if mode not in MODES:
            raise ValueError(f"Unknown import mode {mode!r}; use one of {', '.join(MODES)}.")
        self.mode = mode
        # Only overwrite may clear: in the other modes a blank cell never touches an existing record.
        self.clear_blanks = clear_blanks and mode == MODE_OVERWRITE
        self.job_id = job_id
        #: {row number in the chunk (1-based): [[column, before, after], …]} for every updated row.
        self.row_changes: dict[int, list[list[str]]] = {}
        self._row_number = 0
        #: The row's record as it was before the row's cells were applied (see ``import_instance``).
        self.original = None
        self._blank = None
        self.savepoints = savepoints
        self.transaction_broken = False
        self.by = by
        self.source_name = source_name
        self.duplicate_rows = duplicate_rows or {}
        self.row_offset = row_offset
        # Bulk writes only on the fast path: with a savepoint per row, each row is saved on its own.
        self.bulk = self.bulk_writes and not savepoints
        self._pending_creates: list = []
        self._pending_updates: list = []
        self._pending_update_ids: set[int] = set()

    # Keys and matching -------------------------------------------------------------------------------

    def row_key(self, row: dict[str, Any]) -> str | None:
        """The natural key of a row (None if it cannot be computed: the row will fail validation)."""
        raise NotImplementedError

    def prepare(self, dataset) -> None:
        """Load whatever ``match`` needs for the rows of ``dataset`` (a chunk), in a few queries."""

    def match(self, row: dict[str, Any]):
        raise NotImplementedError

    def get_instance(self, instance_loader, row):
        instance = self.match(row)
        if instance is not None and id(instance) in self._pending_update_ids:
            # Two rows of the chunk matched the same record (by different keys): the earlier row's change
            # is written, with its history record, before this row changes the record again.
            self.flush_pending()
        return instance

    # Hooks of the import workflow --------------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        self.prepare(dataset)

    # Matched records: modes, blank cells, protected fields, and the before → after of each change -----

    def protected_fields(self, instance) -> set[str]:
        """Attributes an import never changes on an existing record."""
        return set()

    def import_instance(self, instance, row, **kwargs):
        # What import-export's deep copy was for: the record before the row, which ``skip_row`` compares
        # with. A new record is as ``init_instance`` made it, alike for every row: one blank serves them all.
        # A matched one is copied, shallowly: applying a row replaces attribute values, never changes one.
        if instance.pk is None:
            if self._blank is None:
                self._blank = self.init_instance()
            self.original = self._blank
            return super().import_instance(instance, row, **kwargs)
        self.original = copy.copy(instance)
        shown = [f for f in self.get_import_fields() if f.attribute and not f.readonly]
        before = {f.column_name: _shown(f, instance) for f in shown}
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            self.row_changes[self._row_number] = [
                [f.column_name, before[f.column_name], after]
                for f in shown
                if (after := _shown(f, instance)) != before[f.column_name]
            ]

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if not field.attribute or field.column_name not in row:
            return super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)
        if instance.pk is None:  # a new record takes every cell (import-export's import_field, in short)
            return field.save(instance, row, is_m2m, **kwargs)
        if self.mode == MODE_SKIP or field.attribute in self.protected_fields(instance):
            return None
        if _text(row.get(field.column_name)) == "":
            if not self.clear_blanks:
                return None
        elif self.mode == MODE_FILL and not _is_empty(getattr(instance, field.attribute, None)):
            return None
        return super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        original = self.original if original is None else original
        if self.mode == MODE_SKIP and original is not None and original.pk is not None:
            return True
        # import-export's own test (``skip_unchanged``), which it skips without its deep copy.
        if not self._meta.skip_unchanged or import_validation_errors or original is None:
            return False
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget):
                return False  # compared only by resources that read such cells themselves (newsletters)
            if field.get_value(instance) != field.get_value(original):
                return False
        return True

    def before_import_row(self, row, **kwargs):
        self._row_number = kwargs.get("row_number", 0)
        for key, value in list(row.items()):
            if isinstance(value, str):
                row[key] = value.strip()
        duplicate = self.duplicate_rows.get(self.row_offset + kwargs.get("row_number", 0))
        if duplicate:
            field, message = duplicate
            raise ValidationError({field: [message]})

    def after_import(self, dataset, result, **kwargs):
        # ModelResource resets the id sequence here; ids are never imported, so there is nothing to reset.
        self.flush_pending()

    # Per-row overheads of the import workflow ---------------------------------------------------------

    def get_import_fields(self):
        # Called several times per row; the fields do not change once the resource is built.
        cached = self.__dict__.get("_import_fields")
        if cached is None:
            cached = self._import_fields = super().get_import_fields()
        return cached

    def get_diff_class(self):
        return _NoDiff if self._meta.skip_html_diff else super().get_diff_class()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Field validation here; unique and check constraints are left to the database, which enforces
        # them anyway (do_instance_save turns a violation into the constraint's message). Django would
        # otherwise spend a query per constraint per row checking them first.
        errors = dict(import_validation_errors or {})
        # Choice cells were already checked by their widgets; re-checking the 250 country choices per row
        # is most of the validation time. An organisation cell was resolved to a record loaded for this
        # chunk: Django would otherwise query, row by row, whether that record exists.
        checked = self.__dict__.get("_checked")
        if checked is None:
            checked = self._checked = [
                f.attribute
                for f in self.fields.values()
                if isinstance(f.widget, ChoiceWidget | CountryWidget | OrganisationWidget)
            ]
        try:
            instance.full_clean(
                exclude=[*errors, *checked], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    @property
    def change_reason(self) -> str:
        reason = f"Imported from {self.source_name}" if self.source_name else "Imported"
        # The job's tag lets "revert this import" find exactly the history records this import wrote.
        return f"{import_tag(self.job_id)} {reason}" if self.job_id else reason

    def record_baselines(self, pks: Iterable[int]) -> None:
        """Before an import job changes records that have no history yet (bulk-loaded ones), record their
        state as it is, so "revert this import" has a "before" to go back to."""
        if not self.job_id:
            return
        model = self._meta.model
        try:
            history = get_history_manager_for_model(model)
        except NotHistoricalModelError:
            return
        pks = set(pks)
        missing = pks - set(history.filter(id__in=pks).values_list("id", flat=True).distinct())
        if missing:
            _history_insert(
                model,
                sorted(missing),
                history_type="+",
                user=self.by or self.history_user(model._default_manager.get(pk=min(missing))),
                reason=f"Before {import_tag(self.job_id)[:-1].lower()}",
                # Strictly earlier than the import's own record, so it is that record's previous one.
                date=timezone.now() - timedelta(seconds=1),
            )

    def history_user(self, instance):
        """Who history records name (as simple-history decides: the importing user, else the request's)."""
        if self.by is not None:
            return self.by
        return get_history_manager_for_model(type(instance)).model.get_default_history_user(instance)

    def do_instance_save(self, instance, is_create):
        if self.by is not None:
            instance._history_user = self.by
        instance._change_reason = self.change_reason
        if not is_create and not self.bulk:
            self.record_baselines([instance.pk])
        if self.bulk:
            if is_create:
                self._pending_creates.append(instance)
            else:
                self._pending_updates.append(instance)
                self._pending_update_ids.add(id(instance))
            return
        if not self.savepoints:
            # Fast path: no savepoint per row. A constraint violation aborts the chunk's transaction, so it
            # is flagged for the caller to roll the chunk back and run it again with savepoints.
            try:
                self.save_record(instance, is_create)
            except IntegrityError:
                self.transaction_broken = True
                raise
            return
        # A savepoint per row: a constraint that only the database checks fails this row alone.
        try:
            with transaction.atomic():
                self.save_record(instance, is_create)
        except IntegrityError as error:
            raise ValidationError({NON_FIELD_ERRORS: [_integrity_message(type(instance), error)]}) from error

    def save_record(self, instance, is_create: bool) -> None:
        instance.save(force_insert=is_create)
        _record_search_words([instance])

    def flush_pending(self) -> None:
        """Write the records collected by ``do_instance_save`` (bulk writes), with their history records.

        What ``save`` would do is done here: derived fields, ``auto_now`` timestamps, every column written.
        If the database refuses any of them (or anything else goes wrong), the chunk is flagged, so the
        caller rolls it back and imports it again with a savepoint per row, where a refused row fails
        alone with its reason.
        """
        creates, updates = self._pending_creates, self._pending_updates
        self._pending_creates, self._pending_updates, self._pending_update_ids = [], [], set()
        if not (creates or updates) or self.transaction_broken:
            return
        model = self._meta.model
        try:
            get_history_manager_for_model(model)
        except NotHistoricalModelError:
            history = None
        else:
            history = {"user": self.history_user((creates or updates)[0]), "reason": self.change_reason}
        try:
            if creates:
                for instance in creates:
                    self.prepare_bulk_write(instance)
                model._default_manager.bulk_create(creates)
                if history is not None:
                    _history_insert(
                        model, [i.pk for i in creates], history_type="+", date=timezone.now(), **history
                    )
            if updates:
                self.record_baselines(instance.pk for instance in updates)
                columns = [f for f in model._meta.concrete_fields if not f.primary_key]
                for instance in updates:
                    self.prepare_bulk_write(instance)
                    for column in columns:  # as Model.save does: auto_now fields take the time
                        setattr(instance, column.attname, column.pre_save(instance, False))
                _bulk_update(model, updates, columns)
                if history is not None:
                    _history_insert(
                        model, [i.pk for i in updates], history_type="~", date=timezone.now(), **history
                    )
            _record_search_words([*creates, *updates])
        except DatabaseError:
            self.transaction_broken = True
        except Exception:  # noqa: BLE001 - row by row, whatever it is fails the rows it concerns, as before
            log.exception("bulk write of %s failed; importing the chunk row by row", model._meta.label)
            self.transaction_broken = True

    def prepare_bulk_write(self, instance) -> None:
        """What the record's ``save`` does before writing, for bulk writes that skip it."""
        derive = getattr(instance, "set_derived_fields", None)
        if derive is not None:
            derive()


def _bulk_update(model, instances: list, fields: list) -> None:
    """Write ``fields`` of ``instances`` in one ``UPDATE … FROM unnest(…)``, as ``bulk_update`` would.

    ``bulk_update`` builds a ``CASE`` expression per field with a branch per record: for a chunk's few
    updated records that costs far more than the query. The values go as one array per column, prepared
    for the database by their fields as ``bulk_update`` prepares them. Fields or values that do not fit in
    an array (the exceptions Django's own ``UNNEST`` insert makes), and every database but PostgreSQL (SQLite,
    the embedded default), go through ``bulk_update`` instead.
    """
    columns = [model._meta.pk, *fields]
    arrays = [[f.get_db_prep_save(getattr(i, f.attname), connection) for i in instances] for f in columns]
    if (
        connection.vendor != "postgresql"
        or any(
            hasattr(f, "get_placeholder")
            or (f.target_field if f.is_relation else f).get_internal_type() not in connection.data_types
            for f in columns
        )
        or any(hasattr(v, "resolve_expression") or hasattr(v, "as_sql") for array in arrays for v in array)
    ):
        model._default_manager.bulk_update(instances, [f.name for f in fields])
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    casts = ", ".join(f"%s::{f.db_type(connection).split('(')[0]}[]" for f in columns)
    names = ", ".join(f"c{n}" for n in range(len(columns)))
    assignments = ", ".join(f"{qn(f.column)} = v.c{n}" for n, f in enumerate(columns) if n)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} "  # noqa: S608 - names; the values go as parameters
            f"FROM unnest({casts}) AS v({names}) WHERE {table}.{qn(columns[0].column)} = v.c0",
            arrays,
        )


def _history_insert(model, pks: list[int], *, history_type: str, user, reason: str, date) -> None:
    """History records for the records ``pks`` as the database now holds them, in one ``INSERT … SELECT``.

    What simple-history's ``bulk_history_create`` writes (every tracked column, who, why, when and the kind
    of change, in the order of ``pks``), without building a historical instance per record in Python and
    sending every value back; all records share one ``date``.
    """
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = get_history_manager_for_model(model).model
    # A relation column to fill as well, or a database without arrays (SQLite): simple-history's own way.
    if hasattr(history, "history_relation") or connection.vendor != "postgresql":
        records = model._default_manager.in_bulk(pks)
        get_history_manager_for_model(model).bulk_history_create(
            [records[pk] for pk in pks],
            update=history_type == "~",
            default_user=user,
            default_change_reason=reason,
            default_date=date,
        )
        return
    qn = connection.ops.quote_name
    columns = ", ".join(qn(history._meta.get_field(f.name).column) for f in history.tracked_fields)
    meta = [
        qn(history._meta.get_field(name).column)
        for name in ("history_date", "history_change_reason", "history_type", "history_user")
    ]
    source = ", ".join(f"t.{qn(f.column)}" for f in history.tracked_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(history._meta.db_table)} ({columns}, {', '.join(meta)}) "  # noqa: S608 - names
            f"SELECT {source}, %s, %s, %s, %s "
            f"FROM unnest(%s::bigint[]) WITH ORDINALITY AS k(pk, n) "
            f"JOIN {qn(model._meta.db_table)} t ON t.{qn(model._meta.pk.column)} = k.pk ORDER BY k.n",
            [date, reason, history_type, getattr(user, "pk", None), list(pks)],
        )


def _integrity_message(model, error: IntegrityError) -> str:
    """The model's own words for the constraint the database enforced."""
    text = str(error)
    for constraint in model._meta.constraints:
        if constraint.name in text:
            return str(constraint.get_violation_error_message())
    return "The database refused this row: " + text.splitlines()[0]


class OrganisationReferenceMixin:
    """For resources whose rows name an organisation in an ``organisation`` column."""

    org_index: OrganisationIndex

    def load_organisations(self, dataset) -> None:
        codes, domains, names = set(), set(), set()
        column = dataset.headers.index("organisation") if "organisation" in dataset.headers else None
        if column is not None:
            for data in dataset:
                text = _text(data[column])
                if not text:
                    continue
                how, key = OrganisationIndex.reference_kind(text)
                {"country": codes, "domain": domains, "name": names}[how].add(key)
                names.add(normalise_name(text))
                if how == "name" and (code := country_code(text)):
                    codes.add(code)
        ids = {i for row in dataset.dict if (i := self.organisation_id(row))}
        self.org_index = OrganisationIndex().load(codes=codes, domains=domains, names=names, ids=ids)

    @staticmethod
    def organisation_id(row: dict[str, Any]) -> int | None:
        """The ``organisation_id`` cell of a row (the exports write it beside the organisation's name)."""
        return record_id(row.get("organisation_id"))

    def organisation_of(self, row: dict[str, Any]) -> Organisation | None:
        """The organisation a row names (``OrganisationIndex.resolve_exported``)."""
        return self.org_index.resolve_exported(_text(row.get("organisation")), self.organisation_id(row))

    @staticmethod
    def organisation_key(row: dict[str, Any]) -> str | None:
        text = _text(row.get("organisation"))
        if not text:
            return None
        how, key = OrganisationIndex.reference_kind(text)
        return f"{how}:{key}"


# --- Organisations -------------------------------------------------------------------------------------


class OrganisationResource(CoalitionResource):
    id = fields.Field(attribute="id", column_name="id", readonly=True, widget=widgets.IntegerWidget())
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    kind = fields.Field(
        attribute="kind",
        column_name="kind",
        widget=ChoiceWidget(Organisation.Kind.choices, noun="kind of organisation", required=True),
    )
    country = fields.Field(attribute="country", column_name="country", widget=CountryWidget())
    sector = fields.Field(
        attribute="sector",
        column_name="sector",
        widget=ChoiceWidget(Organisation.Sector.choices, noun="sector"),
    )
    website = fields.Field(attribute="website", column_name="website", widget=WebsiteWidget())
    website_domain = fields.Field(attribute="website_domain", column_name="website_domain", readonly=True)
    description = fields.Field(attribute="description", column_name="description", widget=TextWidget())
    listed_publicly = fields.Field(
        attribute="listed_publicly", column_name="listed_publicly", widget=YesNoWidget()
    )
    preferred_language = fields.Field(
        attribute="preferred_language",
        column_name="preferred_language",
        widget=ChoiceWidget(settings.LANGUAGES, noun="language", default="en"),
    )

    required_columns = ("name", "kind")
    key_column = "name"
    bulk_writes = True

    class Meta:
        model = Organisation
        fields = (
            "id",
            "name",
            "kind",
            "country",
            "sector",
            "website",
            "website_domain",
            "description",
            "listed_publicly",
            "preferred_language",
        )
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._parts: dict[tuple, tuple[str, str, str, str]] = {}

    def _row_parts(self, row: dict[str, Any]) -> tuple[str, str, str, str]:
        # Worked out for each row by ``prepare`` and again by ``match``: remembered for the chunk, by the
        # cells exactly as they are (their types too: a name cell of 2050.0 is not one of 2050). Not for
        # the whole file: a file of 400,000 rows would hold them all in memory for the length of the import.
        cells = (row.get("kind"), row.get("country"), row.get("website"), row.get("name"))
        key = tuple((type(cell), cell) for cell in cells)
        parts = self._parts.get(key)
        if parts is None:
            parts = self._parts[key] = self._work_out_row_parts(row)
        return parts

    def _work_out_row_parts(self, row: dict[str, Any]) -> tuple[str, str, str, str]:
        try:
            kind = self.fields["kind"].widget.clean(row.get("kind"))
        except ValueError:
            kind = ""
        try:
            country = self.fields["country"].widget.clean(row.get("country"))
        except ValueError:
            country = ""
        try:
            domain = website_domain(WebsiteWidget().clean(row.get("website")))
        except ValueError:
            domain = ""  # the row fails on its website cell
        return kind, country, domain, normalise_name(row.get("name"))

    @staticmethod
    def exported_id(row: dict[str, Any]) -> int | None:
        """The ``id`` cell of a row of a sheet this project exported (one with its ``website_domain``
        column, which only the export writes): the record the row came from. A sheet from elsewhere may
        have an ``id`` column of its own, which names nothing here, so it is read only in an export."""
        return record_id(row.get("id")) if "website_domain" in row else None

    def _exported(self, row: dict[str, Any], *, load: bool = False) -> Organisation | None:
        """The record an exported row came from, if it is still there and of the row's kind."""
        pk = self.exported_id(row)
        if pk is None:
            return None
        record = Organisation.objects.filter(pk=pk).first() if load else self.index.by_pk.get(pk)
        kind = self._row_parts(row)[0]
        return record if record is not None and (not kind or record.kind == kind) else None

    def row_key(self, row):
        if (pk := self.exported_id(row)) is not None:
            return f"id {pk}"
        kind, country, domain, name = self._row_parts(row)
        if kind == Organisation.Kind.COUNTRY and country:
            return f"country code {country}"
        if domain:
            return f"website domain {domain}"
        return f"name “{_text(row.get('name'))}”" if name else None

    def key_field(self, row) -> str:
        key = self.row_key(row) or ""
        if key.startswith("id "):
            return "id"
        return "country" if key.startswith("country") else "website" if key.startswith("website") else "name"

    def same_name_message(self, row, earlier: int) -> str:
        return (
            f"“{_text(row.get('name'))}” is the organisation on row {earlier} of this file (the same name, "
            "and no other website or country): give it one row."
        )

    def name_parts(self, row) -> tuple[str, str, str] | None:
        """(name key, website domain, country) of a row that matching by name could join to another's
        record (``within_file_duplicates``); None for a country, which is matched by its code alone."""
        kind, country, domain, name = self._row_parts(row)
        if not name or (kind == Organisation.Kind.COUNTRY and country) or self.exported_id(row) is not None:
            return None  # a country is its code; an exported row is its record
        return name, domain, country

    def prepare(self, dataset):
        codes, domains, names = set(), set(), set()
        for data in dataset.dict:
            kind, country, domain, name = self._row_parts(data)
            if kind == Organisation.Kind.COUNTRY:
                codes.add(country)
            domains.add(domain)
            names.add(name)
        ids = {pk for data in dataset.dict if (pk := self.exported_id(data)) is not None}
        self.index = OrganisationIndex().load(codes=codes, domains=domains, names=names, ids=ids)

    def match(self, row, *, load: bool = False):
        """The record the row stands for, from the chunk's index (``prepare``); with ``load``, looked up
        for this row alone."""
        exported = self._exported(row, load=load)
        if exported is not None:
            return exported
        kind, country, domain, name = self._row_parts(row)
        if load:
            codes = [country] if kind == Organisation.Kind.COUNTRY else []
            index = OrganisationIndex().load(codes=codes, domains=[domain], names=[name])
        else:
            index = self.index
        return index.match(kind=kind, country=country, domain=domain, name=name)

    def protected_fields(self, instance) -> set[str]:
        # A country's record is named once, as the country: "Danish Ministry of Climate, country, DK"
        # matches Denmark by its code, and must not rename it.
        return {"name", "kind", "country"} if instance.kind == Organisation.Kind.COUNTRY else set()


# --- Contacts ------------------------------------------------------------------------------------------


class ContactResource(OrganisationReferenceMixin, CoalitionResource):
    organisation = fields.Field(attribute="organisation", column_name="organisation")
    organisation_id = fields.Field(
        attribute="organisation_id",
        column_name="organisation_id",
        readonly=True,
        widget=widgets.IntegerWidget(),
    )
    name = fields.Field(attribute="name", column_name="name", widget=SingleLineWidget())
    email = fields.Field(attribute="email", column_name="email", widget=EmailWidget())
    phone = fields.Field(attribute="phone", column_name="phone", widget=TextWidget())
    job_title = fields.Field(attribute="job_title", column_name="job_title", widget=TextWidget())
    is_primary = fields.Field(attribute="is_primary", column_name="is_primary", widget=YesNoWidget())
    preferred_language = fields.Field(
        attribute="preferred_language",
        column_name="preferred_language",
        widget=ChoiceWidget(settings.LANGUAGES, noun="language", default="en"),
    )

    required_columns = ("organisation", "name")
    key_column = "email"
    person_names = True
    bulk_writes = True

    class Meta:
        model = Contact
        fields = (
            "organisation",
            "organisation_id",
            "name",
            "email",
            "phone",
            "job_title",
            "is_primary",
            "preferred_language",
        )
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.org_index = OrganisationIndex()
        self.fields["organisation"].widget = OrganisationWidget(self)

    @staticmethod
    def _email(row) -> str:
        """The row's address as the email cell reads it ("Ole <ole@x>" is ole@x); as typed if unreadable."""
        try:
            return normalise_email(EmailWidget().clean(row.get("email")))
        except ValueError:
            return normalise_email(_text(row.get("email")))

    def row_key(self, row):
        organisation = self.organisation_key(row)
        email = self._email(row)
        if not organisation:
            return None
        if email:
            return f"email {email} at {_text(row.get('organisation'))}"
        name = normalise_person_name(row.get("name"))
        return f"name “{_text(row.get('name'))}” at {_text(row.get('organisation'))}" if name else None

    def key_field(self, row) -> str:
        return "email" if _text(row.get("email")) else "name"

    def prepare(self, dataset):
        self.load_organisations(dataset)
        org_ids = {o.pk for o in self.org_index.by_country.values()} | {
            o.pk for o in self.org_index.by_domain.values()
        }
        org_ids |= {o.pk for group in self.org_index.by_name.values() for o in group}
        self.contacts_by_email: dict[tuple[int, str], Contact] = {}
        self.contacts_by_name: dict[tuple[int, str], Contact] = {}
        #: The one contact of each name at an organisation who has no email yet (None: two of that name).
        self.without_email: dict[tuple[int, str], Contact | None] = {}
        if not org_ids:
            return
        # A row without an email is the person of that name at the organisation, whether or not we have
        # their address: so every contact of the chunk's organisations is loaded (a few per organisation).
        for contact in Contact.objects.filter(organisation_id__in=org_ids).order_by("pk"):
            self.org_index.attach(contact)
            if contact.email:
                self.contacts_by_email[(contact.organisation_id, contact.email)] = contact
            named = (contact.organisation_id, normalise_person_name(contact.name))
            self.contacts_by_name.setdefault(named, contact)
            if not contact.email:
                self.without_email[named] = None if named in self.without_email else contact

    def name_parts(self, row) -> tuple[str, str, str] | None:
        """(organisation and person's name, email, "") of a row, for ``within_file_duplicates``: two rows
        of one name at one organisation, one of them without an email, are one person twice."""
        organisation, name = self.organisation_key(row), normalise_person_name(row.get("name"))
        if not organisation or not name:
            return None
        return f"{organisation}|{name}", self._email(row), ""

    def same_name_message(self, row, earlier: int) -> str:
        return (
            f"“{_text(row.get('name'))}” at {_text(row.get('organisation'))} is the person on row "
            f"{earlier} of this file (the same name, and no other email): give them one row."
        )

    def match(self, row, *, load: bool = False):
        """The contact the row stands for, from the chunk's index (``prepare``); with ``load``, looked up
        for this row alone."""
        if load:
            alone = type(self)()
            alone.prepare(tablib.Dataset([row.get(h) for h in row], headers=list(row)))
            return alone.match(row)
        organisation = self.organisation_of(row)
        if organisation is None:
            return None
        email = self._email(row)
        named = (organisation.pk, normalise_person_name(row.get("name")))
        if email:
            # Else the person of that name there whom we have no address for (a sign-in sheet, then a
            # mailing list): the row gives them one. Not when two people there have that name.
            found = self.contacts_by_email.get((organisation.pk, email))
            return found if found is not None else self.without_email.get(named)
        return self.contacts_by_name.get(named)


# --- Commitments ---------------------------------------------------------------------------------------


class CommitmentResource(OrganisationReferenceMixin, CoalitionResource):
    organisation = fields.Field(attribute="organisation", column_name="organisation")
    organisation_id = fields.Field(
        attribute="organisation_id",
        column_name="organisation_id",
        readonly=True,
        widget=widgets.IntegerWidget(),
    )
    kind = fields.Field(
        attribute="kind",
        column_name="kind",
        widget=ChoiceWidget(Commitment.Kind.choices, noun="kind of target", required=True),
    )
    title = fields.Field(attribute="title", column_name="title", widget=TextWidget())
    target_year = fields.Field(attribute="target_year", column_name="target_year", widget=YearWidget())
    reduction_percent = fields.Field(
        attribute="reduction_percent", column_name="reduction_percent", widget=NumberWidget(percent=True)
    )
    baseline_year = fields.Field(attribute="baseline_year", column_name="baseline_year", widget=YearWidget())
    baseline_emissions_mtco2e = fields.Field(
        attribute="baseline_emissions_mtco2e",
        column_name="baseline_emissions_mtco2e",
        widget=NumberWidget(),
    )
    status = fields.Field(
        attribute="status",
        column_name="status",
        widget=ChoiceWidget(Commitment.Status.choices, noun="status", default=Commitment.Status.PLEDGE),
    )
    gases = fields.Field(
        attribute="gases",
        column_name="gases",
        widget=ChoiceWidget(Commitment.Gases.choices, noun="gas coverage", default=Commitment.Gases.UNKNOWN),
    )
    scope = fields.Field(
        attribute="scope",
        column_name="scope",
        widget=ChoiceWidget(Commitment.Scope.choices, noun="scope", default=Commitment.Scope.UNKNOWN),
    )
    uses_removals = fields.Field(
        attribute="uses_removals",
        column_name="uses_removals",
        widget=ChoiceWidget(Commitment.Usage.choices, noun="answer", default=Commitment.Usage.UNKNOWN),
    )
    uses_offsets = fields.Field(
        attribute="uses_offsets",
        column_name="uses_offsets",
        widget=ChoiceWidget(Commitment.Usage.choices, noun="answer", default=Commitment.Usage.UNKNOWN),
    )
    is_interim = fields.Field(attribute="is_interim", column_name="is_interim", widget=YesNoWidget())
    announced_on = fields.Field(attribute="announced_on", column_name="announced_on", widget=DateWidget())
    source_url = fields.Field(attribute="source_url", column_name="source_url", widget=WebsiteWidget())
    notes = fields.Field(attribute="notes", column_name="notes", widget=TextWidget())

    required_columns = ("organisation", "kind")
    key_column = "target_year"

    class Meta:
        model = Commitment
        fields = (
            "organisation",
            "organisation_id",
            *Commitment.TARGET_FIELDS,
        )
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.org_index = OrganisationIndex()
        self.fields["organisation"].widget = OrganisationWidget(self)

    def _key_parts(self, row) -> tuple[str, int | None, bool] | None:
        try:
            kind = self.fields["kind"].widget.clean(row.get("kind"))
            year = cells.year_of(row.get("target_year"))
            interim = YesNoWidget().clean(row.get("is_interim"))
        except ValueError:
            return None
        return kind, year, interim

    def row_key(self, row):
        organisation, parts = self.organisation_key(row), self._key_parts(row)
        if not organisation or not parts or not parts[0]:
            return None
        kind, year, interim = parts
        stage = "interim" if interim else "final"
        return f"{stage} {kind} target for {year or 'no year'} of {_text(row.get('organisation'))}"

    def key_field(self, row) -> str:
        return "target_year"

    def prepare(self, dataset):
        self.load_organisations(dataset)
        org_ids = {o.pk for o in self.org_index.by_country.values()} | {
            o.pk for o in self.org_index.by_domain.values()
        }
        org_ids |= {o.pk for group in self.org_index.by_name.values() for o in group}
        self.existing: dict[tuple[int, str, int | None, bool], Commitment] = {}
        for commitment in Commitment.objects.filter(organisation_id__in=org_ids).order_by("pk"):
            self.org_index.attach(commitment)
            key = (commitment.organisation_id, commitment.kind, commitment.target_year, commitment.is_interim)
            self.existing.setdefault(key, commitment)

    def match(self, row):
        organisation = self.organisation_of(row)
        parts = self._key_parts(row)
        if organisation is None or parts is None:
            return None
        return self.existing.get((organisation.pk, *parts))

    def save_record(self, instance, is_create):
        # Through the commitment services, so campaigns hear of imported targets (hook commitment_recorded).
        if is_create:
            values = {
                f.attname: getattr(instance, f.attname)
                for f in Commitment._meta.concrete_fields
                if not f.primary_key and f.attname not in {"organisation_id", "created_at", "updated_at"}
            }
            # The import's change reason tags the history record, so "revert this import" finds it.
            saved = services.commitment_create(
                organisation=instance.organisation, by=self.by, reason=self.change_reason, **values
            )
            instance.pk, instance.created_at, instance.updated_at = (
                saved.pk,
                saved.created_at,
                saved.updated_at,
            )
        else:
            services.commitment_update(commitment=instance, by=self.by, reason=self.change_reason)
