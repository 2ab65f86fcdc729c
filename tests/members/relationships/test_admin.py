"""Affiliations in the staff admin go through the services."""

import pytest

from members import services
from members.affiliations.services import affiliation_move
from members.models import Affiliation
from tests.members.factories import CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_staff_add_a_head_of_delegation_on_the_admin_page(client, staff_user):
    denmark = CountryFactory(country="DK", name="Denmark")
    anna = services.contact_create(organisation=OrganisationFactory(), name="Anna Jensen")
    client.force_login(staff_user)

    response = client.post(
        "/admin/members/affiliation/add/",
        {
            "contact": anna.pk,
            "organisation": denmark.pk,
            "role": "head_of_delegation",
            "start_on": "2026-01-01",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Affiliation.objects.filter(organisation=denmark, role="head_of_delegation", contact=anna).exists()


def test_a_second_head_of_delegation_on_the_admin_page_is_a_form_error(client, staff_user):
    denmark = CountryFactory(country="DK", name="Denmark")
    ministry = OrganisationFactory()
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    lars = services.contact_create(organisation=ministry, name="Lars Holm")
    Affiliation.objects.create(
        contact=anna, organisation=denmark, role="head_of_delegation", start_on="2025-01-01"
    )
    client.force_login(staff_user)

    response = client.post(
        "/admin/members/affiliation/add/",
        {
            "contact": lars.pk,
            "organisation": denmark.pk,
            "role": "head_of_delegation",
            "start_on": "2026-01-01",
        },
    )

    assert response.status_code == 200
    assert "already has a current head of delegation (Anna Jensen)" in response.content.decode()


def test_the_organisation_page_lists_people_now_and_before(client, staff_user):
    ministry = OrganisationFactory(name="Danish Ministry of Climate")
    agency = OrganisationFactory(name="Danish Energy Agency")
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    affiliation_move(contact=anna, to_organisation=agency)
    client.force_login(staff_user)

    html = client.get(f"/admin/members/organisation/{ministry.pk}/change/").content.decode()
    before = html.split("People before")[1]
    assert "Anna Jensen" in before
