"""The import writes each chunk in bulk: what a save per row did must still happen, in a few queries."""

import datetime

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.imports import services as imports
from members.imports.services import import_preview, import_run
from members.models import Contact, Organisation
from tests.members.factories import ContactFactory, OrganisationFactory
from tests.members.import_files import ORGANISATION_COLUMNS, csv_bytes

pytestmark = pytest.mark.django_db

CONTACT_COLUMNS = ["organisation", "name", "email", "phone", "job_title", "is_primary"]


def _organisation_rows(n: int, *, start: int = 0) -> list[dict]:
    return [
        {"name": f"Enhanced Weathering Co {i}", "kind": "company", "website": f"weathering{i}.example.org"}
        for i in range(start, start + n)
    ]


def test_created_and_updated_records_get_history_with_user_and_reason_and_derived_fields(admin_user):
    existing = OrganisationFactory(name="Old name", website="https://www.weathering0.example.org")
    Organisation.objects.filter(pk=existing.pk).update(updated_at=timezone.now() - datetime.timedelta(days=3))
    rows = _organisation_rows(3)
    rows[0]["website"] = "https://WWW.Weathering0.example.org/about"

    outcome = import_run(
        resource="organisations",
        content=csv_bytes(rows, ORGANISATION_COLUMNS),
        fmt="csv",
        by=admin_user,
        source_name="members.csv",
        mode="overwrite",
    )

    assert (outcome.created, outcome.updated, outcome.error_rows) == (2, 1, 0), outcome.errors
    existing.refresh_from_db()
    assert existing.name == "Enhanced Weathering Co 0"
    assert existing.website_domain == "weathering0.example.org"
    assert existing.updated_at > timezone.now() - datetime.timedelta(minutes=1)
    [change, creation] = existing.history.all()
    assert (change.history_type, creation.history_type) == ("~", "+")
    assert (change.history_user, change.history_change_reason) == (admin_user, "Imported from members.csv")
    assert change.name == "Enhanced Weathering Co 0" and change.updated_at == existing.updated_at

    for created in Organisation.objects.exclude(pk=existing.pk):
        assert created.website_domain == created.website.removeprefix("https://")
        assert created.created_at and created.updated_at
        [record] = created.history.all()
        assert (record.history_type, record.history_user, record.name) == ("+", admin_user, created.name)
        assert record.history_change_reason == "Imported from members.csv"


def test_two_rows_matching_one_record_by_different_keys_are_applied_in_order_each_with_history(
    admin_user,
):
    record = OrganisationFactory(name="Ocean Capture", website="https://oceancapture.example")
    rows = [
        {
            "name": "Ocean Capture Ltd",
            "kind": "company",
            "website": "oceancapture.example",
            "description": "1",
        },
        {"name": "Ocean Capture", "kind": "company", "website": "", "description": "2"},
    ]

    # Overwrite, blank cells clearing: the second row's blank website clears the first row's.
    outcome = import_run(
        resource="organisations",
        content=csv_bytes(rows, ORGANISATION_COLUMNS),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
        clear_blanks=True,
    )

    assert (outcome.created, outcome.updated, outcome.error_rows) == (0, 2, 0), outcome.errors
    record.refresh_from_db()
    assert (record.name, record.website_domain, record.description) == ("Ocean Capture", "", "2")
    second, first, _ = record.history.all()
    assert (first.name, first.website_domain, first.description) == (
        "Ocean Capture Ltd",
        "oceancapture.example",
        "1",
    )
    assert (second.name, second.description) == ("Ocean Capture", "2")


def test_a_preview_writes_no_record_and_no_history():
    OrganisationFactory(website="https://weathering1.example.org")
    before = Organisation.history.count()

    preview = import_preview(
        resource="organisations",
        content=csv_bytes(_organisation_rows(5), ORGANISATION_COLUMNS),
        fmt="csv",
        mode="overwrite",
    )

    assert (preview.created, preview.updated) == (4, 1)
    assert Organisation.objects.count() == 1 and Organisation.history.count() == before


def _queries(resource: str, content: bytes) -> int:
    with CaptureQueriesContext(connection) as captured:
        import_run(resource=resource, content=content, fmt="csv")
    return len(captured.captured_queries)


def test_an_organisation_chunk_costs_the_same_queries_for_10_and_200_rows():
    OrganisationFactory(website="https://weathering3.example.org")
    OrganisationFactory(website="https://weathering503.example.org")

    small = _queries("organisations", csv_bytes(_organisation_rows(10), ORGANISATION_COLUMNS))
    large = _queries("organisations", csv_bytes(_organisation_rows(200, start=500), ORGANISATION_COLUMNS))

    assert Organisation.objects.count() == 210
    assert large == small <= 12


def test_a_contact_chunk_costs_the_same_queries_for_10_and_200_rows():
    organisation = OrganisationFactory(website="https://weathering.example.org")
    ContactFactory(organisation=organisation, email="person3@weathering.example.org")
    ContactFactory(organisation=organisation, email="person503@weathering.example.org")

    def rows(n, start=0):
        return [
            {
                "organisation": "weathering.example.org",
                "name": f"P {i}",
                "email": f"Person{i}@weathering.example.org",
            }
            for i in range(start, start + n)
        ]

    small = _queries("contacts", csv_bytes(rows(10), CONTACT_COLUMNS))
    large = _queries("contacts", csv_bytes(rows(200, start=500), CONTACT_COLUMNS))

    assert Contact.objects.filter(organisation=organisation).count() == 210
    assert set(Contact.objects.values_list("email", flat=True)) == {
        f"person{i}@weathering.example.org" for i in [*range(10), *range(500, 700)]
    }
    assert large == small <= 12


def test_a_file_of_several_chunks_commits_each_chunk_and_matches_across_chunks(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 4)
    rows = _organisation_rows(10)
    import_run(resource="organisations", content=csv_bytes(rows[:6], ORGANISATION_COLUMNS), fmt="csv")

    again = import_run(resource="organisations", content=csv_bytes(rows, ORGANISATION_COLUMNS), fmt="csv")

    assert (again.created, again.updated, again.skipped) == (4, 0, 6)
    assert Organisation.objects.count() == 10


def test_imported_organisation_and_contact_names_are_known_to_the_typo_search(admin_user):
    from members.models import SearchWord

    organisation = OrganisationFactory(website="https://weathering.example.org")
    rows = _organisation_rows(3)
    rows[1]["name"] = "Olivine Quarrying Cooperative"
    import_run(
        resource="organisations",
        content=csv_bytes(rows, ORGANISATION_COLUMNS),
        fmt="csv",
        by=admin_user,
        source_name="members.csv",
    )
    contacts = [{"organisation": "weathering.example.org", "name": "Gudrun Snorradottir", "email": "g@x.org"}]
    import_run(
        resource="contacts",
        content=csv_bytes(contacts, CONTACT_COLUMNS),
        fmt="csv",
        by=admin_user,
        source_name="people.csv",
    )

    assert Contact.objects.filter(organisation=organisation, name="Gudrun Snorradottir").exists()
    words = set(SearchWord.objects.values_list("word", flat=True))
    expected = {"enhanced", "weathering", "olivine", "quarrying", "cooperative", "gudrun", "snorradottir"}
    assert expected <= words


def test_the_statistics_refresh_runs_on_postgresql_only(django_assert_num_queries, monkeypatch):
    """On SQLite (the embedded default) a large import neither ANALYZEs nor reads pg_class."""
    from members.imports.services import _TableStatistics

    statistics = _TableStatistics(Organisation)
    monkeypatch.setattr(type(connections["default"]), "vendor", "sqlite")
    with django_assert_num_queries(0):
        statistics.add(_TableStatistics.MIN_ROWS * 2)
    monkeypatch.undo()
    # A savepoint around: save lock_timeout, set it, ANALYZE, restore it; then read the estimate.
    with django_assert_num_queries(7):
        statistics.add(0)
