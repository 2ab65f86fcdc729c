"""The spreadsheet reader on the files people actually send: workbooks formatted down to the sheet's last
row, and CSV text saved in the encodings spreadsheets use (or a mix of them)."""

import io
import tracemalloc

import pytest
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


#: Short rows as members' names and places come, each of which the Mac Roman reading must not garble
#: when saved as Windows-1252, nor the Windows-1252 reading when saved as Mac Roman.
SHORT_ROWS = [
    "Société Générale,company,France\n",
    "Zürich Climate Fund,ngo,Switzerland\n",
    "São Paulo,city,Brazil\n",
    "Français pour le climat,ngo,France\n",
    "L’Oréal,company,France\n",
    "Århus Klimaforum,ngo,Danmark\n",
    "Réseau Action Climat,ngo,Côte d'Ivoire\nØrsted,company,Danmark\nKraków,city,Poland\n",
]
#: Windows-1252 rows with bytes that Mac Roman reads as other letters (Š Ž š Œ „ ’ – € ó Ø).
WINDOWS_ONLY_ROWS = [
    "Škoda Auto,company,Czechia\n",
    "Žilina,city,Slovakia\n",
    "Košice,city,Slovakia\n",
    "Œuvre du climat,ngo,France\n",
    "„Klima-Allianz“ don’t – €5\n",
    "Kraków,city,Poland\n",
    "Ørsted,company,Danmark\n",
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "mac_roman"])
@pytest.mark.parametrize("text", SHORT_ROWS, ids=lambda text: text.split(",")[0])
def test_short_rows_read_the_same_in_utf8_windows_1252_and_mac_roman(text, encoding):
    assert csvsniff.decode(text.encode(encoding)) == text


@pytest.mark.parametrize("text", WINDOWS_ONLY_ROWS, ids=lambda text: text.split(",")[0])
def test_windows_1252_rows_with_letters_mac_roman_has_in_the_same_bytes_stay_windows_1252(text):
    assert csvsniff.decode(text.encode("cp1252")) == text


def test_a_utf8_file_with_a_stray_windows_1252_byte_keeps_its_utf8_letters():
    """An "é" or a dash typed in another program and pasted in: that byte reads as Windows-1252, and the
    rest of the file stays UTF-8 (it all read as Windows-1252: "SociÃ©tÃ©")."""
    content = (
        "name,kind\nSociété Générale,company\nZürich,ngo\n".encode() + b"Cities \x96 towns,ngo\nCaf\xe9,ngo\n"
    )

    assert csvsniff.decode(content) == (
        "name,kind\nSociété Générale,company\nZürich,ngo\nCities – towns,ngo\nCafé,ngo\n"
    )


def test_a_windows_1252_file_whose_bytes_happen_to_pair_as_utf8_reads_as_windows_1252():
    """In Windows-1252, "É" then "’" are two bytes that also spell one UTF-8 letter; the file's other
    letters are not UTF-8, so the file is Windows-1252."""
    text = "CAFÉ’S,company\nMüller Kohlenstoff,company\nSociété Générale,company\n"

    assert csvsniff.decode(text.encode("cp1252")) == text


def test_a_formula_without_its_result_is_refused_in_a_sheet_whose_data_starts_below_and_right_of_a1():
    """The sheet's recorded size then starts at B3; the cells are still counted from A1."""
    from django.core.exceptions import ValidationError

    book = Workbook()
    sheet = book.active
    sheet["B3"], sheet["C3"] = "name", "kind"
    sheet["B4"], sheet["C4"] = '="Soil " & "Carbon"', "ngo"
    out = io.BytesIO()
    book.save(out)

    with pytest.raises(ValidationError) as refused:
        csvsniff.read_table(content=out.getvalue(), fmt="xlsx", known=["name", "kind"])

    assert refused.value.message_dict["file"][0].startswith(
        "Cells B4 hold formulas whose results were never saved"
    )
