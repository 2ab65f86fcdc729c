"""Each rule of the members data is a database constraint: raw writes that break it fail in PostgreSQL."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from members.models import Commitment, Contact, Membership, Organisation

from .factories import (
    CommitmentFactory,
    ContactFactory,
    CountryFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


def _breaks(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_a_second_record_for_the_same_country_is_refused():
    CountryFactory(country="DK", name="Denmark")
    _breaks(lambda: Organisation.objects.create(kind="country", country="DK", name="Kingdom of Denmark"))


def test_two_non_country_organisations_may_share_a_country():
    CountryFactory(country="DK", name="Denmark")
    OrganisationFactory(country="DK", name="Ørsted")
    OrganisationFactory(country="DK", name="Danfoss")
    assert Organisation.objects.filter(country="DK").count() == 3


def test_a_country_record_needs_a_country_code():
    _breaks(lambda: Organisation.objects.create(kind="country", country="", name="Nowhere"))


def test_a_second_current_membership_of_one_organisation_is_refused():
    first = MembershipFactory(status=Membership.Status.ACTIVE)
    for status in Membership.CURRENT_STATUSES:
        _breaks(lambda status=status: MembershipFactory(organisation=first.organisation, status=status))


def test_past_memberships_sit_beside_a_current_one():
    current = MembershipFactory(status=Membership.Status.ACTIVE)
    MembershipFactory(organisation=current.organisation, status=Membership.Status.LAPSED)
    MembershipFactory(organisation=current.organisation, status=Membership.Status.WITHDRAWN)
    assert current.organisation.memberships.count() == 3


def test_a_membership_cannot_end_before_it_starts():
    today = datetime.date(2026, 1, 10)
    _breaks(lambda: MembershipFactory(start_date=today, end_date=today - datetime.timedelta(days=1)))


@pytest.mark.parametrize("percent", ["-0.1", "200.1", "250"])
def test_a_reduction_outside_0_to_200_percent_is_refused(percent):
    organisation = OrganisationFactory()
    _breaks(lambda: CommitmentFactory(organisation=organisation, reduction_percent=Decimal(percent)))


@pytest.mark.parametrize("percent", ["0", "110", "200"])
def test_a_reduction_from_0_to_200_percent_is_accepted(percent):
    commitment = CommitmentFactory(reduction_percent=Decimal(percent))
    assert Commitment.objects.get(pk=commitment.pk).reduction_percent == Decimal(percent)


@pytest.mark.parametrize("baseline", [2050, 2051])
def test_a_target_year_not_after_the_baseline_year_is_refused(baseline):
    _breaks(lambda: CommitmentFactory(target_year=2050, baseline_year=baseline))


def test_a_target_year_after_the_baseline_year_is_accepted():
    assert CommitmentFactory(target_year=2050, baseline_year=1990).pk


def test_a_contact_email_in_capitals_is_refused_by_the_database():
    contact = ContactFactory(email="anna@example.org")
    _breaks(lambda: Contact.objects.filter(pk=contact.pk).update(email="Anna@Example.org"))


def test_saving_a_contact_stores_its_email_in_lower_case():
    contact = ContactFactory(email="  Anna.Berg@Example.ORG ")
    assert Contact.objects.get(pk=contact.pk).email == "anna.berg@example.org"


def test_the_same_email_twice_at_one_organisation_is_refused():
    contact = ContactFactory(email="anna@example.org")
    _breaks(lambda: ContactFactory(organisation=contact.organisation, email="ANNA@example.org"))


def test_the_same_email_at_two_organisations_is_accepted():
    ContactFactory(email="anna@example.org")
    ContactFactory(email="anna@example.org")
    assert Contact.objects.filter(email="anna@example.org").count() == 2


def test_several_contacts_without_email_at_one_organisation_are_accepted():
    first = ContactFactory(email="")
    ContactFactory(organisation=first.organisation, email="")
    assert first.organisation.contacts.count() == 2


def test_a_second_primary_contact_at_one_organisation_is_refused():
    first = ContactFactory(is_primary=True)
    _breaks(lambda: ContactFactory(organisation=first.organisation, is_primary=True))


def test_a_tier_in_use_cannot_be_deleted():
    from django.db.models import ProtectedError

    tier = MembershipTierFactory()
    MembershipFactory(tier=tier)
    with pytest.raises(ProtectedError):
        tier.delete()
