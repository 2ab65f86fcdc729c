import datetime

import factory
from django.utils import timezone

from members.models import Commitment, Contact, Engagement, Membership, MembershipTier, Organisation


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Carbon Removal Company {n}")
    kind = Organisation.Kind.COMPANY
    sector = Organisation.Sector.TECHNOLOGY
    website = factory.Sequence(lambda n: f"https://www.removals{n}.example.com/")


class CountryFactory(OrganisationFactory):
    """A country record; pass ``country="DK"`` and ``name="Denmark"``."""

    kind = Organisation.Kind.COUNTRY
    sector = Organisation.Sector.PUBLIC_SECTOR
    website = ""


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    job_title = "Head of Climate Policy"


class MembershipTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipTier
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Member tier {n}")
    slug = factory.Sequence(lambda n: f"member-tier-{n}")
    period_months = 12
    grace_days = 30


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    tier = factory.SubFactory(MembershipTierFactory)
    status = Membership.Status.ACTIVE
    joined_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=100))
    start_date = factory.LazyAttribute(lambda m: m.joined_on)
    end_date = factory.LazyAttribute(lambda m: m.start_date + datetime.timedelta(days=364))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A factory writes the row directly; the organisation's denormalised membership follows, as the
        # membership services keep it.
        from members.services import organisation_membership_refresh

        membership = super()._create(model_class, *args, **kwargs)
        organisation_membership_refresh(organisation_ids=[membership.organisation_id])
        return membership


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    organisation = factory.SubFactory(OrganisationFactory)
    kind = Commitment.Kind.NET_ZERO
    target_year = 2050
    status = Commitment.Status.PLEDGE


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Engagement

    organisation = factory.SubFactory(OrganisationFactory)
    kind = Engagement.Kind.MEETING
    occurred_at = factory.LazyFunction(timezone.now)
    summary = "Bilateral meeting on removals"


class PendingTierFactory(MembershipTierFactory):
    """A tier whose memberships wait for staff to activate them (a fee to pay first)."""

    starts_pending = True


class OpenEndedTierFactory(MembershipTierFactory):
    """A tier without a period: its memberships never lapse by date."""

    period_months = None


def countries_with_memberships() -> list[Organisation]:
    """Denmark, Panama and Finland, the founding countries: each a member with a headline commitment."""
    tier = MembershipTierFactory(name="Founding member", slug="founding-member")
    facts = [
        ("DK", "Denmark", Commitment.Kind.NET_NEGATIVE, 2050, 110, Commitment.Status.LAW),
        ("PA", "Panama", Commitment.Kind.NET_NEGATIVE, 2050, None, Commitment.Status.NDC),
        ("FI", "Finland", Commitment.Kind.NET_NEGATIVE, 2035, None, Commitment.Status.LAW),
    ]
    countries = []
    for code, name, kind, year, percent, status in facts:
        country = CountryFactory(country=code, name=name)
        MembershipFactory(organisation=country, tier=tier)
        CommitmentFactory(
            organisation=country, kind=kind, target_year=year, reduction_percent=percent, status=status
        )
        countries.append(country)
    return countries
