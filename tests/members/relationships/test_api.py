"""The affiliations API: access by group, fixed query counts, moves and focal-point appointments."""

from datetime import date

import pytest

from members import services
from members.models import Affiliation
from tests.conftest import api_client_for
from tests.members.factories import CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _people(n: int) -> None:
    for organisation in OrganisationFactory.create_batch(n):
        services.contact_create(organisation=organisation, name=f"Person at {organisation.name}")


@pytest.mark.parametrize("rows", [5, 50])
def test_the_affiliation_list_takes_the_same_queries_for_5_and_50_rows(
    rows, staff_api, django_assert_max_num_queries
):
    _people(rows)
    with django_assert_max_num_queries(4):
        response = staff_api.get("/api/v1/affiliations/")
    assert response.status_code == 200
    assert response.json()["count"] == rows


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("admin_user", 200, 201),
        ("staff_user", 200, 201),
        ("comms_user", 200, 403),
        ("viewer_user", 200, 403),
        ("outsider_user", 403, 403),
    ],
)
def test_each_group_reads_and_records_affiliations_as_its_permissions_allow(who, read, write, request):
    client = api_client_for(request.getfixturevalue(who))
    denmark = CountryFactory(country="DK", name="Denmark")
    anna = services.contact_create(organisation=OrganisationFactory(), name="Anna Jensen")

    assert client.get("/api/v1/affiliations/").status_code == read
    created = client.post(
        "/api/v1/affiliations/",
        {"contact": anna.pk, "organisation": denmark.pk, "role": "head_of_delegation"},
        format="json",
    )
    assert created.status_code == write, created.content
    moved = client.post(
        "/api/v1/affiliations/move/", {"contact": anna.pk, "to_organisation": denmark.pk}, format="json"
    )
    assert moved.status_code == write, moved.content


def test_moving_a_person_through_the_api_ends_the_old_affiliation_and_starts_the_new_one(staff_api):
    ministry = OrganisationFactory(name="Danish Ministry of Climate")
    agency = OrganisationFactory(name="Danish Energy Agency")
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")

    response = staff_api.post(
        "/api/v1/affiliations/move/",
        {"contact": anna.pk, "to_organisation": agency.pk, "on": "2026-04-01", "job_title": "Head of unit"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["organisation"] == agency.pk and response.json()["is_current"] is True
    current = staff_api.get("/api/v1/affiliations/", {"contact": anna.pk, "is_current": "true"}).json()[
        "results"
    ]
    assert [a["organisation_name"] for a in current] == ["Danish Energy Agency"]
    again = staff_api.post(
        "/api/v1/affiliations/move/", {"contact": anna.pk, "to_organisation": agency.pk}, format="json"
    )
    assert again.status_code == 400
    assert "already at" in again.json()["to_organisation"][0]


def test_appointing_a_focal_point_through_the_api_ends_the_previous_term(staff_api):
    denmark = CountryFactory(country="DK", name="Denmark")
    ministry = OrganisationFactory()
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    lars = services.contact_create(organisation=ministry, name="Lars Holm")
    for person, start in ((anna, "2023-01-01"), (lars, "2025-06-01")):
        response = staff_api.post(
            "/api/v1/affiliations/appoint/",
            {"organisation": denmark.pk, "contact": person.pk, "start_on": start},
            format="json",
        )
        assert response.status_code == 201, response.content

    assert Affiliation.objects.get(contact=anna, organisation=denmark).end_on == date(2025, 5, 31)
    duplicate = staff_api.post(
        "/api/v1/affiliations/",
        {"contact": anna.pk, "organisation": denmark.pk, "role": "national_focal_point"},
        format="json",
    )
    assert duplicate.status_code == 400
    assert "Lars Holm" in duplicate.json()["role"][0]


def test_an_affiliation_ending_before_it_starts_is_a_clear_400(staff_api):
    anna = services.contact_create(organisation=OrganisationFactory(), name="Anna Jensen")
    response = staff_api.post(
        "/api/v1/affiliations/",
        {
            "contact": anna.pk,
            "organisation": OrganisationFactory().pk,
            "start_on": "2026-05-01",
            "end_on": "2026-04-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "end_on" in response.json()
