"""What a spreadsheet cell holds, read as a number, a year or a date: one reading for every import.

Staff files come from Excel (numbers and dates arrive as numbers and dates), from CSV exports in English
("1,250.5") or in a European layout ("1.250,5", "1 250,5", "55 %"), and from people typing. A cell alone
cannot tell "1.251" (1251 in a European file) from 1.251, so a column's layout is told from all its cells
(``number_layout``) and each cell read in it. Each reader returns ``None`` for an empty cell and raises
``ValueError`` with a sentence a person can act on for a cell it cannot read; the import reports it against
the cell's column.

Dates are read day first, as everywhere in the project (``coalition/formats``): "03/04/2026" is 3 April.
A column written month first (a US spreadsheet's "12/31/2023") is read so throughout: ``month_first`` tells
from the column's cells, so "6/12/2023" in it is 12 June, not 6 December. A month written as a word
("March 4, 2025", Excel's "4-Mar-25") is read in either layout: a month's name leaves no doubt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.utils import translation
from django.utils.dates import MONTHS, MONTHS_3, MONTHS_ALT, MONTHS_AP, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _

# Spaces (no-break and thin ones too) and apostrophes group thousands: "1 250", "1'250".
_GROUPING = re.compile(r"[\s\u00a0\u202f\u2009'’]")
#: A column's number layout (``number_layout``): its numbers have decimal commas, decimal points, or both.
DECIMAL_COMMA = "decimal comma"
DECIMAL_POINT = "decimal point"
EITHER_LAYOUT = "either"
# Each layout's (decimal, grouping) separators.
_WRITTEN_IN = {DECIMAL_COMMA: (",", "."), DECIMAL_POINT: (".", ",")}
# A number as a layout writes it: grouped by threes or not, with decimals or not.
_IN_LAYOUT = {
    DECIMAL_COMMA: re.compile(r"[-+]?(\d{1,3}(\.\d{3})+|\d*)(,\d+)?"),
    DECIMAL_POINT: re.compile(r"[-+]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?"),
}
# A number only a layout writes: a separator followed by other than three digits is a decimal one ("543,8",
# "0,1234"); after grouping by threes, or grouped twice, the other one is ("1.234,5", "1.250.000").
_LAYOUT_EVIDENCE = {
    DECIMAL_COMMA: re.compile(r"[-+]?(\d*,(\d{1,2}|\d{4,})|\d{1,3}(\.\d{3})+,\d*|\d{1,3}(\.\d{3}){2,})"),
    DECIMAL_POINT: re.compile(r"[-+]?(\d*\.(\d{1,2}|\d{4,})|\d{1,3}(,\d{3})+\.\d*|\d{1,3}(,\d{3}){2,})"),
}
# "1.251", "1,251": a thousand and more, or a little more than one; only the column can tell.
_AMBIGUOUS = re.compile(r"[-+]?\d{1,3}[.,]\d{3}")
# Dates written in digits. A month written as a word is read by ``_date_with_month_name`` instead.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%d.%m.%y",
)
MONTH_FIRST_FORMATS = tuple(f.replace("%d/%m", "%m/%d").replace("%d-%m", "%m-%d") for f in DATE_FORMATS)
_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}\b")
#: Languages a month's name may be written in: English, the project's own, and German (German Excel's
#: "4. März 2025"). Django's own translations carry the names.
MONTH_LANGUAGES = ("en", "fr", "es", "de")
# Words between a date's parts that say nothing: "4th of March", "4 de marzo de 2025".
_FILLER_WORDS = frozenset({"of", "de"})


class LayoutError(ValueError):
    """A number its column's layout cannot read, or could read two ways: its message says how to write it."""


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def decimal_of(value: Any, *, percent: bool = False, layout: str = "") -> Decimal | None:
    """A number; with ``percent``, a trailing "%" is allowed (and ignored), and "12,500" is 12.5. ``layout``
    is the column's (``number_layout``): among decimal commas "1.251" is 1251; in a column whose cells do
    not tell, the cell alone says how it is written, and "1.251" is 1.251."""
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
    if layout in _WRITTEN_IN:
        text = _in_layout(text, raw=raw, layout=layout, percent=percent)
    elif layout == EITHER_LAYOUT and _AMBIGUOUS.fullmatch(text):
        raise LayoutError(
            _(
                "“%(value)s” could be read two ways, and the other numbers in its column have decimal commas "
                "and decimal points both: write it without a thousands separator."
            )
            % {"value": raw}
        )
    else:
        text = _as_the_cell_says(text, percent=percent)
    number = _decimal(text)
    if number is None:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
    return number


def _as_the_cell_says(text: str, *, percent: bool) -> str:
    """``text`` as Python writes a number, read from the cell alone: the separator that comes last is the
    decimal one ("1,250.5", "1.250,5"), a comma before three digits groups them ("1,250" is 1250, but a
    percentage is never 1,250) and a single point is a decimal one ("1.251" is 1.251)."""
    if "," in text and "." in text:
        # The separator that comes last is the decimal one: "1,250.5" and "1.250,5".
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if text.count(",") > 1 or (not percent and re.fullmatch(r"[-+]?\d{1,3},\d{3}", text)):
        return text.replace(",", "")  # "1,250,000", "1,250": grouping (a percentage is never 1,250)
    if "," in text:
        return text.replace(",", ".")  # "12,5": a decimal comma
    if text.count(".") > 1:
        return text.replace(".", "")  # "1.250.000": grouping
    return text


def _in_layout(text: str, *, raw: str, layout: str, percent: bool) -> str:
    """``text`` as Python writes a number, in its column's ``layout``. A number written the other way
    contradicts the column, and is refused: which of the two it means would be a guess."""
    decimal, grouping = _WRITTEN_IN[layout]
    if _IN_LAYOUT[layout].fullmatch(text):
        return text.replace(grouping, "").replace(decimal, ".")
    if _decimal(_as_the_cell_says(text, percent=percent)) is None:
        return text  # no number in any layout: the caller says so
    if layout == DECIMAL_COMMA:
        message = _(
            "“%(value)s” is not written like the other numbers in its column, which have a decimal comma "
            "(as in 1.234,5): write it so."
        )
    else:
        message = _(
            "“%(value)s” is not written like the other numbers in its column, which have a decimal point "
            "(as in 1,234.5): write it so."
        )
    raise LayoutError(message % {"value": raw})


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def number_layout(values: Iterable[Any]) -> str:
    """How a column writes its numbers, told from its cells as ``month_first`` tells its dates: with
    ``DECIMAL_COMMA`` if more of its cells can only have a decimal comma ("543,8", "1.234,5") than can only
    have a decimal point ("52.5"), and the others then contradict it; ``DECIMAL_POINT`` the other way round;
    ``EITHER_LAYOUT`` if as many show each; "" if none tells ("1.251" alone could be either)."""
    shown = dict.fromkeys(_LAYOUT_EVIDENCE, 0)
    for value in values:
        if not isinstance(value, str):
            continue  # a workbook's own number has no layout
        text = _GROUPING.sub("", value.strip().removesuffix("%").rstrip())
        for layout, evidence in _LAYOUT_EVIDENCE.items():
            shown[layout] += bool(evidence.fullmatch(text))
    comma, point = shown[DECIMAL_COMMA], shown[DECIMAL_POINT]
    if comma == point:
        return EITHER_LAYOUT if comma else ""
    return DECIMAL_COMMA if comma > point else DECIMAL_POINT


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
    """A date: a spreadsheet's own, or text day first ("03/04/2026", "3.4.26", "2026-04-03"); with
    ``month_first`` (the column's layout, see ``month_first()``), "04/03/2026" is 3 April. A month written
    as a word ("March 4, 2025", "4-Mar-25") reads the same in either layout."""
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
    if (day := _date_with_month_name(text)) is not None:
        return day
    layout = "MM/DD/YYYY" if month_first else "DD/MM/YYYY"
    raise ValueError(
        _("“%(value)s” is not a date (write it as YYYY-MM-DD or %(layout)s).")
        % {"value": raw, "layout": layout}
    )


def _date_with_month_name(text: str) -> date | None:
    """A date whose month is a word, or None: "March 4, 2025", "Tuesday, March 4, 2025" (Excel's long date),
    "4 March 2025", "04-Mar-25" (Excel's d-mmm-yy saved as text), "2025-Mar-04", "4. März 2025". A month's
    name is never ambiguous, so the column's layout does not matter; anything but a day, a month and a year
    (a weekday aside) is no date ("March 2025")."""
    words = [w for w in re.split(r"[\s,./-]+", _word_key(text)) if w and w not in _skipped_words()]
    # "4th", "1st", "1er": the day.
    words = [re.sub(r"^(\d{1,2})(?:st|nd|rd|th|er)$", r"\1", w) for w in words]
    positions = [i for i, w in enumerate(words) if w in _month_words()]
    if len(words) != 3 or len(positions) != 1 or positions[0] == 2:
        return None
    month = _month_words()[words.pop(positions[0])]
    if not all(w.isascii() and w.isdecimal() for w in words):
        return None
    day, year = reversed(words) if len(words[0]) == 4 else words  # "2025-Mar-04": the year first
    if len(day) > 2 or len(year) not in (2, 4):
        return None
    try:
        return date(_full_year(int(year)) if len(year) == 2 else int(year), month, int(day))
    except ValueError:
        return None  # 31 February


def _full_year(year: int) -> int:
    """A two-digit year as ``strptime``'s "%y" reads one (so "4.3.25" and "4-Mar-25" agree): 00–68 are this
    century, 69–99 the last."""
    return year + (2000 if year <= 68 else 1900)


def _word_key(text: str) -> str:
    """A word as compared: no case, no accents ("März" is "marz")."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=1)
def _month_words() -> dict[str, int]:
    """Every month's name, short name and abbreviation in ``MONTH_LANGUAGES`` (``_word_key``) → its number.
    A word two languages give to different months would name neither for sure, so it is left out."""
    months: dict[str, int] = {}
    clashes: set[str] = set()
    for language in MONTH_LANGUAGES:
        with translation.override(language):
            for table in (MONTHS, MONTHS_3, MONTHS_AP, MONTHS_ALT):
                for number, name in table.items():
                    key = _word_key(str(name)).rstrip(".")
                    if months.setdefault(key, number) != number:
                        clashes.add(key)
    return {word: number for word, number in months.items() if word not in clashes}


@lru_cache(maxsize=1)
def _skipped_words() -> frozenset[str]:
    """Words a date may carry that say nothing of its day: weekdays ("Tuesday, March 4, 2025") and fillers
    ("4 de marzo de 2025"). A weekday's abbreviation that is also a month's ("mar", Tuesday in French and
    Spanish) is kept as the month."""
    words = set(_FILLER_WORDS)
    for language in MONTH_LANGUAGES:
        with translation.override(language):
            for table in (WEEKDAYS, WEEKDAYS_ABBR):
                words.update(_word_key(str(name)).rstrip(".") for name in table.values())
    return frozenset(words - _month_words().keys())
