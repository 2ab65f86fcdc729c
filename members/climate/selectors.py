"""Reads for the dashboard, the organisation profile and the tracker page. Each runs a fixed number of
queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from members.climate.countries import EU_PARTY_CODE
from members.climate.ndc import party_codes_for, party_codes_for_country
from members.models import Discrepancy, Membership, NdcSubmission, Organisation

MEMBER_STATUSES = (Membership.Status.ACTIVE, Membership.Status.GRACE)


@dataclass(frozen=True)
class Ndc3Member:
    organisation: Organisation
    submission: NdcSubmission

    @property
    def since(self) -> date | None:
        return self.submission.submitted_on

    @property
    def through_eu(self) -> bool:
        return self.submission.party_code == EU_PARTY_CODE


def members_with_active_ndc3() -> list[Ndc3Member]:
    """Member countries with an active NDC 3.0 (their own, or the EU's for EU member states), and since when.
    Two queries."""
    members = list(
        Organisation.objects.filter(kind=Organisation.Kind.COUNTRY, memberships__status__in=MEMBER_STATUSES)
        .distinct()
        .order_by("name")
    )
    if not members:
        return []
    codes = {code for member in members for code in party_codes_for(member)}
    active = NdcSubmission.objects.filter(
        party_code__in=codes, round=NdcSubmission.Round.NDC_3, status=NdcSubmission.Status.ACTIVE
    ).order_by("submitted_on", "pk")
    first_by_party: dict[str, NdcSubmission] = {}
    for submission in active:
        first_by_party.setdefault(submission.party_code, submission)
    rows = []
    for member in members:
        # A country's own submission before the EU's it carries.
        for code in party_codes_for_country(member.country.code):
            if code in first_by_party:
                rows.append(Ndc3Member(member, first_by_party[code]))
                break
    return rows


def discrepancies_open(*, limit: int = 10) -> list[Discrepancy]:
    return list(
        Discrepancy.objects.filter(status=Discrepancy.Status.OPEN)
        .select_related("organisation", "commitment")
        .order_by("created_at", "pk")[:limit]
    )


def discrepancies_open_count() -> int:
    return Discrepancy.objects.filter(status=Discrepancy.Status.OPEN).count()


def ndc_submissions_flagged(*, limit: int = 10) -> list[NdcSubmission]:
    """New NDC 3.0 submissions of countries with a net-negative goal: staff confirm the move to committed."""
    return list(
        NdcSubmission.objects.filter(net_negative_flagged=True)
        .select_related("organisation")
        .order_by("-submitted_on", "pk")[:limit]
    )


def dashboard_figures() -> dict:
    """What the dashboard shows of climate data: the discrepancy queue, flagged NDCs, members' NDC 3.0."""
    return {
        "discrepancies": discrepancies_open(),
        "discrepancies_count": discrepancies_open_count(),
        "ndc_flagged": ndc_submissions_flagged(),
        "ndc3_members": members_with_active_ndc3(),
    }


def ndc_submission_list() -> QuerySet[NdcSubmission]:
    return NdcSubmission.objects.select_related("organisation").order_by("party", "-submitted_on", "pk")


def organisation_climate(*, organisation: Organisation) -> dict:
    """The organisation profile's climate panel: each commitment with its integrity summary, the NDC
    submissions it carries, and its open discrepancies. Three queries."""
    from members.climate.integrity import integrity_summary
    from members.climate.ndc import ndc_submissions_for

    commitments = list(organisation.commitments.order_by("is_interim", "target_year", "pk"))
    return {
        "commitments": [(c, integrity_summary(c)) for c in commitments],
        "ndc_submissions": list(ndc_submissions_for(organisation=organisation)[:20]),
        "discrepancies": list(organisation.discrepancies.filter(status=Discrepancy.Status.OPEN)),
    }
