"""What a demo profile is made of: organisations, commitments with their versions, engagements, tiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from members.models import Commitment, Organisation

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
        name_translations={"fr": "Membre fondateur", "es": "Miembro fundador"},
        description="Members who launched the coalition. Open-ended; renewed by their own decision.",
        period_months=None,
        grace_days=0,
        open_to_applicants=False,
        sort_order=10,
    ),
    dict(
        slug="member",
        name="Member",
        name_translations={"fr": "Membre", "es": "Miembro"},
        description="Full members: take part in all work streams and sign the coalition's statements.",
        period_months=12,
        grace_days=30,
        open_to_applicants=True,
        sort_order=20,
    ),
    dict(
        slug="observer",
        name="Observer / associate",
        name_translations={"fr": "Observateur / associé", "es": "Observador / asociado"},
        description="Follow the work and attend meetings without signing the coalition's statements.",
        period_months=12,
        grace_days=30,
        open_to_applicants=True,
        sort_order=30,
    ),
    dict(
        slug="partner",
        name="Partner",
        name_translations={"fr": "Partenaire", "es": "Socio"},
        description="Organisations that support the secretariat with knowledge, events or funding.",
        period_months=24,
        grace_days=60,
        open_to_applicants=False,
        sort_order=40,
    ),
]

_LAW = dict(gases=Commitment.Gases.ALL_GHG, scope=Commitment.Scope.ECONOMY_WIDE)


def _one(kind: str, on: date, **fields: Any) -> DemoCommitment:
    return DemoCommitment(kind, [Version(_at(on.year, on.month, on.day), {"announced_on": on, **fields})])
