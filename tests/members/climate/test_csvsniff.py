"""The spreadsheet reader on the files people actually send: workbooks formatted down to the sheet's last
row."""

import io
import tracemalloc

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from members.climate import csvsniff

LAST_SHEET_ROW = 1_048_576


def _formatted_to_the_bottom(rows: list[list], *, notes_first: bool = False) -> bytes:
    """A workbook holding ``rows`` and one styled cell in column Z of the sheet's last row, as Excel leaves
    it when a whole column is formatted: the sheet's recorded size is then A1:Z1048576."""
    book = Workbook()
    if notes_first:
        notes = book.active
        notes.title = "Notes"
        notes.append(["Read me first"])
        notes.cell(row=LAST_SHEET_ROW, column=26).fill = PatternFill("solid", fgColor="FFFF00")
        sheet = book.create_sheet("Members")
    else:
        sheet = book.active
    for row in rows:
        sheet.append(row)
    sheet.cell(row=LAST_SHEET_ROW, column=26).fill = PatternFill("solid", fgColor="FFFF00")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MEMBERS = [
    ["name", "kind", "country"],
    ["Alpha Climate Network", "ngo", "DK"],
    [],  # an empty row between the two data rows: row 3
    ["Beta Energy", "company", "SE"],
]


def test_a_workbook_formatted_down_to_its_last_row_holds_only_its_rows_numbered_as_the_sheet_shows():
    table = csvsniff.read_table(content=_formatted_to_the_bottom(MEMBERS), fmt="xlsx", known=["name"])

    assert table.headers == ["name", "kind", "country"]
    assert table.rows == [
        ["Alpha Climate Network", "ngo", "DK"],
        [None, None, None],
        ["Beta Energy", "company", "SE"],
    ]
    assert table.numbered_rows() == [
        (2, ["Alpha Climate Network", "ngo", "DK"]),
        (4, ["Beta Energy", "company", "SE"]),
    ]


def test_reading_a_workbook_formatted_down_to_its_last_row_takes_little_memory():
    """The million empty rows below the data are passed over, not held (they took some 600 MB), on the
    sheet read and on a sheet before it, looked at for its header."""
    content = _formatted_to_the_bottom(MEMBERS, notes_first=True)

    tracemalloc.start()
    try:
        table = csvsniff.read_table(content=content, fmt="xlsx", known=["name", "kind", "country"])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [number for number, _row in table.numbered_rows()] == [2, 4]
    assert peak < 5 * 1024 * 1024, f"{peak / 1024 / 1024:.1f} MB"


def test_a_workbook_whose_data_starts_lower_down_keeps_its_row_numbers():
    content = _formatted_to_the_bottom([["Members, December"], [], ["name", "kind"], ["Gamma Fund", "ngo"]])

    table = csvsniff.read_table(content=content, fmt="xlsx", known=["name", "kind"])

    assert (table.header_index, table.numbered_rows()) == (2, [(4, ["Gamma Fund", "ngo"])])
