"""Reading a spreadsheet the way a person would: any of ``,``, ``;`` or tab between cells, a BOM or none,
quoted cells holding the delimiter, and rows of group headers ("Targets", "Coverage", …) above the real
header row, as the Net Zero Tracker's download has.

``read_table`` returns the header row it found and the data rows below it, padded to the header's width;
it never guesses silently between two readings: a file it cannot read raises ``ValidationError``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DELIMITERS = ",;\t"
#: The longest cell read (Python's csv module stops at 128 KiB): a long pasted description is a cell like any
#: other. The upload's own size limit bounds it anyway.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
#: How far down a file the real header row is looked for.
HEADER_SEARCH_ROWS = 10


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    #: 0-based index of the header row in the file (1 when one group-header row sits above it).
    header_index: int = 0
    delimiter: str = ","
    #: The sheet's hidden rows (by a filter or by hand), as the spreadsheet numbers them; XLSX only.
    hidden_rows: list[int] = field(default_factory=list)

    def numbered_rows(self) -> list[tuple[int, list[Any]]]:
        """The rows holding anything, each with its number as the spreadsheet shows it (the header row's
        own, and the empty rows left out, counted)."""
        first = self.header_index + 2
        return [(first + index, row) for index, row in enumerate(self.rows) if _filled(row)]


def normalise_header(value: Any) -> str:
    """``End target year`` and ``End_target_year`` are the same column: lower case, words joined by ``_``."""
    return "_".join(str(value or "").strip().lower().split())


def _utf16(content: bytes) -> str | None:
    """The name of the UTF-16 byte order ``content`` is in, if it is UTF-16 text ("Unicode Text" from Excel:
    tab-separated, with a BOM; or without one, where every other byte of plain text is zero)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = content[:400]
    if len(head) >= 4 and len(head) % 2 == 0:
        if head[1::2].count(0) == len(head) // 2 and head[0::2].count(0) == 0:
            return "utf-16-le"
        if head[0::2].count(0) == len(head) // 2 and head[1::2].count(0) == 0:
            return "utf-16-be"
    return None


def _windows_1252_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Read the bytes a UTF-8 reading stopped at as Windows-1252 (see ``decode``)."""
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


#: The codecs error handler reading a UTF-8 file's stray bytes as Windows-1252.
UTF8_ELSE_WINDOWS_1252 = "coalition-utf8-else-cp1252"
codecs.register_error(UTF8_ELSE_WINDOWS_1252, _windows_1252_bytes)

#: A UTF-8 letter or sign of two, three or four bytes (RFC 3629: no overlong forms, no surrogates).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
#: Every byte outside ASCII.
_HIGH_BYTES = bytes(range(0x80, 0x100))


def _mostly_utf8(content: bytes) -> bool:
    """Whether a file that is not all UTF-8 holds at least as many UTF-8 letters as bytes that are not:
    a UTF-8 file with an "é" or a dash pasted from another program, rather than a Windows-1252 or Mac Roman
    file where two bytes happen to spell a UTF-8 letter ("É" then "’")."""
    sequences = _UTF8_SEQUENCE.findall(content)
    if not sequences:
        return False
    high = len(content) - len(content.translate(None, _HIGH_BYTES))
    return len(sequences) >= high - sum(len(sequence) for sequence in sequences)


#: Bytes that in Mac Roman are accented letters, most of them lower-case (é is 0x8E, ü 0x9F, ã 0x8B, ä 0x8A),
#: but in Windows-1252 are rare signs (‚ „ † ‡ ˆ ‰ ‹ ˜ ›) or capitals (Š Œ Ž Ÿ). Left out: the punctuation
#: Windows-1252 text is full of (€ … ‘ ’ “ ” • – — ™) and its lower-case š œ ž, which are letters in both.
_MAC_ROMAN_LETTERS = rb"\x82-\x84\x86-\x8c\x8e\x98\x9b\x9f"
#: Mac Roman's Å ç è ê ù, the bytes Windows-1252 leaves unassigned (no Windows-1252 text holds them), or one
#: of the letters above inside a word: after a letter, with a lower-case letter on one side.
_MAC_ROMAN_LETTER = re.compile(
    rb"[\x81\x8d\x8f\x90\x9d]|[a-z][%s]|[A-Z][%s](?=[a-z])" % (_MAC_ROMAN_LETTERS, _MAC_ROMAN_LETTERS)
)
#: Bytes that in Windows-1252 are ß and the lower-case accented letters (à to ÿ), but in Mac Roman rare
#: signs and capitals.
_WINDOWS_1252_LETTERS = re.compile(rb"[\xdf-\xf6\xf8-\xff]")


def _is_mac_roman(content: bytes) -> bool:
    """Whether a file that is not UTF-8 is Mac Roman (Excel for Mac's "Comma Separated Values") rather than
    Windows-1252. Mac Roman's accented letters sit inside words (the two "é" of "Société"), where their
    Windows-1252 reading, a sign or a capital ("SociŽtŽ"), does not; it is Mac Roman when more bytes read so
    (or are unassigned in Windows-1252) than read as Windows-1252's own lower-case letters. Anything in
    doubt stays Windows-1252: a capital Ž or Š starting a word, or a Mac Roman "ö", "ñ", "ó" or "Ø", which
    read as a letter or common punctuation in Windows-1252 too."""
    mac = sum(1 for _match in _MAC_ROMAN_LETTER.finditer(content))
    return mac > sum(1 for _match in _WINDOWS_1252_LETTERS.finditer(content))


def decode(content: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode Text"), else Windows-1252 or Mac Roman: the
    encodings spreadsheets save text in. A UTF-8 file with a few bytes that are not (an "é" pasted from
    another program) keeps its UTF-8 and reads those bytes as Windows-1252: read all as Windows-1252, every
    other accented letter would be garbled ("SociÃ©tÃ©"). A file that is none of them (a PDF, an old .xls
    renamed) is refused."""
    encoding = _utf16(content)
    if encoding:
        try:
            return content.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            pass
    if b"\x00" in content[:4096]:
        raise ValidationError(
            {"file": [_("This is not a text file. Save it from the spreadsheet as CSV (UTF-8) or as .xlsx.")]}
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(content):
        return content.decode("utf-8-sig", errors=UTF8_ELSE_WINDOWS_1252)
    encoding = "mac_roman" if _is_mac_roman(content) else "cp1252"
    return content.decode(encoding, errors="replace").lstrip("\ufeff")


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one of ``,``, ``;``, tab that splits the first lines most evenly."""
    sample = "\n".join(text.splitlines()[: HEADER_SEARCH_ROWS + 20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    # The sniffer gives up on ragged files (group-header rows are shorter): count cells per candidate.
    best, best_cells = ",", 0
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue  # not this delimiter's reading; read_csv words any error the chosen one meets
        cells = max((len(r) for r in rows), default=0)
        if cells > best_cells:
            best, best_cells = delimiter, cells
    return best


def _filled(row: Iterable[Any]) -> int:
    return sum(1 for value in row if str(value if value is not None else "").strip())


def find_header(rows: list[list[Any]], known: Iterable[str] = ()) -> int:
    """The index of the header row among the first rows: the one naming most known columns, else the first
    row as full as the fullest (group headers span several columns, so they leave cells empty)."""
    head = rows[:HEADER_SEARCH_ROWS]
    if not head:
        return 0
    known = {normalise_header(k) for k in known}
    if known:
        scores = [sum(1 for v in row if normalise_header(v) in known) for row in head]
        best = max(scores)
        if best:
            return scores.index(best)
    widest = max(_filled(row) for row in head)
    return next(i for i, row in enumerate(head) if _filled(row) == widest)


def _table(rows: list[list[Any]], known: Iterable[str], delimiter: str = ",") -> Table:
    rows = [list(r) for r in rows]
    if not rows or not any(_filled(r) for r in rows):
        raise ValidationError({"file": [_("The file is empty: it needs a header row and at least one row.")]})
    index = find_header(rows, known)
    headers = [str(h if h is not None else "").strip() for h in rows[index]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    body = []
    for row in rows[index + 1 :]:
        row = (row + [None] * width)[:width]
        body.append(row)
    return Table(headers=headers, rows=body, header_index=index, delimiter=delimiter)


def read_csv(content: bytes, *, known: Iterable[str] = ()) -> Table:
    text = decode(content)
    delimiter = sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ValidationError({"file": [_("The file could not be read as CSV: %s") % error]}) from error
    _refuse_unclosed_quote(rows, delimiter)
    return _table(rows, known, delimiter)


def _refuse_unclosed_quote(rows: list[list[str]], delimiter: str) -> None:
    """A cell that opens a quote and never closes it swallows every later line of the file: those rows
    would silently be one cell, the file's last. A last cell holding several lines that each look like a row
    of the file (as many delimiters as the header has) is that, and the file is refused, naming the line.
    (A cell of several lines that is closed, an address, ends before the file does.)"""
    width = max((len(row) for row in rows[:HEADER_SEARCH_ROWS]), default=0)
    if width < 2 or not rows:
        return
    for cell in rows[-1]:
        lines = cell.splitlines() if cell.count("\n") >= 2 else []
        if sum(1 for text in lines if text.count(delimiter) >= width - 1) >= 2:
            # The last row starts on the line after every earlier row's lines (and their cells' own).
            line = 1 + sum(1 + sum(c.count("\n") for c in row) for row in rows[:-1])
            message = _(
                "A quote mark opened on line %(line)s of the file is never closed, so every line after it "
                "would be read as one cell. Close or remove that quote mark and upload the file again."
            )
            raise ValidationError({"file": [message % {"line": line}]})


def _cell_value(cell) -> Any:
    """A cell's value; a number the sheet shows as a percentage (45 %, stored as 0.45) as the text people
    see ("45%"), so a percentage column reads 45 and not 0.45."""
    value = getattr(cell, "value", None)
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and "%" in (getattr(cell, "number_format", "") or "")
    ):
        return f"{(Decimal(repr(value)) * 100).normalize():f}%"
    return value


def _sheet_of(workbook, known: Iterable[str]):
    """The sheet whose top rows name most of the ``known`` columns (a workbook may open on notes or a
    cover sheet, or name its data sheet otherwise); the first sheet when none names any."""
    known = {normalise_header(k) for k in known}
    best, best_score = workbook.worksheets[0], 0
    for worksheet in workbook.worksheets:
        head = worksheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
        score = max((sum(1 for v in row if normalise_header(v) in known) for row in head), default=0)
        if score > best_score:
            best, best_score = worksheet, score
    return best


def read_xlsx(content: bytes, *, known: Iterable[str] = (), sheet: str = "") -> Table:
    """The named sheet if the workbook has it, else the one whose header names most ``known`` columns."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds of error on a broken file
        raise ValidationError({"file": [_("The file could not be read as XLSX: %s") % error]}) from error
    try:
        for each in workbook.worksheets:
            # A sheet's recorded size reaches as far as any formatting does (a styled column goes down to
            # row 1,048,576), and openpyxl pads every row to it: each row is read as far as its own cells.
            each.reset_dimensions()
        worksheet = workbook[sheet] if sheet and sheet in workbook.sheetnames else _sheet_of(workbook, known)
        rows = _sheet_rows(worksheet)
        uncalculated = _uncalculated_formulas(worksheet)
        hidden = _hidden_rows(worksheet)
    finally:
        workbook.close()
    table = _table(rows, known)
    _refuse_uncalculated(table, uncalculated)
    table.hidden_rows = [row for row in hidden if row > table.header_index + 1]
    return table


def _sheet_xml(worksheet) -> bytes:
    """The XML of a sheet opened read-only (empty if the reader does not say where it is)."""
    path = getattr(worksheet, "_worksheet_path", None)
    archive = getattr(getattr(worksheet, "parent", None), "_archive", None)
    if not path or archive is None:
        return b""
    with archive.open(path) as stream:
        return stream.read()


#: A row element's start tag in a sheet's XML, with or without a namespace prefix.
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"""\br=["'](\d+)["']""")
_ROW_HIDDEN = re.compile(rb"""\bhidden=["'](?:1|true)["']""")


def _hidden_rows(worksheet) -> list[int]:
    """The numbers of the rows the sheet hides (a filter, or rows hidden by hand). The read-only reader
    does not report them, so they are read from the sheet's XML: ``<row r="5" hidden="1">``."""
    xml = _sheet_xml(worksheet)
    hidden = []
    for match in _ROW_TAG.finditer(xml):
        attributes = match.group(1)
        number = _ROW_NUMBER.search(attributes)
        if number and _ROW_HIDDEN.search(attributes):
            hidden.append(int(number.group(1)))
    return hidden


def _sheet_rows(worksheet) -> list[list[Any]]:
    """The sheet's rows from row 1, as lists of cell values. An empty row between rows holding something is
    kept, as an empty list (the row numbers people see count it); the empty rows after the last one are
    never held: a sheet formatted down to its last row is a million of them."""
    rows: list[list[Any]] = []
    empty = 0
    for cells in worksheet.iter_rows():
        if not cells or all(getattr(cell, "value", None) is None for cell in cells):
            empty += 1
            continue
        rows.extend([] for _ in range(empty))
        empty = 0
        rows.append([_cell_value(cell) for cell in cells])
    return rows


#: A formula cell (``<f>``) in a sheet's XML, with or without a namespace prefix.
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")


def _uncalculated_formulas(worksheet) -> list[tuple[int, int]]:
    """The (row, column) numbers of the cells holding a formula whose result was never saved. Excel and
    LibreOffice save each formula's result with it; a workbook written by a program (openpyxl, a script)
    often saves the formula alone, and such a cell reads as empty. A formula whose result is an empty text
    (``t="str"``) has its result saved, empty."""
    xml = _sheet_xml(worksheet)
    if not _FORMULA.search(xml):
        return []
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
    from openpyxl.xml.functions import iterparse  # the parser openpyxl reads the same sheet with

    found = []
    for _event, element in iterparse(io.BytesIO(xml)):
        if element.tag.rpartition("}")[2] != "c":
            continue
        children = {child.tag.rpartition("}")[2]: child for child in element}
        if (
            "f" in children
            and element.get("t") != "str"
            and not (children.get("v") is not None and (children["v"].text or ""))
        ):
            reference = element.get("r")
            if reference:
                column, row = coordinate_from_string(reference)
                found.append((row, column_index_from_string(column)))
            else:  # a writer that leaves positions out: the cell is somewhere in the data
                found.append((0, 0))
        element.clear()
    return found


def _refuse_uncalculated(table: Table, cells: list[tuple[int, int]]) -> None:
    """Refuse a sheet whose header row or data hold formulas without results: read as empty, they would
    blank what they stand for. (Formulas in a column without a heading, or above the header, are not read.)
    The table's rows and columns count from A1, wherever the sheet's recorded size starts."""
    from openpyxl.utils import get_column_letter

    read = [
        (row, column)
        for row, column in cells
        if not row
        or (
            row - 1 >= table.header_index
            and 0 <= column - 1 < len(table.headers)
            and table.headers[column - 1]
        )
    ]
    if not read:
        return
    named = ", ".join(f"{get_column_letter(column)}{row}" if row else "?" for row, column in sorted(read)[:5])
    more = len(read) - 5
    message = _(
        "Cells %(cells)s hold formulas whose results were never saved in the file (it was written by a "
        "program, not saved by a spreadsheet), so their values cannot be read. Open the file in Excel or "
        "LibreOffice, save it, and upload it again."
    ) % {"cells": named + (_(" and %(count)s more") % {"count": more} if more > 0 else "")}
    raise ValidationError({"file": [message]})


def refuse_repeated(headers: list[str], known: Iterable[str]) -> None:
    """A column an import reads must be in the file once: of two, one would silently win over the other.
    (Columns the import does not read may repeat: they are ignored anyway.)"""
    from openpyxl.utils import get_column_letter

    known, first = set(known), {}
    for index, name in enumerate(headers):
        if name in known and name in first:
            raise ValidationError(
                {
                    "file": [
                        _("The file has two “%(name)s” columns (%(first)s and %(second)s): keep one of them.")
                        % {
                            "name": name,
                            "first": get_column_letter(first[name] + 1),
                            "second": get_column_letter(index + 1),
                        }
                    ]
                }
            )
        first.setdefault(name, index)


def read_table(*, content: bytes, fmt: str, known: Iterable[str] = (), sheet: str = "") -> Table:
    """Read a CSV or XLSX file (``fmt`` is ``csv`` or ``xlsx``) into its header and data rows."""
    if fmt == "csv":
        return read_csv(content, known=known)
    if fmt == "xlsx":
        return read_xlsx(content, known=known, sheet=sheet)
    raise ValidationError({"file": [_("Unknown file format “%s”.") % fmt]})
