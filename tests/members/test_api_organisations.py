"""GET/POST /api/v1/organisations/: filters, search, nested membership and commitments, timeline."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from members.models import Membership

from .factories import (
    CommitmentFactory,
    CountryFactory,
    EngagementFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
    countries_with_memberships,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/organisations/"


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_with_a_staff_token_the_country_list_shows_denmark_panama_and_finland_as_members(staff_user):
    countries_with_memberships()
    OrganisationFactory(name="Climeworks")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff_user).key}")

    response = client.get(URL, {"kind": "country"})

    rows = {row["name"]: row for row in response.json()["results"]}
    assert sorted(rows) == ["Denmark", "Finland", "Panama"]
    denmark = rows["Denmark"]
    assert denmark["country"] == "DK"
    assert denmark["membership"]["status"] == "active"
    assert denmark["membership"]["tier"]["name"] == "Founding member"
    assert denmark["commitments"][0]["kind"] == "net_negative"
    assert denmark["commitments"][0]["reduction_percent"] == "110.0"
    assert rows["Finland"]["commitments"][0]["target_year"] == 2035


def test_anonymous_visitors_get_no_organisations(anon_api):
    countries_with_memberships()
    response = anon_api.get(URL, {"kind": "country"})
    assert response.status_code in (401, 403)
    assert "Denmark" not in response.content.decode()


def test_organisations_filter_by_country_and_sector(staff_api):
    countries_with_memberships()
    OrganisationFactory(name="Ørsted", country="DK", sector="energy")
    assert _names(staff_api.get(URL, {"country": "DK"})) == ["Denmark", "Ørsted"]
    assert _names(staff_api.get(URL, {"country": "DK", "sector": "energy"})) == ["Ørsted"]


def test_organisations_filter_by_the_status_of_their_membership(staff_api):
    active = MembershipFactory(organisation__name="Active Co").organisation
    grace = MembershipFactory(organisation__name="Grace Co", status=Membership.Status.GRACE).organisation
    # Lapsed long ago and now a member again: its membership is the current one.
    renewed = MembershipFactory(
        organisation__name="Back Again Co", status=Membership.Status.LAPSED
    ).organisation
    MembershipFactory(organisation=renewed)
    MembershipFactory(organisation__name="Gone Co", status=Membership.Status.LAPSED)
    OrganisationFactory(name="Never Co")

    assert _names(staff_api.get(URL, {"membership_status": "active"})) == ["Active Co", "Back Again Co"]
    assert _names(staff_api.get(URL, {"membership_status": ["active", "grace"]})) == [
        "Active Co",
        "Back Again Co",
        "Grace Co",
    ]
    assert _names(staff_api.get(URL, {"membership_status": "lapsed"})) == ["Gone Co"]
    assert _names(staff_api.get(URL, {"membership_status": "none"})) == ["Never Co"]
    assert active and grace


def test_organisations_filter_by_the_tier_of_their_membership(staff_api):
    founding = MembershipTierFactory(name="Founding member", slug="founding-member")
    observer = MembershipTierFactory(name="Observer", slug="observer")
    MembershipFactory(organisation__name="Founder", tier=founding)
    MembershipFactory(organisation__name="Watcher", tier=observer)
    assert _names(staff_api.get(URL, {"tier": "founding-member"})) == ["Founder"]
    assert _names(staff_api.get(URL, {"tier": observer.pk})) == ["Watcher"]


def test_organisations_are_found_by_name_or_website_domain(staff_api):
    OrganisationFactory(name="Climeworks", website="https://climeworks.com/")
    OrganisationFactory(name="Carbon Engineering", website="https://www.carbonengineering.com/")
    assert _names(staff_api.get(URL, {"search": "climew"})) == ["Climeworks"]
    assert _names(staff_api.get(URL, {"search": "carbonengineering.com"})) == ["Carbon Engineering"]
    assert _names(staff_api.get(URL, {"domain": "https://WWW.Climeworks.com/about-us"})) == ["Climeworks"]


def test_an_unknown_filter_value_answers_400_with_a_message(staff_api):
    response = staff_api.get(URL, {"kind": "planet"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_creating_an_organisation_returns_it_with_its_domain(staff_api):
    response = staff_api.post(
        URL,
        {
            "name": "Climeworks",
            "kind": "company",
            "sector": "technology",
            "website": "https://climeworks.com",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["website_domain"] == "climeworks.com"
    assert response.json()["membership"] is None


def test_a_second_record_for_a_country_answers_400_on_the_country(staff_api):
    CountryFactory(country="PA", name="Panama")
    response = staff_api.post(URL, {"name": "Republic of Panama", "kind": "country", "country": "PA"})
    assert response.status_code == 400
    assert response.json()["country"] == ["There is already a record for this country: Panama."]


def test_a_country_record_without_a_country_answers_400_on_the_country(staff_api):
    response = staff_api.post(URL, {"name": "Somewhere", "kind": "country"})
    assert response.status_code == 400
    assert "country" in response.json()


def test_an_unknown_country_code_answers_400(staff_api):
    response = staff_api.post(URL, {"name": "Atlantis", "kind": "country", "country": "XX"})
    assert response.status_code == 400
    assert "country" in response.json()


def test_changing_a_company_into_a_duplicate_country_answers_400(staff_api):
    CountryFactory(country="FI", name="Finland")
    company = OrganisationFactory(country="FI")
    response = staff_api.patch(f"{URL}{company.pk}/", {"kind": "country"})
    assert response.status_code == 400
    assert "country" in response.json()


def test_the_timeline_lists_engagements_membership_changes_and_commitments_newest_first(staff_api):
    organisation = OrganisationFactory()
    MembershipFactory(organisation=organisation)
    CommitmentFactory(organisation=organisation)
    EngagementFactory(organisation=organisation, summary="Met the minister")

    response = staff_api.get(f"{URL}{organisation.pk}/timeline/")

    assert response.status_code == 200
    entries = response.json()
    assert {e["category"] for e in entries} == {"engagement", "membership", "commitment"}
    assert entries == sorted(entries, key=lambda e: e["at"], reverse=True)
    assert any("Met the minister" in e["title"] for e in entries)
    assert len(staff_api.get(f"{URL}{organisation.pk}/timeline/", {"limit": 1}).json()) == 1


def test_a_domain_that_cannot_be_parsed_finds_nothing_rather_than_failing(staff_api):
    OrganisationFactory(name="Climeworks", website="https://climeworks.com/")
    assert _names(staff_api.get(URL, {"domain": "["})) == []


@pytest.mark.parametrize(
    "url, flag",
    [
        ("/api/v1/organisations/", "listed_publicly"),
        ("/api/v1/contacts/", "is_primary"),
        ("/api/v1/memberships/", "is_current"),
        ("/api/v1/memberships/", "status_override"),
        ("/api/v1/newsletter-topics/", "public"),
    ],
)
def test_a_yes_no_filter_given_something_else_answers_400_naming_the_filter(staff_api, url, flag):
    assert staff_api.get(url, {flag: "yes"}).status_code == 200
    response = staff_api.get(url, {flag: "sometimes"})
    assert response.status_code == 400 and flag in response.data
