"""Import acceptance: 1,000 rows, 50 bad ones, existing records matched; a second run changes nothing."""

import pytest

from members.imports.services import import_preview, import_run
from members.models import Organisation
from tests.members.import_files import organisation_file_1000

pytestmark = pytest.mark.django_db


def test_importing_1000_rows_with_50_bad_ones_gives_950_records_50_row_errors_and_no_duplicates(admin_user):
    sheet = organisation_file_1000()
    before = Organisation.objects.count()
    assert before == sheet.existing_matched

    # Overwrite: the file's values replace the matched records' (the default, fill, only fills gaps).
    outcome = import_run(
        resource="organisations", content=sheet.content, fmt="csv", by=admin_user, mode="overwrite"
    )

    # Every good row is one record: 900 new ones plus the 50 existing ones it matched and updated.
    assert Organisation.objects.count() == 950
    assert outcome.created == 900 and outcome.updated == 50 and outcome.skipped == 0
    assert outcome.error_rows == 50
    assert {e.row for e in outcome.errors} == set(sheet.bad_rows)
    assert all(e.message for e in outcome.errors)
    fields_by_row = {}
    for e in outcome.errors:
        fields_by_row.setdefault(e.row, set()).add(e.field)
    for row, column in sheet.bad_rows.items():
        assert column in fields_by_row[row], (row, column, [e for e in outcome.errors if e.row == row])

    # Matched records were updated in place, not duplicated.
    assert Organisation.objects.filter(kind="country", country="DK").count() == 1
    assert Organisation.objects.get(website_domain="dac0.example.net").name == "Direct Air Capture Works 0"
    assert Organisation.objects.filter(website_domain="dac0.example.net").count() == 1


def test_importing_the_same_file_again_creates_nothing_new(admin_user):
    sheet = organisation_file_1000()
    import_run(resource="organisations", content=sheet.content, fmt="csv", by=admin_user)
    ids = set(Organisation.objects.values_list("pk", flat=True))

    again = import_run(resource="organisations", content=sheet.content, fmt="csv", by=admin_user)

    assert set(Organisation.objects.values_list("pk", flat=True)) == ids
    assert again.created == 0 and again.updated == 0 and again.skipped == 950
    assert again.error_rows == 50


def test_a_dry_run_previews_every_row_and_changes_nothing(admin_user):
    sheet = organisation_file_1000()
    before = list(Organisation.objects.order_by("pk").values_list("pk", "name", "updated_at"))

    preview = import_preview(
        resource="organisations", content=sheet.content, fmt="csv", by=admin_user, mode="overwrite"
    )

    assert list(Organisation.objects.order_by("pk").values_list("pk", "name", "updated_at")) == before
    assert Organisation.history.filter(history_type="+").count() == len(before)
    assert (preview.created, preview.updated, preview.error_rows) == (900, 50, 50)
    assert {e.row for e in preview.errors} == set(sheet.bad_rows)
    first = preview.preview[0]
    # A country record keeps its name (matched by its code, never renamed by an import).
    assert (first["row"], first["action"], first["record"]) == (2, "update", "Old name of AF")
    assert first["changes"] and "name" not in {column for column, _, _ in first["changes"]}
