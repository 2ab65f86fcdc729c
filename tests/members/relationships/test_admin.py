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


def test_choosing_a_parent_that_makes_a_loop_is_a_form_error_on_the_organisation_page(client, admin_user):
    denmark = CountryFactory(country="DK", name="Denmark")
    copenhagen = OrganisationFactory(name="City of Copenhagen", kind="city", country="DK", parent=denmark)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/members/organisation/{denmark.pk}/change/",
        {
            "name": "Denmark",
            "kind": "country",
            "country": "DK",
            "sector": "public_sector",
            "parent": copenhagen.pk,
            **{
                f"{prefix}-{key}": value
                for prefix in ("contacts", "memberships", "commitments", "engagements")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },  # fmt: skip
    )

    assert response.status_code == 200
    assert "cannot sit within itself or within one of its own parts" in response.content.decode()
    denmark.refresh_from_db()
    assert denmark.parent is None


def _anna_moved():
    """Anna Jensen, at the ministry until she moved to the agency: one past and one current primary
    affiliation."""
    ministry = OrganisationFactory(name="Danish Ministry of Climate")
    agency = OrganisationFactory(name="Danish Energy Agency")
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    affiliation_move(contact=anna, to_organisation=agency)
    past = Affiliation.objects.get(contact=anna, organisation=ministry)
    current = Affiliation.objects.get(contact=anna, organisation=agency)
    return anna, past, current


def test_a_persons_current_primary_affiliation_is_not_deleted_from_any_door(client, admin_user, admin_api):
    anna, past, current = _anna_moved()
    client.force_login(admin_user)
    url = f"/admin/members/affiliation/{current.pk}/delete/"
    page = client.get(url).content.decode()
    assert "is where Anna Jensen works now" in page and "Yes, I’m sure" not in page
    client.post(url, {"post": "yes"})
    client.post(
        "/admin/members/affiliation/",
        {"action": "delete_selected", "_selected_action": [current.pk], "post": "yes"},
    )
    response = admin_api.delete(f"/api/v1/affiliations/{current.pk}/")
    assert response.status_code == 409 and "end it to record that they left" in response.json()["detail"]
    assert Affiliation.objects.filter(pk=current.pk).exists()
    anna.refresh_from_db()
    assert anna.organisation.name == "Danish Energy Agency"


def test_a_past_affiliation_recorded_by_mistake_is_deleted_from_the_admin_and_the_api(
    client, admin_user, admin_api
):
    _anna, past, _current = _anna_moved()
    client.force_login(admin_user)
    client.post(
        "/admin/members/affiliation/",
        {"action": "delete_selected", "_selected_action": [past.pk], "post": "yes"},
    )
    assert not Affiliation.objects.filter(pk=past.pk).exists()
    _bob, other_past, _ = _anna_moved()
    assert admin_api.delete(f"/api/v1/affiliations/{other_past.pk}/").status_code == 204
    assert not Affiliation.objects.filter(pk=other_past.pk).exists()
