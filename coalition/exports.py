"""Formula-safe spreadsheets: one rule for every CSV and XLSX the product writes.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
spreadsheet programs (OWASP, "CSV Injection"), and names and motivations come from anonymous forms. Such a
text cell gets a leading apostrophe, which spreadsheets show as text. Plain numbers ("-5", "+1.5") are
left alone: they are not formulas and mean what they say.

django-import-export calls ``_escape_formulae`` on every export when
``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is on (settings); its own version only drops a leading "=",
so the admin exports use the formats below, which apply this module's rule. Hand-written CSVs call
``formula_safe_row``. Imports undo it (``formula_unsafe``), so an export imported back is unchanged.
"""

import re
from collections.abc import Iterable
from typing import Any

from import_export.formats import base_formats

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def formula_safe(value: Any) -> Any:
    """The value, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def formula_unsafe(value: Any) -> Any:
    """The value a cell held before ``formula_safe``: what an import reads from the product's own export
    ("'+45 33 92 28 00" is the phone number "+45 33 92 28 00"). Other apostrophes stay."""
    if isinstance(value, str) and value.startswith("'") and formula_safe(value[1:]) == value:
        return value[1:]
    return value


def formula_safe_row(row: Iterable[Any]) -> list[Any]:
    return [formula_safe(value) for value in row]


class _FormulaSafe:
    def _escape_formulae(self, dataset) -> None:
        for _ in range(len(dataset)):
            dataset.append(formula_safe_row(dataset.lpop()))
        dataset.headers = formula_safe_row(dataset.headers) if dataset.headers else dataset.headers


class CSV(_FormulaSafe, base_formats.CSV):
    pass


class XLSX(_FormulaSafe, base_formats.XLSX):
    pass


EXPORT_FORMATS = [CSV, XLSX]
