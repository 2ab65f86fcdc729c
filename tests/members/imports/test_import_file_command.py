"""``manage.py import_file``: the same import as the staff page, for scripted use."""

import pytest
from django.core.management import CommandError, call_command

from members.models import ImportJob, Organisation
from tests.members.factories import CountryFactory

pytestmark = pytest.mark.django_db

HEADER = "name,kind,country,website,sector,description,listed_publicly\n"


def _file(tmp_path, text: str):
    path = tmp_path / "orgs.csv"
    path.write_text(HEADER + text)
    return path


def test_import_file_prints_counts_changes_and_row_errors(tmp_path, capsys):
    CountryFactory(name="Finland", country="FI", website="https://valtioneuvosto.fi/", description="")
    path = _file(
        tmp_path,
        "Finland,country,FI,,,Carbon neutral by 2035.,\n"
        "Direct Air Nordic,company,NO,https://dan.example.com,technology,DAC,yes\n"
        "Broken,spaceship,,,,,\n",
    )
    with pytest.raises(SystemExit) as exit_status:
        call_command("import_file", "organisations", str(path))
    assert exit_status.value.code == 1
    out, err = capsys.readouterr()
    assert "Imported orgs.csv (organisations, mode fill): 1 created, 1 updated, 0 unchanged, 1 errors." in out
    assert "description: '' → 'Carbon neutral by 2035.'" in out
    assert "row 4 [kind]: “spaceship” is not a known kind of organisation" in err
    assert Organisation.objects.get(country="FI").website == "https://valtioneuvosto.fi/"
    assert ImportJob.objects.get(dry_run=False).created_by is None


def test_a_dry_run_writes_nothing(tmp_path, capsys):
    path = _file(tmp_path, "Direct Air Nordic,company,NO,https://dan.example.com,technology,DAC,yes\n")
    call_command("import_file", "organisations", str(path), "--dry-run")
    assert "Would import orgs.csv (organisations, mode fill): 1 created" in capsys.readouterr().out
    assert not Organisation.objects.filter(name="Direct Air Nordic").exists()


def test_overwrite_with_clear_blanks_clears_and_clear_blanks_alone_is_refused(tmp_path):
    finland = CountryFactory(name="Finland", country="FI", website="https://valtioneuvosto.fi/")
    path = _file(tmp_path, "Finland,country,FI,,,,\n")
    with pytest.raises(CommandError, match="only applies with --mode overwrite"):
        call_command("import_file", "organisations", str(path), "--clear-blanks")
    call_command("import_file", "organisations", str(path), "--mode", "overwrite")
    finland.refresh_from_db()
    assert finland.website == "https://valtioneuvosto.fi/"
    call_command("import_file", "organisations", str(path), "--mode", "overwrite", "--clear-blanks")
    finland.refresh_from_db()
    assert finland.website == "" and finland.name == "Finland"


def test_an_unknown_resource_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Nothing called “planets” can be imported"):
        call_command("import_file", "planets", str(_file(tmp_path, "x,company,,,,,\n")))


def test_rows_a_workbook_hides_are_named_before_the_counts_say_they_were_imported(tmp_path, capsys):
    from tests.members.imports.test_jobs import _filtered_workbook

    path = tmp_path / "members.xlsx"
    path.write_bytes(_filtered_workbook())

    call_command("import_file", "organisations", str(path))

    out, _ = capsys.readouterr()
    assert "note: 3 rows are hidden in the spreadsheet (a filter, or hidden by hand): rows 5, 7, 9." in out
    assert Organisation.objects.filter(name__startswith="Kelp Farm").count() == 8
