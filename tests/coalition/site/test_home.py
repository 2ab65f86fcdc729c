"""The public home page: the coalition's name, mission, member figures and calls to action."""

import pytest

from members.models import Commitment, Membership
from tests.members.factories import CommitmentFactory, CountryFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_counts_listed_current_members_only(client):
    denmark = CountryFactory(name="Denmark", country="DK", listed_publicly=True)
    MembershipFactory(organisation=denmark, status=Membership.Status.ACTIVE)
    CommitmentFactory(organisation=denmark, kind=Commitment.Kind.NET_NEGATIVE, target_year=2045)
    CommitmentFactory(organisation=denmark, kind=Commitment.Kind.NET_ZERO, target_year=2045)
    finland = CountryFactory(name="Finland", country="FI", listed_publicly=True)
    MembershipFactory(organisation=finland, status=Membership.Status.GRACE)
    company = OrganisationFactory(listed_publicly=True)
    MembershipFactory(organisation=company, status=Membership.Status.ACTIVE)
    MembershipFactory(organisation=OrganisationFactory(listed_publicly=False))  # not listed
    MembershipFactory(organisation=OrganisationFactory(listed_publicly=True), status="lapsed")
    CommitmentFactory(organisation=OrganisationFactory(), kind=Commitment.Kind.NET_NEGATIVE)  # not a member

    summary = client.get("/").context["summary"]

    assert (summary.members, summary.countries) == (3, 2)
    assert (summary.commitments, summary.net_negative_commitments) == (2, 1)


def test_the_home_page_names_the_coalition_and_invites_people_to_join_and_subscribe(client):
    html = client.get("/").content.decode()
    assert '<h1 id="hero-heading">Group of Negative Emitters</h1>' in html
    assert "more greenhouse gases out of the" in html  # the mission, in our own words
    assert 'href="/join/"' in html and 'href="/subscribe/"' in html
    assert 'href="/members/"' in html and 'href="/commitments/"' in html


def test_the_home_page_shows_the_member_count_with_no_members_yet(client):
    html = client.get("/").content.decode()
    assert '<dt>Members</dt><dd><a href="/members/">0</a></dd>' in html
