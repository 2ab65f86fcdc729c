"""When two records are the same: the one home of the keys organisations and people are matched by.

Enquiries (is the applicant a known organisation?), the spreadsheet import (does this row update a
record?), duplicates (which records look alike?) and newsletters (is this address already subscribed?)
all ask this module, so the same name means the same organisation everywhere.

Pure functions, no model imports: ``members.models`` stores the organisation key (``Organisation.name_key``)
so the database can match by it with an index.
"""

import functools
import re
import unicodedata
from urllib.parse import urlsplit

from django.db.models import F
from django.db.models.functions import Lower, Trim

# Legal forms that do not tell two organisations apart: "Acme Ltd." and "ACME Limited" are "acme".
_LEGAL_SUFFIXES = re.compile(
    r"\b(ltd|limited|inc|incorporated|llc|plc|gmbh|ag|sa|sas|bv|nv|ab|as|aps|oy|spa|srl|co|corp|corporation)\b"
)
# Letters that Unicode does not decompose into a base letter and an accent.
_TRANSLITERATE = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "œ": "oe", "þ": "th"})
_SEPARATORS = (" ", ".", ",", "-", "'", "’", "&", "(", ")", "/", '"')


# The keys are asked for again and again for the same few values (an import asks for each row's to match it,
# then again when it writes the record): each function remembers its last few thousand answers. ``typed``:
# a spreadsheet's 2050.0 is not the text "2050".
_remembered = functools.lru_cache(maxsize=4096, typed=True)


@_remembered
def normalise_name(name: str) -> str:
    """The key of an organisation's name: lower case, no accents, no punctuation, spaces or legal suffixes.

    "Acme Ltd.", "ACME Limited" and "acme" are all "acme"; "Société Générale S.A." is "societegenerale".
    Names in any script have a key: "Росгидромет" is "росгидромет", "中国科学院" itself. (Only Latin letters
    lose their accents; a mark that makes another letter, as in "й" or "が", stays.) A name with no letter or
    digit at all has the empty key, which matches nothing.
    """
    text = fold_text(name)
    for char in "/.'’":  # inside words: "A/S", "S.A.", "O'Neill"
        text = text.replace(char, "")
    for char in _SEPARATORS:
        text = text.replace(char, " ")
    text = _LEGAL_SUFFIXES.sub(" ", text)
    # Letters and digits of any script; punctuation, symbols and spaces do not tell names apart.
    return "".join(char for char in text if unicodedata.category(char)[0] in "LN")[:NAME_KEY_LENGTH]


@_remembered
def fold_text(text: str) -> str:
    """Text as a search compares it: lower case (every script), Latin letters without their accents,
    spaces and punctuation kept. "São Tomé", "SAO TOME" and "sao tome" fold alike; so do "Łódź" and
    "lodz"."""
    text = str(text or "").lower().translate(_TRANSLITERATE)
    return unicodedata.normalize("NFC", "".join(_without_latin_accents(unicodedata.normalize("NFKD", text))))


@functools.cache
def _fold_tables() -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """``fold_text`` for the Latin letters with accents (U+00C0–U+024F), as SQL can apply it: the letters
    that fold to one ASCII letter (for ``translate``), and those that fold to more (for ``replace``)."""
    sources, targets, longer = [], [], []
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        folded = fold_text(char)
        if folded == char or not folded.isascii() or not folded.isalpha():
            continue
        if len(folded) == 1:
            sources.append(char)
            targets.append(folded)
        else:
            longer.append((char, folded))
    return "".join(sources), "".join(targets), tuple(longer)


def fold_sql(expression: str) -> str:
    """A PostgreSQL expression that folds ``expression`` (a lower-case word, such as a full-text lexeme)
    as ``fold_text`` does: "são" and "sao" fold alike. Built only of immutable functions, so it can be
    indexed (``members/migrations/0023_search_word_folded``)."""
    sources, targets, longer = _fold_tables()
    folded = f"translate({expression}, '{sources}', '{targets}')"
    for char, replacement in longer:
        folded = f"replace({folded}, '{char}', '{replacement}')"
    return folded


#: The stored key's length (``Organisation.name_key``).
NAME_KEY_LENGTH = 200


def _latin(char: str) -> bool:
    return char < "\u0250" or "\u1e00" <= char < "\u1f00"


def _without_latin_accents(chars: str):
    """The characters of a decomposed text without the accents on Latin letters ("é" → "e")."""
    base = ""
    for char in chars:
        if unicodedata.combining(char):
            if _latin(base):
                continue
        else:
            base = char
        yield char


def name_key_expression():
    """The organisation name key in a query: the stored ``name_key`` column (indexed)."""
    return F("name_key")


def normalise_email(email: str) -> str:
    """The key of an email address: trimmed and lower case (how every address is stored)."""
    return str(email or "").strip().lower()


def normalise_person_name(name: str) -> str:
    """The key of a person's name within an organisation: case and spacing do not count."""
    return " ".join(str(name or "").split()).casefold()


def person_name_expression(field: str = "name"):
    """A person's name compared in the database: case and surrounding spaces do not count."""
    return Lower(Trim(field))


@_remembered
def website_domain(url: str) -> str:
    """The bare host of a website, lower-case and without ``www.``: the key for matching organisations."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    host = host.lower().rstrip(".")
    return host.removeprefix("www.")
