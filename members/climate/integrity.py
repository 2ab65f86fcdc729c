"""The integrity summary of a commitment: the Net Zero Tracker's indicators read as seven plain criteria,
each met, not met or unknown, and how many are met. Pure: it reads the commitment's own fields only."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from members.models import Commitment

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
U = Commitment.Usage
P = Commitment.Plan
R = Commitment.Reporting


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    explanation: str
    result: str

    def as_dict(self, texts: dict[str, tuple[str, str]]) -> dict[str, str]:
        """``texts``: every criterion's label and explanation in the answer's language (``_texts``)."""
        label, explanation = texts[self.key]
        return {"key": self.key, "label": label, "explanation": explanation, "result": self.result}


#: (key, label, what "met" means in plain words)
CRITERIA = (
    (
        "published_plan",
        _("Published plan"),
        _("A plan saying how the target will be reached has been published."),
    ),
    ("reporting", _("Reporting"), _("Progress towards the target is reported every year.")),
    ("accountability", _("Accountability"), _("Someone is made accountable for delivering the target.")),
    (
        "carbon_credits",
        _("Carbon credits"),
        _("Carbon credits are not counted towards the target, or only under stated conditions."),
    ),
    (
        "removal_target",
        _("Separate removal target"),
        _("Removals have their own target, apart from cutting emissions."),
    ),
    (
        "aviation_shipping",
        _("Aviation and shipping"),
        _("Emissions from international aviation and shipping are covered."),
    ),
    (
        "consumption",
        _("Consumption emissions"),
        _("Emissions from what is consumed, including imports, are covered."),
    ),
)


@lru_cache(maxsize=16)
def _texts(language: str | None) -> dict[str, tuple[str, str]]:
    """Every criterion's label and explanation in ``language``, translated once (a list of commitments
    would otherwise look the same fourteen strings up in the catalog on every row)."""
    with translation.override(language):
        return {key: (str(label), str(explanation)) for key, label, explanation in CRITERIA}


def _usage(value: str) -> str:
    return {U.YES: MET, U.NO: NOT_MET}.get(value, UNKNOWN)


def _results(c: Commitment) -> dict[str, str]:
    if c.uses_offsets == U.NO:
        credits = MET
    elif c.uses_offsets == U.YES:
        credits = MET if c.carbon_credit_conditions.strip() else NOT_MET
    else:
        credits = UNKNOWN
    aviation, shipping = _usage(c.covers_international_aviation), _usage(c.covers_international_shipping)
    if NOT_MET in (aviation, shipping):
        aviation_shipping = NOT_MET
    elif aviation == shipping == MET:
        aviation_shipping = MET
    else:
        aviation_shipping = UNKNOWN
    return {
        "published_plan": {P.YES: MET, P.PARTIAL: NOT_MET, P.NO: NOT_MET}.get(c.published_plan, UNKNOWN),
        "reporting": {R.ANNUAL: MET, R.LESS_FREQUENT: NOT_MET, R.NONE: NOT_MET}.get(
            c.reporting_mechanism, UNKNOWN
        ),
        "accountability": {P.YES: MET, P.PARTIAL: NOT_MET, P.NO: NOT_MET}.get(c.accountability, UNKNOWN),
        "carbon_credits": credits,
        "removal_target": _usage(c.separate_removal_target),
        "aviation_shipping": aviation_shipping,
        "consumption": _usage(c.covers_consumption_emissions),
    }


@dataclass(frozen=True)
class IntegritySummary:
    criteria: tuple[Criterion, ...]

    @property
    def met(self) -> int:
        return sum(1 for c in self.criteria if c.result == MET)

    @property
    def not_met(self) -> int:
        return sum(1 for c in self.criteria if c.result == NOT_MET)

    @property
    def unknown(self) -> int:
        return sum(1 for c in self.criteria if c.result == UNKNOWN)

    @property
    def total(self) -> int:
        return len(self.criteria)

    def as_dict(self) -> dict:
        texts = _texts(translation.get_language())
        return {
            "met": self.met,
            "not_met": self.not_met,
            "unknown": self.unknown,
            "total": self.total,
            "criteria": [c.as_dict(texts) for c in self.criteria],
        }


def integrity_summary(commitment: Commitment) -> IntegritySummary:
    results = _results(commitment)
    return IntegritySummary(
        tuple(Criterion(key, label, explanation, results[key]) for key, label, explanation in CRITERIA)
    )


#: The integrity indicators the public CSV and JSON carry (``uses_offsets``: the tracker's carbon credits).
PUBLIC_INTEGRITY_FIELDS = (
    "uses_offsets", "published_plan", "reporting_mechanism", "accountability", "carbon_credit_conditions",
    "separate_removal_target", "covers_international_aviation", "covers_international_shipping",
    "covers_consumption_emissions", "status_date",
)  # fmt: skip


def integrity_export(values: dict) -> dict:
    """A public export row's integrity columns, from a ``.values()`` row of the commitment."""
    fields = {name: values[name] for name in PUBLIC_INTEGRITY_FIELDS}
    summary = integrity_summary(Commitment(**fields))
    return {**fields, "integrity_met": summary.met, "integrity_total": summary.total}
