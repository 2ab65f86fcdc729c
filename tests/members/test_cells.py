"""Spreadsheet cells read as numbers, years and dates (``members.cells``): the reading every import uses."""

import datetime
import re
from decimal import Decimal

import pytest

from members.cells import (
    DECIMAL_COMMA,
    DECIMAL_POINT,
    EITHER_LAYOUT,
    date_of,
    decimal_of,
    month_first,
    number_layout,
    year_of,
)


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("1,250.5", "1250.5"),
        ("1.250,5", "1250.5"),
        ("1 250,5", "1250.5"),
        ("1\u202f250,5", "1250.5"),
        ("1'250.5", "1250.5"),
        ("12,5", "12.5"),
        ("1,250", "1250"),
        ("1,250,000", "1250000"),
        ("1.250.000", "1250000"),
        ("-3", "-3"),
        (2050.0, "2050.0"),
        (0.1, "0.1"),
        (7, "7"),
    ],
)
def test_a_number_in_either_layout(cell, number):
    assert decimal_of(cell) == Decimal(number)


def test_a_percentage_may_carry_its_sign_and_a_comma_is_always_decimal():
    assert decimal_of("55 %", percent=True) == 55
    assert decimal_of("12,500", percent=True) == Decimal("12.5")
    assert decimal_of("  ", percent=True) is None
    with pytest.raises(ValueError, match="“55 %” is not a number"):
        decimal_of("55 %")


@pytest.mark.parametrize(
    "cell", ["abc", "NaN", "inf", "1,2,3.4.5", True, "12-5", float("nan"), float("inf"), Decimal("NaN")]
)
def test_what_is_not_a_number_says_so(cell):
    with pytest.raises(ValueError, match=f"“{cell}” is not a number"):
        decimal_of(cell)


@pytest.mark.parametrize(
    ("column", "layout"),
    [
        (["1.251", "543,8", "1.234,5"], DECIMAL_COMMA),  # a German Excel's CSV
        (["65,0 %", "55 %", "7,5 %"], DECIMAL_COMMA),
        (["1.251", "0,1234"], DECIMAL_COMMA),  # four decimals after the comma
        (["1.250.000", "3"], DECIMAL_COMMA),
        (["1 250,5"], DECIMAL_COMMA),
        (["1,251", "12.5"], DECIMAL_POINT),
        (["1,234.5", None, ""], DECIMAL_POINT),
        (["1,250,000"], DECIMAL_POINT),
        (["1.251"], ""),  # nothing else to go on
        (["1,251", "2,500", 12.5, 7, "n/a"], ""),  # a workbook's numbers are no text layout
        (["1.250,5", "1,250.5"], EITHER_LAYOUT),
        (["543,8", "1.234,5", "52.5"], DECIMAL_COMMA),  # the odd one out contradicts its column
        (["1,251", "12.5", "0.25", "7,5"], DECIMAL_POINT),
    ],
)
def test_a_columns_number_layout_is_told_by_its_cells(column, layout):
    assert number_layout(column) == layout


@pytest.mark.parametrize(
    ("cell", "layout", "number"),
    [
        ("1.251", DECIMAL_COMMA, "1251"),
        ("1.234,5", DECIMAL_COMMA, "1234.5"),
        ("1,251", DECIMAL_COMMA, "1.251"),
        ("1.250.000", DECIMAL_COMMA, "1250000"),
        ("-3", DECIMAL_COMMA, "-3"),
        (2050.5, DECIMAL_COMMA, "2050.5"),
        ("1,251", DECIMAL_POINT, "1251"),
        ("1.251", DECIMAL_POINT, "1.251"),
        ("1,234.5", DECIMAL_POINT, "1234.5"),
        ("1.251", "", "1.251"),  # no layout: the cell alone, as ever
        ("1.250,5", EITHER_LAYOUT, "1250.5"),
        ("12,5", EITHER_LAYOUT, "12.5"),
    ],
)
def test_a_number_is_read_in_its_columns_layout(cell, layout, number):
    assert decimal_of(cell, layout=layout) == Decimal(number)


def test_a_percentage_in_a_column_with_decimal_commas():
    assert decimal_of("65,0 %", percent=True, layout=DECIMAL_COMMA) == Decimal("65.0")
    assert decimal_of("12,500", percent=True, layout=DECIMAL_COMMA) == Decimal("12.5")


@pytest.mark.parametrize(
    ("cell", "layout", "message"),
    [
        (
            "12.5",
            DECIMAL_COMMA,
            "“12.5” is not written like the other numbers in its column, which have a decimal comma",
        ),
        ("1,234.5", DECIMAL_COMMA, "which have a decimal comma (as in 1.234,5)"),
        ("1,2,3", DECIMAL_COMMA, "which have a decimal comma"),
        (
            "12,5",
            DECIMAL_POINT,
            "“12,5” is not written like the other numbers in its column, which have a decimal point",
        ),
        ("1.234,5", DECIMAL_POINT, "which have a decimal point (as in 1,234.5)"),
        ("1.251", EITHER_LAYOUT, "“1.251” could be read two ways"),
        ("1,251", EITHER_LAYOUT, "“1,251” could be read two ways"),
        ("seventy", DECIMAL_COMMA, "“seventy” is not a number"),
        ("seventy", EITHER_LAYOUT, "“seventy” is not a number"),
    ],
)
def test_a_number_its_column_contradicts_is_refused_not_guessed(cell, layout, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        decimal_of(cell, layout=layout)


def test_empty_cells_are_none():
    assert decimal_of("") is decimal_of(None) is year_of(" ") is date_of("") is None


def test_years():
    assert [year_of(c) for c in ("2050", "2050.0", 2050.0, 2050, datetime.date(2050, 1, 1))] == [2050] * 5
    for cell in ("2050.5", "20x5", "twenty-fifty", "99999"):
        with pytest.raises(ValueError, match=f"“{cell}” is not a year"):
            year_of(cell)


@pytest.mark.parametrize(
    "cell",
    [
        "03/04/2026",
        "3.4.2026",
        "03-04-2026",
        "2026-04-03",
        "2026/04/03",
        "2026-04-03 00:00:00",
        "2026-04-03T10:00",
        "3 April 2026",
        "3 Apr 2026",
        "03/04/26",
        datetime.datetime(2026, 4, 3, 12, 0),
        datetime.date(2026, 4, 3),
    ],
)
def test_dates_are_read_day_first(cell):
    assert date_of(cell) == datetime.date(2026, 4, 3)


@pytest.mark.parametrize(
    "cell",
    [
        "March 4, 2025",
        "Mar 4, 2025",
        "march 4 2025",
        "Tuesday, March 4, 2025",  # Excel's long date in English
        "4 March 2025",
        "4th March 2025",
        "04-Mar-2025",
        "4-Mar-25",  # Excel's d-mmm-yy saved as CSV
        "4 Mar. 2025",
        "2025-Mar-04",
        "4.3.25",
        "04.03.2025",
        "4. März 2025",
        "4 mars 2025",
        "4 de marzo de 2025",
    ],
)
def test_dates_written_with_the_months_name_or_a_two_digit_year_are_read(cell):
    assert date_of(cell) == date_of(cell, month_first=True) == datetime.date(2025, 3, 4)


def test_a_two_digit_year_is_of_this_century_up_to_68():
    assert date_of("31-Dec-68") == datetime.date(2068, 12, 31)
    assert date_of("1-Jan-90") == datetime.date(1990, 1, 1)
    assert date_of("Mar 14, 25") == datetime.date(2025, 3, 14)


@pytest.mark.parametrize(
    "cell",
    [
        "04/31/2026",
        "2026",
        "next spring",
        "March 2025",
        "4 March",
        "31 Feb 2025",
        "4 Marchy 2025",
        "March 4, 2025, 2026",
        "4 March 12 2025",
        "Mar 4 225",
        "Sunday",
        "4.3.",
    ],
)
def test_what_is_not_a_date_says_how_to_write_one(cell):
    with pytest.raises(ValueError, match="is not a date .write it as YYYY-MM-DD or DD/MM/YYYY"):
        date_of(cell)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (["6/12/2023", "12/31/2023", ""], True),  # a US spreadsheet: 31 can only be a day
        (["6/12/2023", "31/12/2023"], False),
        (["12/31/2023", "31/12/2023"], False),  # both: read day first, and the other cells fail
        (["6/12/2023", "7/11/2023"], False),  # nothing tells: day first, as everywhere
        (["03/04/2020", "04/31/2021"], False),  # no 31 April either way: no evidence
        (["2023-12-31", datetime.date(2023, 12, 31), None, 2023], False),
    ],
)
def test_a_column_is_read_month_first_only_when_its_cells_say_so(column, expected):
    assert month_first(column) is expected


def test_a_month_first_column_reads_each_of_its_dates_so():
    assert date_of("6/12/2023", month_first=True) == datetime.date(2023, 6, 12)
    assert date_of("Jun 12, 2023", month_first=True) == datetime.date(2023, 6, 12)
    assert date_of("2023-06-12", month_first=True) == datetime.date(2023, 6, 12)
    with pytest.raises(ValueError, match="write it as YYYY-MM-DD or MM/DD/YYYY"):
        date_of("31/12/2023", month_first=True)


def test_a_year_typed_into_a_date_formatted_cell_is_that_year():
    assert year_of(datetime.datetime(1905, 6, 12)) == 1990  # Excel's day 1990
    assert year_of(datetime.date(1905, 8, 11)) == 2050
    assert year_of(datetime.date(1990, 1, 1)) == 1990
