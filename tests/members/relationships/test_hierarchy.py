"""Organisations within organisations: Copenhagen under Denmark."""

import pytest
from django.core.exceptions import ValidationError

from campaigns import services as campaign_services
from campaigns.models import Target
from members import services
from members.models import Organisation
from tests.campaigns.factories import CampaignFactory
from tests.members.factories import CountryFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def denmark_and_copenhagen():
    denmark = CountryFactory(country="DK", name="Denmark", listed_publicly=True)
    copenhagen = services.organisation_create(
        name="City of Copenhagen",
        kind=Organisation.Kind.CITY,
        country="DK",
        parent=denmark,
        listed_publicly=True,
    )
    MembershipFactory(organisation=denmark)
    MembershipFactory(organisation=copenhagen)
    return denmark, copenhagen


def test_the_organisation_page_shows_the_parent_and_the_parent_page_shows_its_children(
    denmark_and_copenhagen, client, admin_user
):
    denmark, copenhagen = denmark_and_copenhagen
    client.force_login(admin_user)

    city_page = client.get(f"/admin/members/organisation/{copenhagen.pk}/change/")
    country_page = client.get(f"/admin/members/organisation/{denmark.pk}/change/")

    assert city_page.status_code == 200
    assert city_page.context["relationships"]["parent"] == denmark
    assert (
        f'href="/admin/members/organisation/{denmark.pk}/change/">Denmark</a>' in city_page.content.decode()
    )
    assert country_page.context["relationships"]["children"] == [copenhagen]
    assert "City of Copenhagen</a>" in country_page.content.decode()


def test_the_api_lists_the_organisations_within_a_parent(denmark_and_copenhagen, staff_api):
    denmark, copenhagen = denmark_and_copenhagen
    OrganisationFactory(name="Stockholm", kind=Organisation.Kind.CITY, country="SE")
    aarhus_region = OrganisationFactory(
        name="Central Denmark Region", kind=Organisation.Kind.REGION, parent=denmark
    )
    aarhus = OrganisationFactory(name="Aarhus", kind=Organisation.Kind.CITY, parent=aarhus_region)

    direct = staff_api.get("/api/v1/organisations/", {"parent": denmark.pk}).json()["results"]
    deep = staff_api.get("/api/v1/organisations/", {"within": denmark.pk}).json()["results"]

    assert sorted(o["name"] for o in direct) == ["Central Denmark Region", "City of Copenhagen"]
    assert {o["parent"] for o in direct} == {denmark.pk}
    assert sorted(o["id"] for o in deep) == sorted([copenhagen.pk, aarhus_region.pk, aarhus.pk])


def test_an_unknown_parent_is_a_clear_400(staff_api):
    response = staff_api.get("/api/v1/organisations/", {"parent": 999999})
    assert response.status_code == 400
    assert "parent" in response.json()


def test_an_organisation_cannot_sit_within_one_of_its_own_parts(denmark_and_copenhagen, staff_api):
    denmark, copenhagen = denmark_and_copenhagen
    with pytest.raises(ValidationError, match="within itself"):
        services.organisation_update(organisation=denmark, parent=copenhagen)
    response = staff_api.patch(
        f"/api/v1/organisations/{denmark.pk}/", {"parent": copenhagen.pk}, format="json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()


def test_a_campaign_built_from_members_within_denmark_includes_copenhagen(denmark_and_copenhagen, staff_user):
    denmark, copenhagen = denmark_and_copenhagen
    odense = OrganisationFactory(name="Odense", kind=Organisation.Kind.CITY, parent=denmark)  # not a member
    danish_company = OrganisationFactory(name="Danish Removals A/S", country="DK")
    MembershipFactory(organisation=danish_company)
    MembershipFactory(
        organisation=OrganisationFactory(name="Stockholm", kind=Organisation.Kind.CITY, country="SE")
    )
    campaign = CampaignFactory()

    added = campaign_services.targets_add_from_filter(
        campaign=campaign,
        filter=campaign_services.FILTER_MEMBERS_WITHIN_COUNTRIES,
        countries=["dk"],
        by=staff_user,
    )

    targeted = set(Target.objects.filter(campaign=campaign).values_list("organisation_id", flat=True))
    assert targeted == {copenhagen.pk, danish_company.pk}
    assert added == 2
    assert odense.pk not in targeted and denmark.pk not in targeted


def test_the_public_directory_filters_members_by_the_body_they_sit_within(denmark_and_copenhagen, client):
    denmark, copenhagen = denmark_and_copenhagen
    MembershipFactory(organisation=OrganisationFactory(name="Helsinki", listed_publicly=True))

    response = client.get("/members/", {"within": denmark.pk})

    names = [o.name for o in response.context["page"].rows]
    assert names == ["City of Copenhagen"]
    assert "Within Denmark" in response.content.decode()
