"""Demo profile: the Carbon Neutrality Coalition."""

from __future__ import annotations

from datetime import date

from members.demo.base import (
    CK,
    CS,
    DemoCommitment,
    DemoEngagement,
    DemoOrganisation,
    K,
    S,
    _at,
    _one,
)
from members.models import Commitment, Engagement

# --- Carbon Neutrality Coalition: the declaration signed at the One Planet Summit, 12 December 2017 ---------

ONE_PLANET_SUMMIT = date(2017, 12, 12)
UNGA_2018 = date(2018, 9, 27)  # the Coalition's first meeting, where four more countries joined

CNC_FOUNDING_COUNTRIES = [
    ("BR", "Brazil"),
    ("CO", "Colombia"),
    ("CR", "Costa Rica"),
    ("ET", "Ethiopia"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("IS", "Iceland"),
    ("LU", "Luxembourg"),
    ("MH", "Marshall Islands"),
    ("MX", "Mexico"),
    ("NL", "Netherlands"),
    ("NZ", "New Zealand"),
    ("NO", "Norway"),
    ("PT", "Portugal"),
    ("SE", "Sweden"),
]
CNC_2018_COUNTRIES = [("GB", "United Kingdom"), ("CA", "Canada"), ("DK", "Denmark"), ("ES", "Spain")]
# Cities that pledged emissions neutrality by 2050 alongside the declaration (a sample for the demo).
CNC_CITIES = [
    ("Paris", "FR"),
    ("Copenhagen", "DK"),
    ("Oslo", "NO"),
    ("Stockholm", "SE"),
    ("Mexico City", "MX"),
    ("Vancouver", "CA"),
]


def _lts(on: date) -> DemoCommitment:
    return _one(
        CK.OTHER,
        on,
        title="Long-term low-emission development strategy, no later than 2020",
        status=CS.PLEDGE,
        notes="Made on signing the Carbon Neutrality Coalition declaration.",
    )


def _cnc_country(code: str, name: str, *, joined_on: date) -> DemoOrganisation:
    founding = joined_on == ONE_PLANET_SUMMIT
    summary = (
        "Signed the Carbon Neutrality Coalition declaration at the One Planet Summit, Paris"
        if founding
        else "Joined the Carbon Neutrality Coalition at its first meeting, UN General Assembly, New York"
    )
    return DemoOrganisation(
        name=name,
        kind=K.COUNTRY,
        country=code,
        sector=S.PUBLIC_SECTOR,
        description=(
            "Signatory of the declaration: develops a long-term, low-emission, climate-resilient "
            "strategy and shares its experience with other members."
        ),
        contacts=[dict(name="National focal point for long-term strategies", job_title="Public office")],
        tier="founding-member" if founding else "member",
        joined_on=joined_on,
        commitments=[_lts(joined_on)],
        engagements=[
            DemoEngagement(
                Engagement.Kind.JOINED,
                _at(joined_on.year, joined_on.month, joined_on.day, 11),
                summary,
                contacts=("National focal point for long-term strategies",),
            )
        ],
    )


def _cnc_city(name: str, code: str) -> DemoOrganisation:
    return DemoOrganisation(
        name=name,
        kind=K.CITY,
        country=code,
        sector=S.PUBLIC_SECTOR,
        description="City signatory: emissions neutral by 2050, with a climate plan to match.",
        contacts=[dict(name="Office of the Mayor", job_title="Public office")],
        tier="founding-member",
        joined_on=ONE_PLANET_SUMMIT,
        commitments=[
            _one(
                CK.OTHER,
                ONE_PLANET_SUMMIT,
                title="Climate action plan consistent with 1.5 °C, no later than 2020",
                status=CS.PLEDGE,
            ),
            _one(
                CK.NET_ZERO,
                ONE_PLANET_SUMMIT,
                title="Emissions neutral by 2050",
                target_year=2050,
                status=CS.PLEDGE,
                scope=Commitment.Scope.PARTIAL,
            ),
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.JOINED,
                _at(2017, 12, 12, 11),
                "Pledged emissions neutrality by 2050 at the One Planet Summit, Paris",
                contacts=("Office of the Mayor",),
            )
        ],
    )


CNC = [
    *(_cnc_country(code, name, joined_on=ONE_PLANET_SUMMIT) for code, name in CNC_FOUNDING_COUNTRIES),
    *(_cnc_country(code, name, joined_on=UNGA_2018) for code, name in CNC_2018_COUNTRIES),
    *(_cnc_city(name, code) for name, code in CNC_CITIES),
]
