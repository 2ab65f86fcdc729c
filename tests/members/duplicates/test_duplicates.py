"""Finding likely duplicate organisations and contacts, and the staff page that lists them."""

import pytest
from django.db import connection
from django.test import Client

from members.duplicates.selectors import (
    contact_duplicate_groups,
    organisation_duplicate_pairs,
    trigrams_available,
)
from tests.members.factories import ContactFactory, CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _pairs(**kwargs) -> dict[frozenset, list[str]]:
    return {
        frozenset({p.first.name, p.second.name}): p.reasons for p in organisation_duplicate_pairs(**kwargs)
    }


@pytest.fixture
def trigrams():
    """pg_trgm for this test only: the CREATE EXTENSION rolls back with the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    assert trigrams_available()


def test_organisations_sharing_a_website_domain_or_a_name_are_likely_duplicates():
    OrganisationFactory(name="Climeworks AG", website="https://www.climeworks.com/")
    OrganisationFactory(name="Climeworks", website="http://climeworks.com/en")
    OrganisationFactory(name="Bellona", website="")
    OrganisationFactory(name="  BELLONA ", website="https://bellona.example.org")
    OrganisationFactory(name="Carbon Engineering", website="https://carbonengineering.com")

    pairs = _pairs(use_trigrams=False)

    assert pairs == {
        # "AG" is a legal form: the names are the same by the one matching rule (members.matching).
        frozenset({"Climeworks AG", "Climeworks"}): ["same website domain", "names differ only by 'AG'"],
        frozenset({"Bellona", "  BELLONA "}): ["same name"],
    }


def test_similar_names_are_found_with_pg_trgm(trigrams):
    OrganisationFactory(name="Direct Air Capture Coalition", website="")
    OrganisationFactory(name="Direct Air Capture Coalitions", website="")
    OrganisationFactory(name="Ocean Visions", website="")

    pairs = _pairs()

    [(names, reasons)] = pairs.items()
    assert names == frozenset({"Direct Air Capture Coalition", "Direct Air Capture Coalitions"})
    assert reasons[0].startswith("similar names (")


def test_without_pg_trgm_only_exact_matches_are_listed():
    OrganisationFactory(name="Direct Air Capture Coalition", website="")
    OrganisationFactory(name="Direct Air Capture Coalitions", website="")

    assert _pairs(use_trigrams=False) == {}


def test_two_countries_are_never_proposed_as_duplicates(trigrams):
    CountryFactory(country="NE", name="Niger")
    CountryFactory(country="NG", name="Nigeria")

    assert _pairs() == {}


def test_contacts_with_one_email_at_several_organisations_or_one_name_twice_are_likely_duplicates():
    first, second = OrganisationFactory(), OrganisationFactory()
    ContactFactory(organisation=first, email="mette@example.dk", name="Mette")
    ContactFactory(organisation=second, email="mette@example.dk", name="Mette F.")
    ContactFactory(organisation=first, email="a@example.org", name="Ana Lima")
    ContactFactory(organisation=first, email="b@example.org", name="ana lima")
    ContactFactory(organisation=second, email="c@example.org", name="Ana Lima")  # another organisation: fine

    groups = contact_duplicate_groups()

    assert [(g.reason, sorted(c.name for c in g.contacts)) for g in groups] == [
        ("same email mette@example.dk at 2 organisations", ["Mette", "Mette F."]),
        (f"same name twice at {first.name}", ["Ana Lima", "ana lima"]),
    ]


def test_the_duplicates_page_lists_pairs_and_offers_a_merge_only_to_those_who_may_merge(
    client, admin_user, staff_user, outsider_user
):
    a = OrganisationFactory(name="Negative Emissions Platform", website="https://negative-emissions.example")
    b = OrganisationFactory(name="NEP", website="https://www.negative-emissions.example/about")
    ContactFactory(organisation=a, email="x@example.org")
    ContactFactory(organisation=b, email="x@example.org")

    assert client.get("/staff/duplicates/").status_code == 302
    outsider = Client()
    outsider.force_login(outsider_user)
    assert outsider.get("/staff/duplicates/").status_code == 403

    staff = Client()
    staff.force_login(staff_user)
    html = staff.get("/staff/duplicates/").content.decode()
    assert 'class="duplicate-pair"' in html and "same website domain" in html
    assert "Compare and merge" not in html
    assert "same email x@example.org at 2 organisations" in html

    admin = Client()
    admin.force_login(admin_user)
    html = admin.get("/staff/duplicates/").content.decode()
    assert f"/staff/duplicates/merge/?first={a.pk}&amp;second={b.pk}" in html
