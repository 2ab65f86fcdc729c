""" "Is this the same organisation?" has one answer: ``members.matching``, used by every caller."""

import pytest

from members.duplicates.selectors import organisation_duplicate_pairs
from members.enquiries.services import enquiry_match_find
from members.imports.services import import_run
from members.matching import normalise_email, normalise_name
from members.models import Organisation
from tests.members.factories import OrganisationFactory
from tests.members.import_files import ORGANISATION_COLUMNS, csv_bytes

SPELLINGS = ["Acme Ltd.", "ACME Limited", "acme"]


def test_the_spellings_of_one_name_share_one_key():
    assert {normalise_name(n) for n in SPELLINGS} == {"acme"}
    assert normalise_name("Société Générale S.A.") == normalise_name("Societe Generale SA")
    assert normalise_name("Acme Ltd.") != normalise_name("Acme Energy")
    assert normalise_email("  Anna@Example.ORG ") == "anna@example.org"


@pytest.mark.django_db
@pytest.mark.parametrize("stored", SPELLINGS)
@pytest.mark.parametrize("given", SPELLINGS)
def test_an_enquiry_finds_the_organisation_whatever_the_spelling(stored, given):
    organisation = OrganisationFactory(name=stored, kind=Organisation.Kind.COMPANY, website="")
    match = enquiry_match_find(
        organisation_name=given, organisation_kind=Organisation.Kind.COMPANY, country="", website="", email=""
    )
    assert match.organisation == organisation


@pytest.mark.django_db
@pytest.mark.parametrize("stored", SPELLINGS)
@pytest.mark.parametrize("given", SPELLINGS)
def test_an_import_row_updates_the_organisation_whatever_the_spelling(stored, given):
    organisation = OrganisationFactory(name=stored, kind=Organisation.Kind.COMPANY, website="")
    row = {"name": given, "kind": "company", "description": "Direct air capture."}
    outcome = import_run(resource="organisations", content=csv_bytes([row], ORGANISATION_COLUMNS), fmt="csv")
    assert (outcome.created, outcome.error_rows) == (0, 0)
    assert Organisation.objects.count() == 1
    organisation.refresh_from_db()
    assert organisation.description == "Direct air capture."


@pytest.mark.django_db
def test_the_duplicates_page_pairs_the_spellings_as_the_same_name():
    first, second, third = (OrganisationFactory(name=n, website="") for n in SPELLINGS)
    pairs = organisation_duplicate_pairs(use_trigrams=False)
    paired = {
        frozenset((p.first.pk, p.second.pk))
        for p in pairs
        if any(r == "same name" or r.startswith("names differ only by") for r in p.reasons)
    }
    assert paired == {
        frozenset((first.pk, second.pk)),
        frozenset((first.pk, third.pk)),
        frozenset((second.pk, third.pk)),
    }


def test_the_name_key_has_one_definition():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = subprocess.run(
        ["grep", "-rn", "def normalise_name", "members/"], cwd=root, capture_output=True, text=True
    ).stdout.splitlines()
    assert [line.split(":")[0] for line in found] == ["members/matching.py"]


def test_names_in_every_script_have_a_key_of_their_own():
    names = ["Росгидромет", "Министерство природных ресурсов", "中国科学院", "وزارة التغير المناخي والبيئة"]
    keys = [normalise_name(n) for n in names]
    assert all(keys) and len(set(keys)) == len(keys)
    assert normalise_name("РОСГИДРОМЕТ") == normalise_name("Росгидромет")
    assert normalise_name("ガス") != normalise_name("カス")  # a mark that makes another letter stays
    assert normalise_name("Yahoo!") == normalise_name("Yahoo") == "yahoo"
    assert normalise_name("—") == normalise_name("😀") == ""


@pytest.mark.django_db
def test_a_non_latin_row_never_updates_another_record_and_a_second_run_creates_nothing():
    """A name of another script had the empty key, shared by every such record: the Kazakh association's row
    updated the Chinese Academy (found through its website), and each run created the others again."""
    cas = OrganisationFactory(
        name="中国科学院", kind=Organisation.Kind.RESEARCH, website="https://www.cas.cn"
    )
    before = (cas.country, cas.description)
    rows = [
        {"name": "Казахстанская ассоциация ВИЭ", "kind": "ngo", "country": "KZ", "description": "Renewables"},
        {"name": "中国科学院", "kind": "research", "website": "cas.cn"},
        {"name": "Министерство природных ресурсов", "kind": "other", "country": "RU"},
        {"name": "وزارة التغير المناخي والبيئة", "kind": "other", "country": "AE"},
    ]
    content = csv_bytes(rows, ORGANISATION_COLUMNS)

    first = import_run(resource="organisations", content=content, fmt="csv")
    second = import_run(resource="organisations", content=content, fmt="csv")

    assert (first.created, first.error_rows) == (3, 0), first.errors
    assert (second.created, second.updated, second.error_rows) == (0, 0, 0), second.errors
    cas.refresh_from_db()
    assert (cas.country, cas.description) == before
    assert sorted(Organisation.objects.values_list("name", flat=True)) == sorted(r["name"] for r in rows)


@pytest.mark.django_db
def test_contacts_find_their_organisation_by_a_non_latin_name():
    from members.models import Contact

    OrganisationFactory(name="中国科学院", kind=Organisation.Kind.RESEARCH, website="https://www.cas.cn")
    roshydromet = OrganisationFactory(name="Росгидромет", kind=Organisation.Kind.OTHER, website="")
    rows = [{"organisation": "Росгидромет", "name": "Иван Петров", "email": "ivan@meteorf.example"}]
    outcome = import_run(
        resource="contacts", content=csv_bytes(rows, ["organisation", "name", "email"]), fmt="csv"
    )
    assert (outcome.created, outcome.error_rows) == (1, 0), outcome.errors
    assert Contact.objects.get().organisation == roshydromet


@pytest.mark.django_db
def test_an_enquiry_in_another_script_finds_its_organisation_and_no_other():
    OrganisationFactory(name="中国科学院", kind=Organisation.Kind.RESEARCH, website="")
    roshydromet = OrganisationFactory(name="Росгидромет", kind=Organisation.Kind.OTHER, website="")
    found = enquiry_match_find(
        organisation_name="РОСГИДРОМЕТ", organisation_kind="other", country="", website="", email=""
    )
    assert found.organisation == roshydromet
    nothing = enquiry_match_find(
        organisation_name="Казгидромет", organisation_kind="other", country="", website="", email=""
    )
    assert nothing.organisation is None


@pytest.mark.django_db
def test_an_organisation_known_by_letters_that_are_a_country_code_is_found_before_the_country():
    """ "CAN" (the Climate Action Network) and "GE" are Canada's and Georgia's codes; the contacts export
    writes the organisation's name, so its contacts must come back to it, not move to the country."""
    from members.models import Commitment, Contact

    canada = OrganisationFactory(name="Canada", kind=Organisation.Kind.COUNTRY, country="CA", website="")
    can = OrganisationFactory(name="CAN", kind=Organisation.Kind.NGO, country="", website="")
    ge = OrganisationFactory(name="GE", kind=Organisation.Kind.COMPANY, country="US", website="")
    rows = [
        {"organisation": "CAN", "name": "Tasneem Essop", "email": "tessop@climatenetwork.example"},
        {"organisation": "GE", "name": "Roger Martella", "email": "roger@ge.example"},
        {"organisation": "CA", "name": "Ministry contact", "email": "ministry@canada.example"},
    ]
    contacts = import_run(
        resource="contacts", content=csv_bytes(rows, ["organisation", "name", "email"]), fmt="csv"
    )
    commitment_rows = [
        {"organisation": "CAN", "kind": "net_zero", "target_year": "2040", "title": "Operations"}
    ]
    commitments = import_run(
        resource="commitments",
        content=csv_bytes(commitment_rows, ["organisation", "kind", "target_year", "title"]),
        fmt="csv",
    )

    assert (contacts.created, contacts.error_rows, commitments.created) == (3, 0, 1), contacts.errors
    assert dict(Contact.objects.values_list("name", "organisation")) == {
        "Tasneem Essop": can.pk,
        "Roger Martella": ge.pk,
        "Ministry contact": canada.pk,  # a code names the country when no organisation is named so
    }
    assert Commitment.objects.get().organisation == can
