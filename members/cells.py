"""What a spreadsheet cell holds, read as a number, a year or a date: one reading for every import.

Staff files come from Excel (numbers and dates arrive as numbers and dates), from CSV exports in English
("1,250.5") or in a European layout ("1.250,5", "1 250,5", "55 %"), and from people typing. Each reader
returns ``None`` for an empty cell and raises ``ValueError`` with a sentence a person can act on for a cell
it cannot read; the import reports it against the cell's column.

Dates are read day first, as everywhere in the project (``coalition/formats``): "03/04/2026" is 3 April.
A column written month first (a US spreadsheet's "12/31/2023") is read so throughout: ``month_first`` tells
from the column's cells, so "6/12/2023" in it is 12 June, not 6 December.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

# Spaces (no-break and thin ones too) and apostrophes group thousands: "1 250", "1'250".
_GROUPING = re.compile(r"[\s\u00a0\u202f\u2009'’]")
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%d %b %Y",
    "%d %B %Y",
)
MONTH_FIRST_FORMATS = tuple(f.replace("%d/%m", "%m/%d").replace("%d-%m", "%m-%d") for f in DATE_FORMATS) + (
    "%b %d, %Y",
    "%B %d, %Y",
)
_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}\b")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def decimal_of(value: Any, *, percent: bool = False) -> Decimal | None:
    """A number; with ``percent``, a trailing "%" is allowed (and ignored), and "12,500" is 12.5."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, int | Decimal | float):
        # repr: 0.1, not 0.1000000000000000055511151231257827. A workbook's NaN or infinity is no number.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        return number
    raw = _text(value)
    text = raw.removesuffix("%").rstrip() if percent else raw
    if not text:
        return None
    text = _GROUPING.sub("", text)
    if "," in text and "." in text:
        # The separator that comes last is the decimal one: "1,250.5" and "1.250,5".
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") > 1 or (not percent and re.fullmatch(r"[-+]?\d{1,3},\d{3}", text)):
        text = text.replace(",", "")  # "1,250,000", "1,250": grouping (a percentage is never 1,250)
    elif "," in text:
        text = text.replace(",", ".")  # "12,5": a decimal comma
    elif text.count(".") > 1:
        text = text.replace(".", "")  # "1.250.000": grouping
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
    return number


def year_of(value: Any) -> int | None:
    """A year, written as a whole number ("2050", or 2050.0 from a spreadsheet)."""
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        # A year typed into a cell formatted as a date: Excel keeps 1990 as day 1990 of its calendar,
        # 12 June 1905. Every year a target names is such a day of 1904–1906.
        serial = (day - date(1899, 12, 30)).days
        if day.year < 1910 and 1800 <= serial <= 2200:
            return serial
        return day.year
    raw = _text(value)
    try:
        number = decimal_of(value)
    except ValueError:
        number = None
    else:
        if number is None:
            return None
    if number is None or number != number.to_integral_value() or abs(number) > 9999:
        raise ValueError(_("“%(value)s” is not a year.") % {"value": raw})
    return int(number)


def month_first(values: Iterable[Any]) -> bool:
    """Whether a column's dates are written month first: some cell can only be read so ("12/31/2023") and
    none can only be read day first ("31/12/2023"). A column with both, or neither, is read day first."""
    month, day = False, False
    for value in values:
        if not isinstance(value, str) or (match := _NUMERIC_DATE.match(value)) is None:
            continue
        first, second = int(match[1]), int(match[2])
        month = month or (second > 12 >= first and _reads(value, month_first=True))
        day = day or (first > 12 >= second and _reads(value, month_first=False))
        if month and day:
            return False
    return month


def _reads(value: str, *, month_first: bool) -> bool:
    try:
        date_of(value, month_first=month_first)
    except ValueError:
        return False
    return True


def date_of(value: Any, *, month_first: bool = False) -> date | None:
    """A date: a spreadsheet's own, or text day first ("03/04/2026", "3.4.2026", "2026-04-03"); with
    ``month_first`` (the column's layout, see ``month_first()``), "04/03/2026" is 3 April."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = _text(value)
    if not raw:
        return None
    # "2026-04-03 00:00:00" and "2026-04-03T10:00": the date part.
    text = re.split(r"[ T](?=\d{1,2}:)", raw, maxsplit=1)[0]
    for fmt in MONTH_FIRST_FORMATS if month_first else DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    layout = "MM/DD/YYYY" if month_first else "DD/MM/YYYY"
    raise ValueError(
        _("“%(value)s” is not a date (write it as YYYY-MM-DD or %(layout)s).")
        % {"value": raw, "layout": layout}
    )
