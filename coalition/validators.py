"""Validators shared by every door that takes text from outside (forms, serializers, imports).

A name or any value that may end up in an email header must be one line of text: a CR/LF in a name is how
a header is injected ("Eve\\r\\nBcc: victim@example.net"), and Python's email package refuses to send such a
message at all. So such values are refused at the door (a clear 400), and ``header_safe`` cleans them
again at send time for rows that reached the database some other way. An organisation's name is the
exception: a line break or a tab in it (a spreadsheet cell, a pasted address block) is only layout, so
``one_line`` makes it a space before the other control characters are refused.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 and C1 control characters (CR, LF, TAB, NUL, ESC…), DEL, and the Unicode line/paragraph separators.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# Whitespace that only lays text out: spaces, tabs, line breaks (CR, LF, VT, FF, NEL) and the Unicode line and
# paragraph separators. The other control characters (NUL, ESC, BEL…) are not layout: they are refused.
LAYOUT_WHITESPACE = re.compile("[ \t\n\r\x0b\x0c\x85\u2028\u2029]+")

SINGLE_LINE_MESSAGE = _("Please use one line of plain text here, without line breaks or control characters.")


def validate_single_line(value: str) -> None:
    """For names and other one-line values (Django and DRF both run it as a field validator)."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def one_line(value: str) -> str:
    """A name as it is stored: each run of layout whitespace (tabs, line breaks, spaces) one space, the ends
    stripped. Other control characters stay, for ``validate_single_line`` to refuse."""
    return LAYOUT_WHITESPACE.sub(" ", value or "").strip()


def header_safe(value: str) -> str:
    """A value fit for an email header: control characters become spaces, runs of spaces one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value or "").split())
