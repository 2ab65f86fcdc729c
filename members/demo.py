"""Demo data for the three coalitions this product serves (``manage.py load_demo --profile ...``).

Safe to run again: every record is found by a natural key (a country's ISO code, an organisation's
name, a contact's name within the organisation, a membership's join date, a commitment's kind, an
engagement's kind and time) and only written when something differs, so a second run adds no rows
and no history entries.

History rows carry the date the change really happened (``_history_date``), so an organisation's
timeline reads like its story rather than like the moment the demo was loaded. Contacts are
fictional people with example.org addresses, or public offices without a personal address.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from members.models import Commitment, Contact, Engagement, Membership, MembershipTier, Organisation

PROFILES = ("gone", "cne", "cnc")

K = Organisation.Kind
S = Organisation.Sector
CK = Commitment.Kind
CS = Commitment.Status


def _at(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=UTC)


# --- What a profile is made of ---------------------------------------------------------------------------


@dataclass
class Version:
    """One state of a commitment, recorded in its history on ``on``."""

    on: datetime
    fields: dict[str, Any]


@dataclass
class DemoCommitment:
    kind: str
    versions: list[Version]


@dataclass
class DemoEngagement:
    kind: str
    at: datetime
    summary: str
    details: str = ""
    contacts: tuple[str, ...] = ()


@dataclass
class DemoOrganisation:
    name: str
    kind: str
    sector: str
    country: str = ""
    website: str = ""
    description: str = ""
    listed_publicly: bool = True
    contacts: list[dict[str, Any]] = field(default_factory=list)
    tier: str | None = None  # slug of the membership tier, if a member
    joined_on: date | None = None
    commitments: list[DemoCommitment] = field(default_factory=list)
    engagements: list[DemoEngagement] = field(default_factory=list)


TIERS = [
    dict(
        slug="founding-member",
        name="Founding member",
        description="Members who launched the coalition. Open-ended; renewed by their own decision.",
        period_months=None,
        grace_days=0,
        open_to_applicants=False,
        sort_order=10,
    ),
    dict(
        slug="member",
        name="Member",
        description="Full members: take part in all work streams and sign the coalition's statements.",
        period_months=12,
        grace_days=30,
        open_to_applicants=True,
        sort_order=20,
    ),
    dict(
        slug="observer",
        name="Observer / associate",
        description="Follow the work and attend meetings without signing the coalition's statements.",
        period_months=12,
        grace_days=30,
        open_to_applicants=True,
        sort_order=30,
    ),
    dict(
        slug="partner",
        name="Partner",
        description="Organisations that support the secretariat with knowledge, events or funding.",
        period_months=24,
        grace_days=60,
        open_to_applicants=False,
        sort_order=40,
    ),
]

_LAW = dict(gases=Commitment.Gases.ALL_GHG, scope=Commitment.Scope.ECONOMY_WIDE)

# --- Group of Negative Emitters: launched at COP28, Dubai, 10 December 2023 ---------------------------------

COP28_LAUNCH = _at(2023, 12, 10, 10, 0)  # 14:00 in Dubai
LAUNCH_SUMMARY = "Spoke at the launch of the Group of Negative Emitters at COP28, Dubai"

GONE = [
    DemoOrganisation(
        name="Denmark",
        kind=K.COUNTRY,
        country="DK",
        sector=S.PUBLIC_SECTOR,
        website="https://en.kefm.dk/",
        description=(
            "Founding member and convenor of the Group. Aims at climate neutrality by 2045 and at emissions "
            "110 % below 1990 by 2050: one of the first industrialised countries with a net-negative goal."
        ),
        contacts=[
            dict(
                name="Freja Holm",
                email="freja.holm@example.org",
                job_title="Chief climate negotiator",
                is_primary=True,
            ),
            dict(
                name="Office of the Minister for Development Cooperation and Global Climate Policy",
                job_title="Ministerial office (public role)",
            ),
        ],
        tier="founding-member",
        joined_on=date(2023, 12, 10),
        commitments=[
            DemoCommitment(
                CK.CLIMATE_NEUTRAL,
                [
                    Version(
                        _at(2019, 12, 6),
                        dict(
                            title="Climate neutrality by 2050 at the latest",
                            target_year=2050,
                            status=CS.LAW,
                            uses_removals=Commitment.Usage.YES,
                            uses_offsets=Commitment.Usage.NO,
                            announced_on=date(2019, 12, 6),
                            source_url="https://en.kefm.dk/",
                            notes="Set by the Danish Climate Act.",
                            **_LAW,
                        ),
                    ),
                    Version(
                        _at(2022, 12, 14),
                        dict(
                            title="Climate neutrality by 2045",
                            target_year=2045,
                            announced_on=date(2022, 12, 14),
                            notes=(
                                "Brought forward from 2050 by the government that took office"
                                " in December 2022."
                            ),
                        ),
                    ),
                ],
            ),
            DemoCommitment(
                CK.NET_NEGATIVE,
                [
                    Version(
                        _at(2022, 12, 14),
                        dict(
                            title="Emissions 110 % below 1990 by 2050",
                            target_year=2050,
                            reduction_percent=Decimal("110.0"),
                            baseline_year=1990,
                            status=CS.LAW,
                            uses_removals=Commitment.Usage.YES,
                            uses_offsets=Commitment.Usage.NO,
                            announced_on=date(2022, 12, 14),
                            source_url="https://en.kefm.dk/",
                            notes="Net negative: removals by sinks and storage exceed remaining emissions.",
                            **_LAW,
                        ),
                    )
                ],
            ),
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.SPEAKING_SLOT,
                COP28_LAUNCH,
                "Launched the Group of Negative Emitters at COP28, Dubai",
                "The minister opened the launch: climate neutrality is not the finish line; members aim to "
                "remove more greenhouse gases than they emit.",
                contacts=("Office of the Minister for Development Cooperation and Global Climate Policy",),
            ),
            DemoEngagement(
                Engagement.Kind.MEETING,
                _at(2024, 6, 12, 13, 0),
                "Bonn climate talks (SB60): net-negative goals in the next round of NDCs",
                "Agreed to share Denmark's drafting of the 110 % goal with countries preparing NDCs.",
                contacts=("Freja Holm",),
            ),
            DemoEngagement(
                Engagement.Kind.CALL,
                _at(2025, 1, 21, 10, 30),
                "Call on how the 110 % goal will read in Denmark's NDC",
                contacts=("Freja Holm",),
            ),
        ],
    ),
    DemoOrganisation(
        name="Panama",
        kind=K.COUNTRY,
        country="PA",
        sector=S.PUBLIC_SECTOR,
        website="https://www.miambiente.gob.pa/",
        description=(
            "Founding member. Its forests take up more carbon than the country emits, so Panama is "
            "already net negative; its aim is to stay so as the economy grows."
        ),
        contacts=[
            dict(
                name="Ana Sofía Ríos",
                email="ana.rios@example.org",
                job_title="Climate change directorate",
                is_primary=True,
            )
        ],
        tier="founding-member",
        joined_on=date(2023, 12, 10),
        commitments=[
            DemoCommitment(
                CK.NET_NEGATIVE,
                [
                    Version(
                        _at(2023, 12, 10),
                        dict(
                            title="Net negative: forest removals exceed national emissions",
                            status=CS.ACHIEVED_SELF_DECLARED,
                            gases=Commitment.Gases.CO2,
                            scope=Commitment.Scope.ECONOMY_WIDE,
                            uses_removals=Commitment.Usage.YES,
                            uses_offsets=Commitment.Usage.NO,
                            source_url="https://www.miambiente.gob.pa/",
                            notes="Self-declared on the basis of the national greenhouse gas inventory.",
                        ),
                    )
                ],
            )
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.JOINED,
                COP28_LAUNCH,
                "Joined as a founding member at the COP28 launch",
                contacts=("Ana Sofía Ríos",),
            )
        ],
    ),
    DemoOrganisation(
        name="Finland",
        kind=K.COUNTRY,
        country="FI",
        sector=S.PUBLIC_SECTOR,
        website="https://ym.fi/en/",
        description=(
            "Founding member. The Climate Change Act sets carbon neutrality by 2035 and carbon "
            "negativity soon after."
        ),
        contacts=[
            dict(
                name="Aino Virtanen",
                email="aino.virtanen@example.org",
                job_title="Senior climate adviser",
                is_primary=True,
            )
        ],
        tier="founding-member",
        joined_on=date(2023, 12, 10),
        commitments=[
            DemoCommitment(
                CK.CARBON_NEUTRAL,
                [
                    Version(
                        _at(2019, 6, 6),
                        dict(
                            title="Carbon neutral by 2035",
                            target_year=2035,
                            status=CS.POLICY_DOCUMENT,
                            uses_removals=Commitment.Usage.YES,
                            announced_on=date(2019, 6, 6),
                            source_url="https://ym.fi/en/",
                            notes="First set in the government programme.",
                            **_LAW,
                        ),
                    ),
                    Version(
                        _at(2022, 7, 1),
                        dict(status=CS.LAW, notes="Written into the Climate Change Act, in force July 2022."),
                    ),
                ],
            ),
            DemoCommitment(
                CK.NET_NEGATIVE,
                [
                    Version(
                        _at(2022, 7, 1),
                        dict(
                            title="Carbon negative soon after 2035",
                            status=CS.LAW,
                            uses_removals=Commitment.Usage.YES,
                            announced_on=date(2022, 7, 1),
                            source_url="https://ym.fi/en/",
                            **_LAW,
                        ),
                    )
                ],
            ),
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.JOINED,
                COP28_LAUNCH,
                "Joined as a founding member at the COP28 launch",
                contacts=("Aino Virtanen",),
            ),
            DemoEngagement(
                Engagement.Kind.MEETING,
                _at(2024, 6, 12, 13, 0),
                "Bonn climate talks (SB60): net-negative goals in the next round of NDCs",
                contacts=("Aino Virtanen",),
            ),
        ],
    ),
    DemoOrganisation(
        name="Bhutan",
        kind=K.COUNTRY,
        country="BT",
        sector=S.PUBLIC_SECTOR,
        website="https://www.nec.gov.bt/",
        description="Engaged: spoke at the launch. Carbon negative for years thanks to its forest cover.",
        contacts=[
            dict(
                name="Karma Dorji",
                email="karma.dorji@example.org",
                job_title="Climate negotiator",
                is_primary=True,
            )
        ],
        commitments=[
            DemoCommitment(
                CK.CARBON_NEUTRAL,
                [
                    Version(
                        _at(2009, 12, 10),
                        dict(
                            title="Remain carbon neutral",
                            status=CS.ACHIEVED_SELF_DECLARED,
                            gases=Commitment.Gases.ALL_GHG,
                            scope=Commitment.Scope.ECONOMY_WIDE,
                            uses_removals=Commitment.Usage.YES,
                            notes="First pledged at COP15; its forests absorb more CO₂ than it emits.",
                        ),
                    )
                ],
            )
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.SPEAKING_SLOT,
                _at(2023, 12, 10, 10, 20),
                LAUNCH_SUMMARY,
                "Spoke as a country that is already carbon negative; endorsed the Group.",
                contacts=("Karma Dorji",),
            ),
            DemoEngagement(
                Engagement.Kind.MEETING,
                _at(2024, 11, 14, 11, 0),
                "COP29, Baku: what joining the Group would involve",
                contacts=("Karma Dorji",),
            ),
        ],
    ),
    DemoOrganisation(
        name="European Commission",
        kind=K.INTERGOVERNMENTAL,
        country="BE",
        sector=S.PUBLIC_SECTOR,
        website="https://commission.europa.eu/",
        description="Engaged: spoke at the launch on the EU's path to climate neutrality and beyond.",
        contacts=[
            dict(
                name="Luca Moretti",
                email="luca.moretti@example.org",
                job_title="Policy officer, international climate negotiations",
                is_primary=True,
            ),
            dict(name="Office of the Commissioner for Climate Action", job_title="Public office"),
        ],
        commitments=[
            DemoCommitment(
                CK.CLIMATE_NEUTRAL,
                [
                    Version(
                        _at(2021, 6, 30),
                        dict(
                            title="EU climate neutrality by 2050 (European Climate Law)",
                            target_year=2050,
                            status=CS.LAW,
                            uses_removals=Commitment.Usage.YES,
                            announced_on=date(2021, 6, 30),
                            notes="The law also aims at negative emissions after 2050.",
                            **_LAW,
                        ),
                    )
                ],
            )
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.SPEAKING_SLOT,
                _at(2023, 12, 10, 10, 30),
                LAUNCH_SUMMARY,
                "Endorsed the Group; spoke on removals in EU climate policy.",
                contacts=("Office of the Commissioner for Climate Action",),
            )
        ],
    ),
    DemoOrganisation(
        name="World Resources Institute",
        kind=K.RESEARCH,
        country="US",
        sector=S.CIVIL_SOCIETY,
        website="https://www.wri.org/",
        description="Engaged: spoke at the launch; research partner on carbon removal and national targets.",
        contacts=[
            dict(
                name="Jordan Ellis",
                email="jordan.ellis@example.org",
                job_title="Research lead, carbon removal",
                is_primary=True,
            )
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.SPEAKING_SLOT,
                _at(2023, 12, 10, 10, 40),
                LAUNCH_SUMMARY,
                "Endorsed the Group; spoke on what the science asks of removals.",
                contacts=("Jordan Ellis",),
            )
        ],
    ),
    DemoOrganisation(
        name="UN Environment Programme",
        kind=K.INTERGOVERNMENTAL,
        country="KE",
        sector=S.PUBLIC_SECTOR,
        website="https://www.unep.org/",
        description=(
            "Engaged: spoke at the launch; its emissions gap work makes the case for going beyond zero."
        ),
        contacts=[
            dict(
                name="Wanjiru Kamau",
                email="wanjiru.kamau@example.org",
                job_title="Programme officer, climate mitigation",
                is_primary=True,
            )
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.SPEAKING_SLOT,
                _at(2023, 12, 10, 10, 50),
                LAUNCH_SUMMARY,
                "Endorsed the Group; spoke on the emissions gap.",
                contacts=("Wanjiru Kamau",),
            )
        ],
    ),
    DemoOrganisation(
        name="Coalition for High Ambition Multilevel Partnerships (CHAMP)",
        kind=K.OTHER,
        sector=S.PUBLIC_SECTOR,
        description=(
            "Engaged: spoke at the launch. National governments working with their cities and regions "
            "on climate plans."
        ),
        contacts=[
            dict(
                name="Maria Lopes",
                email="maria.lopes@example.org",
                job_title="Partnerships coordinator",
                is_primary=True,
            )
        ],
        engagements=[
            DemoEngagement(
                Engagement.Kind.SPEAKING_SLOT,
                _at(2023, 12, 10, 11, 0),
                LAUNCH_SUMMARY,
                "Endorsed the Group; spoke on cities and regions in net-negative plans.",
                contacts=("Maria Lopes",),
            )
        ],
    ),
]

# --- Coalition for Negative Emissions: companies across sectors, with the CBI among the founders -----------
# The companies other than the CBI are invented for the demo (example.com websites).

CNE_FOUNDED = date(2021, 6, 9)


def _company(
    name: str,
    sector: str,
    domain: str,
    description: str,
    contact: tuple[str, str, str],
    commitments: list[DemoCommitment],
    *,
    tier: str = "founding-member",
    joined_on: date = CNE_FOUNDED,
    kind: str = K.COMPANY,
) -> DemoOrganisation:
    person, email, title = contact
    return DemoOrganisation(
        name=name,
        kind=kind,
        country="GB",
        sector=sector,
        website=f"https://www.{domain}/",
        description=description,
        contacts=[dict(name=person, email=email, job_title=title, is_primary=True)],
        tier=tier,
        joined_on=joined_on,
        commitments=commitments,
        engagements=[
            DemoEngagement(
                Engagement.Kind.JOINED,
                _at(joined_on.year, joined_on.month, joined_on.day, 10),
                "Joined the Coalition for Negative Emissions",
                contacts=(person,),
            )
        ],
    )


def _one(kind: str, on: date, **fields: Any) -> DemoCommitment:
    return DemoCommitment(kind, [Version(_at(on.year, on.month, on.day), {"announced_on": on, **fields})])


CNE = [
    DemoOrganisation(
        name="CBI (Confederation of British Industry)",
        kind=K.OTHER,
        country="GB",
        sector=S.OTHER,
        website="https://www.cbi.org.uk/",
        description=(
            "Business organisation and founding member: argues that negative emissions need support to "
            "deploy now if climate targets are to be met."
        ),
        contacts=[
            dict(name="Office of the Director-General", job_title="Public office", is_primary=False),
            dict(
                name="Tom Barker",
                email="tom.barker@example.org",
                job_title="Head of climate policy",
                is_primary=True,
            ),
        ],
        tier="founding-member",
        joined_on=CNE_FOUNDED,
        engagements=[
            DemoEngagement(
                Engagement.Kind.JOINED,
                _at(2021, 6, 9, 10),
                "Founding member of the Coalition for Negative Emissions",
                contacts=("Office of the Director-General",),
            ),
            DemoEngagement(
                Engagement.Kind.LETTER,
                _at(2021, 9, 20, 9),
                "Joint letter to government: a market framework for greenhouse gas removals",
                contacts=("Tom Barker",),
            ),
        ],
    ),
    _company(
        "Skyway Sustainable Aviation",
        S.AVIATION,
        "skyway-aviation.example.com",
        "Airline group: cannot remove every emission from flying by 2050, so buys and invests in removals.",
        ("Priya Shah", "priya.shah@example.org", "Director of sustainability"),
        [
            _one(
                CK.NET_ZERO,
                date(2021, 6, 9),
                title="Net zero by 2050, residual emissions balanced by removals",
                target_year=2050,
                status=CS.PLEDGE,
                scope=Commitment.Scope.SCOPE_1_2_3,
                uses_removals=Commitment.Usage.YES,
            ),
        ],
    ),
    _company(
        "Northforge Heavy Engineering",
        S.HEAVY_INDUSTRY,
        "northforge.example.com",
        "Steel fabrication and heavy plant: capturing process CO₂ at its largest site.",
        ("Gareth Hughes", "gareth.hughes@example.org", "Head of decarbonisation"),
        [
            _one(
                CK.NET_ZERO,
                date(2021, 6, 9),
                title="Net zero operations by 2045",
                target_year=2045,
                status=CS.POLICY_DOCUMENT,
                scope=Commitment.Scope.SCOPE_1_2,
            ),
        ],
    ),
    _company(
        "Greenacre Land and Soils",
        S.AGRICULTURE_LAND,
        "greenacre-land.example.com",
        "Farms and estates: soil carbon, hedgerows and woodland on its own land and its tenants'.",
        ("Eleanor Price", "eleanor.price@example.org", "Estates director"),
        [
            _one(
                CK.REMOVAL_TARGET,
                date(2021, 6, 9),
                title="Remove 50 000 tCO₂ a year through soils and woodland by 2030",
                target_year=2030,
                status=CS.PLEDGE,
                gases=Commitment.Gases.CO2,
            ),
        ],
    ),
    _company(
        "Humber Bioenergy",
        S.ENERGY,
        "humber-bioenergy.example.com",
        "Power generator: bioenergy with carbon capture and storage.",
        ("Daniel Okafor", "daniel.okafor@example.org", "Carbon capture programme lead"),
        [
            _one(
                CK.NET_NEGATIVE,
                date(2021, 6, 9),
                title="Carbon negative by 2030",
                target_year=2030,
                status=CS.PLEDGE,
                scope=Commitment.Scope.SCOPE_1_2,
                uses_removals=Commitment.Usage.YES,
                uses_offsets=Commitment.Usage.NO,
            ),
        ],
    ),
    _company(
        "AirLoop Capture",
        S.TECHNOLOGY,
        "airloop.example.com",
        "Start-up building modular direct air capture units.",
        ("Sara Lindqvist", "sara.lindqvist@example.org", "Co-founder"),
        [
            _one(
                CK.REMOVAL_TARGET,
                date(2022, 3, 1),
                title="100 000 tCO₂ of direct air capture a year by 2030",
                target_year=2030,
                status=CS.PLEDGE,
                gases=Commitment.Gases.CO2,
            ),
        ],
        tier="member",
        joined_on=date(2022, 3, 1),
    ),
    _company(
        "Brightmould Manufacturing",
        S.MANUFACTURING,
        "brightmould.example.com",
        "Plastics and packaging manufacturer buying removals for residual emissions.",
        ("Hannah Cole", "hannah.cole@example.org", "Chief sustainability officer"),
        [
            _one(
                CK.NET_ZERO,
                date(2021, 6, 9),
                title="Net zero across the value chain by 2040",
                target_year=2040,
                status=CS.PLEDGE,
                scope=Commitment.Scope.SCOPE_1_2_3,
            ),
            _one(
                CK.EMISSIONS_REDUCTION,
                date(2021, 6, 9),
                title="Halve scope 1 and 2 emissions by 2030 against 2019",
                target_year=2030,
                reduction_percent=Decimal("50.0"),
                baseline_year=2019,
                status=CS.PLEDGE,
                scope=Commitment.Scope.SCOPE_1_2,
                is_interim=True,
            ),
        ],
    ),
    _company(
        "Peatland Restoration Trust",
        S.CIVIL_SOCIETY,
        "peatland-trust.example.org",
        "Charity restoring upland peat: an environmental steward among the observers.",
        ("Iain Fraser", "iain.fraser@example.org", "Science manager"),
        [],
        tier="observer",
        joined_on=date(2022, 9, 15),
        kind=K.NGO,
    ),
]

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

DATA = {"gone": GONE, "cne": CNE, "cnc": CNC}


# --- Loading ----------------------------------------------------------------------------------------------


def _months_later(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _differs(obj, values: dict[str, Any]) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _upsert(model, lookup: dict[str, Any], values: dict[str, Any], *, at: datetime | None = None):
    """Find by ``lookup``; create, or update only if a value differs (so reruns write no history)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
    elif not _differs(obj, values):
        return obj
    else:
        for name, value in values.items():
            setattr(obj, name, value)
    if at is not None:
        obj._history_date = at
    obj.full_clean()
    obj.save()
    return obj


def _organisation(spec: DemoOrganisation) -> Organisation:
    values = dict(
        name=spec.name,
        kind=spec.kind,
        country=spec.country,
        sector=spec.sector,
        website=spec.website,
        description=spec.description,
        listed_publicly=spec.listed_publicly,
    )
    if spec.kind == K.COUNTRY:
        lookup = {"kind": K.COUNTRY, "country": values.pop("country")}
        del values["kind"]
    else:
        lookup = {"name": values.pop("name")}
    created_at = (
        _at(spec.joined_on.year, spec.joined_on.month, spec.joined_on.day, 8) if spec.joined_on else None
    )
    return _upsert(Organisation, lookup, values, at=created_at)


def _membership(organisation: Organisation, spec: DemoOrganisation, tiers: dict[str, MembershipTier]) -> None:
    if not spec.tier or not spec.joined_on:
        return
    tier = tiers[spec.tier]
    existing = Membership.objects.filter(organisation=organisation, joined_on=spec.joined_on).first()
    if existing is None and organisation.memberships.filter(status__in=Membership.CURRENT_STATUSES).exists():
        # Loaded alongside another profile that already made it a member: one current membership only.
        return
    values: dict[str, Any] = dict(tier=tier, status=Membership.Status.ACTIVE, start_date=spec.joined_on)
    if existing is None and tier.period_months:
        # Members renewed every period since joining; the demo shows the current period.
        start = spec.joined_on
        while _months_later(start, tier.period_months) <= timezone.localdate():
            start = _months_later(start, tier.period_months)
        values["start_date"] = start
        values["end_date"] = _months_later(start, tier.period_months) - timedelta(days=1)
    elif existing is not None:
        values = {"tier": tier}
    _upsert(
        Membership,
        {"organisation": organisation, "joined_on": spec.joined_on},
        values,
        at=_at(spec.joined_on.year, spec.joined_on.month, spec.joined_on.day, 10),
    )


def _commitment(organisation: Organisation, spec: DemoCommitment) -> None:
    lookup = {"organisation": organisation, "kind": spec.kind}
    if Commitment.objects.filter(**lookup).exists():
        final: dict[str, Any] = {}
        for version in spec.versions:
            final.update(version.fields)
        _upsert(Commitment, lookup, final, at=spec.versions[-1].on)
        return
    # First load: replay the revisions so the history shows how the target changed.
    for version in spec.versions:
        _upsert(Commitment, lookup, version.fields, at=version.on)


def _engagement(organisation: Organisation, spec: DemoEngagement) -> None:
    engagement = _upsert(
        Engagement,
        {"organisation": organisation, "kind": spec.kind, "occurred_at": spec.at},
        {"summary": spec.summary, "details": spec.details},
    )
    if spec.contacts:
        wanted = set(organisation.contacts.filter(name__in=spec.contacts).values_list("pk", flat=True))
        if set(engagement.contacts.values_list("pk", flat=True)) != wanted:
            engagement.contacts.set(wanted)


@transaction.atomic
def load(*, profile: str) -> None:
    """Load (or bring up to date) the demo records of one coalition: ``gone``, ``cne`` or ``cnc``."""
    if profile not in DATA:
        raise ValueError(f"Unknown demo profile {profile!r}; choose one of {', '.join(PROFILES)}.")
    tiers = {
        t["slug"]: _upsert(MembershipTier, {"slug": t["slug"]}, {k: v for k, v in t.items() if k != "slug"})
        for t in TIERS
    }
    for spec in DATA[profile]:
        organisation = _organisation(spec)
        for contact in spec.contacts:
            values = {"email": "", "phone": "", "job_title": "", "is_primary": False, **contact}
            _upsert(Contact, {"organisation": organisation, "name": values.pop("name")}, values)
        _membership(organisation, spec, tiers)
        for commitment in spec.commitments:
            _commitment(organisation, commitment)
        for engagement in spec.engagements:
            _engagement(organisation, engagement)
