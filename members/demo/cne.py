"""Demo profile: the Coalition for Negative Emissions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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
