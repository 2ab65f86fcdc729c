"""Demo data for campaigns and events: ``load(profile=...)``, idempotent.

For the GONE profile: the campaign for net-negative targets in NDCs before COP30 (the alliance's first focus,
announced at its launch) with country targets at several stages, and the COP28 launch event in Dubai with
its speakers. It works on top of the members demo data (organisations are looked up by country code, name or
website domain) and on its own (missing organisations are created).
"""

import datetime
from dataclasses import dataclass

from django.db import transaction

from campaigns import services
from campaigns.models import Campaign, Event, EventParticipant, Target
from members import services as member_services
from members.models import Commitment, Contact, Engagement, Organisation

UTC = datetime.UTC


def _at(day: str, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def country(code: str, name: str) -> Organisation:
    existing = Organisation.objects.filter(kind=Organisation.Kind.COUNTRY, country=code).first()
    if existing:
        return existing
    return member_services.organisation_create(
        name=name, kind=Organisation.Kind.COUNTRY, country=code, sector=Organisation.Sector.PUBLIC_SECTOR
    )


@dataclass(frozen=True)
class Body:
    name: str
    aliases: tuple[str, ...]
    kind: str
    sector: str
    website: str
    domain: str


def organisation(body: Body) -> Organisation:
    for name in (body.name, *body.aliases):
        found = Organisation.objects.filter(name__iexact=name).exclude(kind=Organisation.Kind.COUNTRY).first()
        if found:
            return found
    found = Organisation.objects.filter(website_domain=body.domain).first() if body.domain else None
    if found:
        return found
    return member_services.organisation_create(
        name=body.name, kind=body.kind, sector=body.sector, website=body.website
    )


def contact(org: Organisation, *, name: str, job_title: str) -> Contact:
    found = org.contacts.filter(name__iexact=name).first()
    # Not contact_create: it records a first affiliation dated today, which the demo's other contacts lack.
    return found or Contact.objects.create(organisation=org, name=name, job_title=job_title)


CAMPAIGN_NAME = "Net-negative targets in NDCs before COP30"

# (ISO code, name, final stage, stage history as (date, stage, note), next action, notes).
# The stages, dates and notes are illustrative demo data, not a record of any government's position.
GONE_TARGETS = [
    (
        "PA",
        "Panama",
        [
            ("2023-12-10", Target.Stage.IDENTIFIED, "Founding member; already removes more than it emits."),
            (
                "2024-03-12",
                Target.Stage.ENGAGED,
                "Working session on how to state a net-negative goal in an NDC.",
            ),
            ("2025-02-20", Target.Stage.COMMITTED, "Net-negative ambition carried into the new NDC (demo)."),
        ],
        "",
        "Ask to present its NDC approach at the next members' call.",
    ),
    (
        "BT",
        "Bhutan",
        [
            ("2023-12-10", Target.Stage.IDENTIFIED, "Spoke at the COP28 launch of the alliance."),
            ("2024-01-15", Target.Stage.CONTACTED, "Follow-up letter after COP28."),
            ("2024-06-04", Target.Stage.ENGAGED, "Bilateral call with the climate negotiators."),
        ],
        "Share the draft NDC language on removals",
        "Carbon-negative today; interested in how peers word it in their NDCs.",
    ),
    (
        "SR",
        "Suriname",
        [
            ("2024-02-01", Target.Stage.IDENTIFIED, "Forest country with a net sink."),
            ("2024-05-10", Target.Stage.CONTACTED, "Letter from the secretariat."),
        ],
        "Propose a call with the environment ministry",
        "",
    ),
    (
        "CL",
        "Chile",
        [("2024-02-01", Target.Stage.IDENTIFIED, "")],
        "Find the right contact in the environment ministry",
        "",
    ),
    (
        "CO",
        "Colombia",
        [
            ("2024-02-01", Target.Stage.IDENTIFIED, ""),
            ("2024-09-18", Target.Stage.CONTACTED, "Met the delegation at a regional workshop."),
        ],
        "Send the briefing on removals accounting",
        "",
    ),
    (
        "UY",
        "Uruguay",
        [
            ("2024-02-01", Target.Stage.IDENTIFIED, ""),
            ("2024-04-22", Target.Stage.CONTACTED, "Letter from the secretariat."),
            (
                "2025-06-30",
                Target.Stage.DECLINED,
                "Not in this NDC round; open to talk again for the next one.",
            ),
        ],
        "",
        "",
    ),
]

LAUNCH_TITLE = "Launch of the Group of Negative Emitters"
LAUNCH_START = datetime.datetime(2023, 12, 10, 6, 0, tzinfo=UTC)  # 10:00 in Dubai (UTC+4); indicative

EUROPEAN_COMMISSION = Body(
    "European Commission",
    ("EU Commission",),
    Organisation.Kind.INTERGOVERNMENTAL,
    Organisation.Sector.PUBLIC_SECTOR,
    "https://commission.europa.eu/",
    "commission.europa.eu",
)
WRI = Body(
    "World Resources Institute",
    ("WRI",),
    Organisation.Kind.RESEARCH,
    Organisation.Sector.CIVIL_SOCIETY,
    "https://www.wri.org/",
    "wri.org",
)
UNEP = Body(
    "UN Environment Programme",
    ("United Nations Environment Programme", "UNEP", "UN Environmental Programme"),
    Organisation.Kind.INTERGOVERNMENTAL,
    Organisation.Sector.PUBLIC_SECTOR,
    "https://www.unep.org/",
    "unep.org",
)
CHAMP = Body(
    "Coalition for High Ambition Multilevel Partnerships",
    ("Coalition for High Ambition Multilevel Partnerships (CHAMP)", "CHAMP"),
    Organisation.Kind.OTHER,
    Organisation.Sector.PUBLIC_SECTOR,
    "",
    "",
)


def _gone_campaign() -> Campaign:
    campaign = Campaign.objects.filter(name=CAMPAIGN_NAME).first()
    if campaign:
        return campaign
    return services.campaign_create(
        name=CAMPAIGN_NAME,
        objective=(
            "Countries include net-negative targets in the national climate plans (NDCs) they submit before "
            "COP30 in Belém."
        ),
        description=(
            "The alliance's first focus, set at its launch at COP28: every country had to submit a new NDC "
            "before COP30 in 2025, and the coalition urged as many as possible to include a net-negative "
            "target. Founding members Denmark and Finland are not targets: their NDC is the EU's. "
            "Demo data: the stages, dates and notes of the targets are illustrative, not a record of any "
            "government's position."
        ),
        # The deadline (COP30, November 2025) has passed and the NDC round closed, so the push is over.
        status=Campaign.Status.COMPLETED,
        start_date=datetime.date(2023, 12, 10),
        deadline=datetime.date(2025, 11, 10),
        ask_kind=Commitment.Kind.NET_NEGATIVE,
        ask_min_status=Commitment.Status.NDC,
        ask_in_ndc=True,
    )


def _gone_targets(campaign: Campaign) -> None:
    for code, name, history, next_action, notes in GONE_TARGETS:
        org = country(code, name)
        if Target.objects.filter(campaign=campaign, organisation=org).exists():
            continue
        first_day, first_stage, first_note = history[0]
        target = services.target_add(
            campaign=campaign,
            organisation=org,
            stage=first_stage,
            next_action=next_action,
            notes=notes,
            note=first_note or "Added",
            at=_at(first_day),
        )
        for day, stage, note in history[1:]:
            commitment = None
            if stage == Target.Stage.COMMITTED:
                # Link the commitment the members demo recorded, when there is one that answers the ask.
                for c in Commitment.objects.filter(organisation=org, kind=Commitment.Kind.NET_NEGATIVE):
                    if services.commitment_satisfies_ask(commitment=c, campaign=campaign):
                        commitment = c
                        break
            target = services.target_move(
                target=target, stage=stage, note=note, commitment=commitment, at=_at(day)
            )
        if code == "SR":
            services.target_log_action(
                target=target,
                kind=Engagement.Kind.LETTER,
                summary="Letter inviting Suriname to consider a net-negative target in its NDC",
                occurred_at=_at("2024-05-10"),
            )
        if code == "BT":
            services.target_log_action(
                target=target,
                kind=Engagement.Kind.CALL,
                summary="Call with the climate negotiators on NDC language for removals",
                occurred_at=_at("2024-06-04", 13),
            )


def _gone_launch(campaign: Campaign) -> Event:
    event = Event.objects.filter(title=LAUNCH_TITLE, starts_at=LAUNCH_START).first()
    if event is None:
        event = services.event_create(
            title=LAUNCH_TITLE,
            kind=Event.Kind.SIDE_EVENT,
            starts_at=LAUNCH_START,
            ends_at=LAUNCH_START + datetime.timedelta(hours=1),
            location="COP28, Expo City Dubai, United Arab Emirates",
            description=(
                "Denmark launches the Group of Negative Emitters with Panama and Finland at the UN climate "
                "summit: countries that aim to remove more greenhouse gases than they emit. The speakers "
                "endorsed the alliance and spoke on why negative emissions matter. (The time shown is "
                "indicative.)"
            ),
            campaign=campaign,
        )
    denmark = country("DK", "Denmark")
    minister = contact(
        denmark,
        name="Dan Jørgensen",
        job_title="Minister for Development Cooperation and Global Climate Policy",
    )
    speakers: list[tuple[Organisation, Contact | None]] = [
        (denmark, minister),
        (country("BT", "Bhutan"), None),
        (organisation(EUROPEAN_COMMISSION), None),
        (organisation(WRI), None),
        (organisation(UNEP), None),
        (organisation(CHAMP), None),
    ]
    for org, person in speakers:
        participant = EventParticipant.objects.filter(event=event, organisation=org, contact=person).first()
        if participant is None:
            participant = services.participant_add(
                event=event,
                organisation=org,
                contact=person,
                role=EventParticipant.Role.SPEAKER,
                response=EventParticipant.Response.ACCEPTED,
            )
        services.participant_mark_attended(participant=participant)
    return event


@transaction.atomic
def load(*, profile: str) -> None:
    """Load the campaigns demo data of ``profile``; running it again changes nothing."""
    if profile.lower() != "gone":
        return
    campaign = _gone_campaign()
    _gone_targets(campaign)
    _gone_launch(campaign)
