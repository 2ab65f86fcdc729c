"""Every members list endpoint costs the same number of queries for 5 rows as for 50."""

import pytest

from .factories import (
    CommitmentFactory,
    ContactFactory,
    EngagementFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


def _organisations(n: int) -> None:
    tier = MembershipTierFactory()
    for organisation in OrganisationFactory.create_batch(n):
        MembershipFactory(organisation=organisation, tier=tier, status="lapsed")
        MembershipFactory(organisation=organisation, tier=tier)
        CommitmentFactory.create_batch(2, organisation=organisation)


def _contacts(n: int) -> None:
    ContactFactory.create_batch(n)


def _tiers(n: int) -> None:
    MembershipTierFactory.create_batch(n)


def _memberships(n: int) -> None:
    MembershipFactory.create_batch(n)


def _commitments(n: int) -> None:
    CommitmentFactory.create_batch(n)


def _engagements(n: int) -> None:
    for engagement in EngagementFactory.create_batch(n):
        engagement.contacts.set(ContactFactory.create_batch(2, organisation=engagement.organisation))


# endpoint, maker, most queries a page may take: 2 for the permissions, the count, the rows, the prefetches
ENDPOINTS = [
    ("/api/v1/organisations/", _organisations, 6),
    ("/api/v1/organisations/?kind=company&membership_status=active", _organisations, 6),
    ("/api/v1/contacts/", _contacts, 4),
    ("/api/v1/membership-tiers/", _tiers, 4),
    ("/api/v1/memberships/", _memberships, 4),
    ("/api/v1/commitments/", _commitments, 4),
    ("/api/v1/engagements/", _engagements, 6),
]


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize(("url", "maker", "most"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_a_list_page_takes_the_same_queries_for_5_and_50_rows(
    url, maker, most, rows, staff_user, django_assert_max_num_queries
):
    from tests.conftest import api_client_for

    maker(rows)
    client = api_client_for(staff_user)
    with django_assert_max_num_queries(most):
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["count"] >= rows
    assert len(response.json()["results"]) >= min(rows, 50)


def test_an_organisation_timeline_takes_a_fixed_number_of_queries(staff_api, django_assert_max_num_queries):
    organisation = OrganisationFactory()
    for _ in range(20):
        EngagementFactory(organisation=organisation)
        CommitmentFactory(organisation=organisation)
    MembershipFactory(organisation=organisation)
    # 2 for the permissions, the organisation, then one each: engagements (+ their contacts), membership
    # history, commitment history, affiliations (people starting and leaving).
    with django_assert_max_num_queries(8):
        response = staff_api.get(f"/api/v1/organisations/{organisation.pk}/timeline/")
    assert len(response.json()) == 41
