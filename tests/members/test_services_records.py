"""Organisations, contacts, commitments and engagements through their services."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from coalition import hooks
from members.models import Commitment, Engagement, Organisation
from members.services import (
    commitment_create,
    commitment_update,
    contact_create,
    contact_update,
    engagement_create,
    organisation_create,
    organisation_update,
)

from .factories import ContactFactory, CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_creating_an_organisation_derives_its_website_domain(staff_user):
    organisation = organisation_create(
        name="Climeworks",
        kind="company",
        sector="technology",
        website="https://WWW.Climeworks.com/about",
        by=staff_user,
    )
    assert organisation.website_domain == "climeworks.com"
    assert organisation.history.get().history_user == staff_user


def test_a_second_country_record_is_refused_with_a_message_on_the_country():
    CountryFactory(country="DK", name="Denmark")
    with pytest.raises(ValidationError) as caught:
        organisation_create(name="Kingdom of Denmark", kind="country", country="DK")
    assert caught.value.message_dict["country"] == ["There is already a record for this country: Denmark."]


def test_a_country_record_without_a_code_is_refused_with_a_message_on_the_country():
    with pytest.raises(ValidationError) as caught:
        organisation_create(name="Atlantis", kind="country", country="")
    assert "country" in caught.value.message_dict


def test_turning_a_company_into_a_second_record_for_a_country_is_refused():
    CountryFactory(country="FI", name="Finland")
    company = OrganisationFactory(country="FI")
    with pytest.raises(ValidationError):
        organisation_update(organisation=company, kind=Organisation.Kind.COUNTRY)


def test_a_contact_email_is_stored_in_lower_case():
    contact = contact_create(
        organisation=OrganisationFactory(), name="Anna Berg", email=" Anna.Berg@Example.ORG "
    )
    contact.refresh_from_db()
    assert contact.email == "anna.berg@example.org"


def test_a_contact_email_already_at_the_organisation_is_refused_with_a_message_on_the_email():
    existing = ContactFactory(email="anna@example.org")
    with pytest.raises(ValidationError) as caught:
        contact_create(organisation=existing.organisation, name="Anna B.", email="ANNA@example.org")
    assert caught.value.message_dict["email"] == ["This organisation already has a contact with this email."]


def test_changing_a_contact_email_to_a_colleagues_is_refused():
    anna = ContactFactory(email="anna@example.org")
    ben = ContactFactory(organisation=anna.organisation, email="ben@example.org")
    with pytest.raises(ValidationError) as caught:
        contact_update(contact=ben, email="Anna@example.org")
    assert "email" in caught.value.message_dict


def test_a_second_primary_contact_is_refused_with_a_message_on_the_flag():
    primary = ContactFactory(is_primary=True)
    with pytest.raises(ValidationError) as caught:
        contact_create(organisation=primary.organisation, name="Ben", is_primary=True)
    assert "is_primary" in caught.value.message_dict


def test_recording_and_revising_a_commitment_calls_the_hook_each_time(admin_user):
    heard = []

    def handler(*, commitment, created, by):
        heard.append((commitment.pk, created, by))

    hooks.register("commitment_recorded", handler)
    try:
        denmark = CountryFactory(country="DK", name="Denmark")
        commitment = commitment_create(
            organisation=denmark, kind=Commitment.Kind.NET_ZERO, target_year=2050, by=admin_user
        )
        commitment_update(
            commitment=commitment, kind=Commitment.Kind.NET_NEGATIVE, reduction_percent=Decimal(110)
        )
    finally:
        hooks._handlers["commitment_recorded"].remove(handler)
    assert heard == [(commitment.pk, True, admin_user), (commitment.pk, False, None)]
    assert commitment.history.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reduction_percent": Decimal("201")}, "reduction_percent"),
        ({"reduction_percent": Decimal("-5")}, "reduction_percent"),
        ({"target_year": 2030, "baseline_year": 2030}, "target_year"),
        ({"target_year": 2020, "baseline_year": 2030}, "target_year"),
        ({"target_year": 2150}, "target_year"),
    ],
)
def test_a_commitment_breaking_a_rule_is_refused_with_a_message_on_the_field(fields, field):
    with pytest.raises(ValidationError) as caught:
        commitment_create(organisation=OrganisationFactory(), kind=Commitment.Kind.NET_ZERO, **fields)
    assert field in caught.value.message_dict
    assert not Commitment.objects.exists()


def test_an_engagement_cannot_name_a_contact_of_another_organisation():
    stranger = ContactFactory()
    with pytest.raises(ValidationError) as caught:
        engagement_create(
            organisation=OrganisationFactory(), kind=Engagement.Kind.CALL, summary="Call", contacts=[stranger]
        )
    assert "contacts" in caught.value.message_dict
