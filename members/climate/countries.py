"""Countries by any code people and sources use: ISO 3166 alpha-2 (``DK``), alpha-3 (``DNK``, as the Net Zero
Tracker and the UNFCCC registry write them) or the English name (``Denmark``), in any case.

Every place that reads a country (the spreadsheet import, the API filters, the tracker and NDC imports) asks
``country_code``, so the rule lives here once.
"""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=4096)
def country_code(value: object) -> str:
    """The alpha-2 code for ``value`` (alpha-2, alpha-3 or English name, any case), or "" if it names none.

    Cached: a file names the same few countries thousands of times, and asking django-countries for a name
    costs more than the rest of a row.
    """
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    if len(text) in (2, 3) and text.isalpha():
        code = countries.alpha2(text.upper())
        if code:
            return code
    code = countries.by_name(text)
    return code or ""


def country_choices_any_code() -> list[tuple[str, str]]:
    """Choices for a filter that accepts alpha-2 and alpha-3: each code mapped to its country's name."""
    choices = []
    for code, name in countries:
        choices.append((code, name))
        alpha3 = countries.alpha3(code)
        if alpha3:
            choices.append((alpha3, name))
    return choices
