"""Factories and payload helpers for the enquiry pipeline tests."""

import time

import factory
from django.core import signing

from coalition.antispam import _SALT as STARTED_SALT
from members.models import Enquiry, MembershipTier, Organisation


class OpenTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipTier
        django_get_or_create = ("slug",)

    name = "Member"
    slug = "member"
    period_months = 12
    open_to_applicants = True


class EnquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enquiry

    organisation_name = factory.Sequence(lambda n: f"Direct Air Capture Works {n}")
    organisation_kind = Organisation.Kind.COMPANY
    country = "DK"
    website = factory.Sequence(lambda n: f"https://dac{n}.example.com")
    contact_name = "Ingrid Hansen"
    email = factory.Sequence(lambda n: f"applicant{n}@example.com")
    job_title = "Head of Sustainability"
    motivation = "We remove CO2 from the air and want to work with governments on removal targets."
    intended_commitments = "Net negative operations by 2035."
    requested_tier = factory.SubFactory(OpenTierFactory)
    consent_to_contact = True


def started_token(seconds_ago: float = 30.0) -> str:
    """A join-form timestamp from ``seconds_ago``, as if a person had taken that long to fill it in."""
    return signing.dumps(time.time() - seconds_ago, salt=STARTED_SALT)


def application(**overrides) -> dict:
    """A valid API payload for POST /api/v1/enquiries/ (tier ``member`` must exist)."""
    data = {
        "organisation_name": "Climeworks Nordic",
        "organisation_kind": "company",
        "country": "DK",
        "website": "https://climeworks-nordic.example.com",
        "contact_name": "Ingrid Hansen",
        "email": "ingrid@climeworks-nordic.example.com",
        "job_title": "Head of Sustainability",
        "motivation": "We want to help make net-negative targets the norm.",
        "intended_commitments": "Net negative by 2040.",
        "target_kind": "net_negative",
        "target_year": 2040,
        "requested_tier": "member",
        "consent_to_contact": True,
        "wants_updates": False,
        "form_started": started_token(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def form_data(tier: MembershipTier | None = None, **overrides) -> dict:
    """A valid POST for the /join/ form."""
    data = application(**overrides)
    data["requested_tier"] = str(tier.pk) if tier else ""
    data["consent_to_contact"] = "on" if data.get("consent_to_contact") else ""
    data["wants_updates"] = "on" if data.get("wants_updates") else ""
    data["target_year"] = "" if data.get("target_year") is None else str(data["target_year"])
    data.setdefault("homepage", "")
    return {k: v for k, v in data.items() if v not in ("", None)}
