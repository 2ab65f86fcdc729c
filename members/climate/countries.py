"""Countries by any code people and sources use: ISO 3166 alpha-2 (``DK``), alpha-3 (``DNK``, as the Net Zero
Tracker and the UNFCCC registry write them) or a name (``Denmark``, ``UK``, ``Danmark``, ``Dinamarca``, ISO's
``Moldova, Republic of`` as CRMs write it), in any case.

Every place that reads a country (the spreadsheet import, the API filters, the tracker and NDC imports) asks
``country_code``, so the rule lives here once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from django.utils import translation
from django_countries import countries

#: The 193 member states of the United Nations (alpha-2). ``import_tracker --create countries`` adds a record
#: for each one the file lists; territories and other entities are left to staff.
UN_MEMBER_STATES = frozenset(
    """
    AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV KH
    CM CA CF TD CL CN CO KM CG CR CI HR CU CY CZ KP CD DK DJ DM DO EC EG SV GQ ER EE SZ ET FJ
    FI FR GA GM GE DE GH GR GD GT GN GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI
    KW KG LA LV LB LS LR LY LI LT LU MG MW MY MV ML MT MH MR MU MX FM MD MC MN ME MA MZ MM NA
    NR NP NL NZ NI NE NG MK NO OM PK PW PA PG PY PE PH PL PT QA KR RO RU RW KN LC VC WS SM ST
    SA SN RS SC SL SG SK SI SB SO ZA SS ES LK SD SR SE CH SY TJ TZ TH TL TG TO TT TN TR TM TV
    UG UA AE GB US UY UZ VU VE VN YE ZM ZW
    """.split()  # noqa: SIM905 - 193 codes read better as a block than as a list
)

#: The member states of the European Union (alpha-2): they carry the EU's NDC.
EU_MEMBER_STATES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()  # noqa: SIM905
)

#: The UNFCCC's code for the European Union, which is a party but not a country.
EU_PARTY_CODE = "EUU"


#: Names and abbreviations people write that are not ISO 3166's (nor django-countries' English names).
ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "united states": "US",
    "etats-unis": "US",
    "ivory coast": "CI",
    "republic of korea": "KR",
    "korea, republic of": "KR",
    "dr congo": "CD",
    "drc": "CD",
    "congo-kinshasa": "CD",
    "congo-brazzaville": "CG",
    "republic of the congo": "CG",
    "cape verde": "CV",
    "burma": "MM",
    "holland": "NL",
    "east timor": "TL",
    "vatican": "VA",
    "uae": "AE",
    # The nations of the United Kingdom, which files name as the country.
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    # The World Bank's names, which many published datasets use.
    "congo, dem. rep.": "CD",
    "congo, rep.": "CG",
    "korea, rep.": "KR",
    "korea, dem. people's rep.": "KP",
    "iran, islamic rep.": "IR",
    "egypt, arab rep.": "EG",
    "venezuela, rb": "VE",
    "yemen, rep.": "YE",
    "gambia, the": "GM",
    "bahamas, the": "BS",
    "micronesia, fed. sts.": "FM",
    "lao pdr": "LA",
    "hong kong sar, china": "HK",
    "macao sar, china": "MO",
    "slovak republic": "SK",
    "kyrgyz republic": "KG",
    "czech republic": "CZ",
    "turkiye": "TR",
    "russian federation": "RU",
    "viet nam": "VN",
    "swaziland": "SZ",
    "macedonia": "MK",
    # German names in everyday use that django-countries' German translation does not give.
    "elfenbeinküste": "CI",
    "vereinigte staaten": "US",
    "weißrussland": "BY",
    "großbritannien": "GB",
    "mosambik": "MZ",
    "saudi-arabien": "SA",
    "papua-neuguinea": "PG",
    "tschechische republik": "CZ",
    # Formal names built on an adjective, which no "Republic of …" rule reads.
    "hellenic republic": "GR",
    "argentine republic": "AR",
    "italian republic": "IT",
    "french republic": "FR",
    "portuguese republic": "PT",
    "lebanese republic": "LB",
    "gabonese republic": "GA",
    "togolese republic": "TG",
    "tunisian republic": "TN",
    "swiss confederation": "CH",
    # Taiwan's official name: read as such before "Republic of …" would make it China.
    "republic of china": "TW",
    "united mexican states": "MX",
}

#: The formal part of a country's official long name ("Kingdom of Denmark", "Federal Republic of Germany",
#: "Republic of the Union of Myanmar"), as ``_name_key`` writes it ("the" dropped): what is left after it is
#: tried as the name, once the whole name has named no country, so "Democratic Republic of the Congo" is
#: still the DRC and never the Congo.
_FORMAL_PREFIX = re.compile(
    r"^(?:(?:federal|democratic|socialist|islamic|arab|people's|peoples|plurinational|bolivarian|united|"
    r"independent|co-operative|cooperative|oriental|federative|hashemite)\s+)*"
    r"(?:republic|kingdom|state|sultanate|principality|grand duchy|commonwealth|union|emirate|nation)\s+of\s+"
    r"(?=\S)"
)

#: Languages whose country names are recognised besides English: the project's own, and those of the
#: countries and partners a coalition's files most often come from.
NAME_LANGUAGES = ("fr", "es", "de", "da", "fi", "sv", "nb", "nl", "pt", "it", "pl")


def _name_key(text: str) -> str:
    """A country name as compared: no accents, case, apostrophe style, "the" or "St." abbreviation, and a
    qualifier in brackets written after a comma, as CRMs write ISO 3166's names: "Congo (the Democratic
    Republic of the)" and "Congo, The Democratic Republic of the" are both "congo, democratic republic of"."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"\s*\(([^()]*)\)$", r", \1", text.strip())
    words = [word for word in text.replace("st. ", "saint ").split() if word != "the"]
    if words[:1] == ["st"]:
        words[0] = "saint"
    return " ".join(words).strip(" ,")


def _turned(key: str) -> str:
    """A "name, qualifier" key the way round people say it: "korea, republic of" → "republic of korea",
    "virgin islands, british" → "british virgin islands"; "" for a key with no single comma."""
    name, comma, qualifier = key.partition(", ")
    if not comma or "," in qualifier or not qualifier:
        return ""
    return f"{qualifier} {name}"


def _country_names() -> Iterator[tuple[str, str]]:
    """(alpha-2, name) for every country's common name, then its ISO 3166 name and former names where they
    differ ("Korea (the Republic of)", "Swaziland"), in the active language."""
    yield from countries
    for code, names in countries.shadowed_names.items():
        for name in names:
            yield code, str(name)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every country's name in English and in ``NAME_LANGUAGES``, as ``_name_key`` writes it → alpha-2, and
    each "name, qualifier" turned round (``_turned``) where no other name has that key. Built once: looking
    a name up is then one or two dictionary reads, whatever a file holds."""
    names: dict[str, str] = {}
    for language in ("en", *NAME_LANGUAGES):
        with translation.override(language):
            for code, name in _country_names():
                key = _name_key(str(name))
                # A translated name of three letters or fewer ("Man") would read abbreviations as countries.
                if len(key) > 3:
                    names.setdefault(key, code)
    for alias, code in ALIASES.items():
        names.setdefault(_name_key(alias), code)
    # Turned last, so a name as written always wins over another name turned round.
    for key, code in list(names.items()):
        if turned := _turned(key):
            names.setdefault(turned, code)
    return names


@lru_cache(maxsize=4096)
def country_code(value: object) -> str:
    """The alpha-2 code for ``value`` (alpha-2, alpha-3, or a name: English, its usual variants, or in one of
    ``NAME_LANGUAGES``; any case, accents or none), or "" if it names none.

    Cached: a file names the same few countries thousands of times, and asking django-countries for a name
    costs more than the rest of a row.
    """
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    # "U.S.A.", "U.K.", "U.S.": a code written with dots.
    bare = text.replace(".", "").replace(" ", "") if "." in text else text
    if len(bare) in (2, 3) and bare.isalpha():
        code = countries.alpha2(bare.upper()) or _names().get(_name_key(bare), "")
        if code:
            return code
    code = countries.by_name(text)
    if code:
        return code
    key = _name_key(text)
    # "Korea, South", "Congo, Republic of the": a qualifier written after the name, which no list writes so.
    names = _names()
    code = names.get(key) or names.get(_turned(key), "")
    # An official long name: "Kingdom of Denmark", "Republic of the Union of Myanmar" (two formal parts),
    # "Türkiye (Republic of)" (turned round first).
    for candidate in (key, _turned(key)):
        for _ in range(2):
            if code or not candidate:
                break
            candidate = _FORMAL_PREFIX.sub("", candidate, count=1) if _FORMAL_PREFIX.match(candidate) else ""
            code = names.get(candidate, "")
    return code


def country_choices_any_code() -> list[tuple[str, str]]:
    """Choices for a filter that accepts alpha-2 and alpha-3: each code mapped to its country's name."""
    choices = []
    for code, name in countries:
        choices.append((code, name))
        alpha3 = countries.alpha3(code)
        if alpha3:
            choices.append((alpha3, name))
    return choices
