"""Demo profile: the Group of Negative Emitters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from members.demo.base import (
    _LAW,
    CK,
    CS,
    DemoCommitment,
    DemoEngagement,
    DemoOrganisation,
    K,
    S,
    Version,
    _at,
)
from members.models import Commitment, Engagement

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
