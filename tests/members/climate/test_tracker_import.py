"""The Net Zero Tracker import on the sample files: rows become end and interim commitments with their
integrity indicators; any layout reads the same; a second run changes nothing; bad labels are row errors."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from members.climate import tracker
from members.models import Commitment, Organisation

from .samples import read, tracker_rows_csv, tracker_xlsx

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple]:
    """Every commitment as the import leaves it, organisation by name: what two imports must agree on."""
    fields = ("kind", "target_year", "reduction_percent", "baseline_year", "status", "is_interim", "title",
              *Commitment.INTEGRITY_FIELDS, "gases", "scope", "uses_offsets", "uses_removals")  # fmt: skip
    return sorted(
        (
            c.organisation.name,
            c.organisation.kind,
            c.organisation.country.code,
            *(getattr(c, f) for f in fields),
        )
        for c in Commitment.objects.select_related("organisation")
    )


def test_denmarks_row_yields_an_end_and_an_interim_commitment_with_the_integrity_fields():
    outcome = tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    assert outcome.errors == []
    denmark = Organisation.objects.get(kind="country", country="DK")
    end, interim = denmark.commitments.order_by("is_interim")
    assert (end.kind, end.target_year, end.status, end.is_interim) == ("climate_neutral", 2050, "law", False)
    assert end.source_identifier == "COU-0042:end"
    assert end.status_date.isoformat() == "2020-06-26"
    assert (end.published_plan, end.reporting_mechanism, end.accountability) == ("yes", "annual", "yes")
    assert (end.uses_offsets, end.uses_removals, end.separate_removal_target) == ("no", "yes", "no")
    assert (end.covers_international_aviation, end.covers_international_shipping) == ("no", "unknown")
    assert end.covers_consumption_emissions == "no"
    assert end.gases == "all_ghg"
    assert (interim.kind, interim.target_year, interim.reduction_percent) == (
        "emissions_reduction", 2030, Decimal("70.0"))  # fmt: skip
    assert (interim.baseline_year, interim.is_interim, interim.source_identifier) == (
        1990,
        True,
        "COU-0042:interim",
    )
    assert interim.published_plan == "yes"
    revision = end.history.latest()
    assert revision.history_change_reason == "Net Zero Tracker"


def test_the_tracker_labels_map_to_ours():
    tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    by_name = {
        c.organisation.name: c
        for c in Commitment.objects.filter(is_interim=False).select_related("organisation")
    }
    assert (by_name["Finland"].kind, by_name["Finland"].target_year) == ("carbon_neutral", 2035)
    assert (by_name["Panama"].kind, by_name["Panama"].status) == ("net_negative", "policy_document")
    assert (by_name["Bhutan"].status, by_name["Bhutan"].target_year) == ("achieved_self_declared", None)
    assert (by_name["Microsoft"].kind, by_name["Microsoft"].status) == ("net_negative", "policy_document")
    assert by_name["Ørsted"].scope == "scope_1_2_3"
    assert by_name["Ørsted"].carbon_credit_conditions == "Only for residual emissions, with removals"
    orsted = Organisation.objects.get(name="Ørsted")
    assert (orsted.kind, orsted.country.code, orsted.isin) == ("company", "DK", "DK0060094928")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("tracker_semicolon.csv", "csv"), ("tracker_group_header.csv", "csv"), ("xlsx", "xlsx")],
    ids=["semicolon and BOM", "group-header row", "xlsx Current Snapshot sheet"],
)
def test_a_semicolon_file_a_group_header_file_and_the_workbook_import_the_same_as_the_plain_csv(
    name, fmt, django_db_blocker
):
    tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    plain = _snapshot()
    Commitment.objects.all().delete()
    Organisation.objects.all().delete()
    content = tracker_xlsx() if fmt == "xlsx" else read(name)
    outcome = tracker.tracker_import(content=content, fmt=fmt, create=tracker.Create.ALL)
    assert outcome.errors == []
    assert _snapshot() == plain
    assert len(plain) == 9


def test_a_second_run_creates_and_changes_nothing():
    first = tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    assert (first.created, first.organisations_created) == (9, 6)
    history = Commitment.history.count()
    second = tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    assert (second.created, second.updated, second.discrepancies, second.organisations_created) == (
        0,
        0,
        0,
        0,
    )
    assert second.unchanged == 9
    assert Commitment.history.count() == history
    assert not second.changed_anything


def test_a_dry_run_reports_what_it_would_do_and_writes_nothing():
    outcome = tracker.tracker_import(
        content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL, mode=tracker.Mode.DRY_RUN
    )
    assert (outcome.created, outcome.organisations_created) == (9, 6)
    assert Commitment.objects.count() == Organisation.objects.count() == 0


def test_create_countries_adds_un_member_states_only_and_never_a_second_record_for_a_country():
    Organisation.objects.create(name="Kingdom of Denmark", kind="country", country="DK")
    outcome = tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.COUNTRIES)
    assert outcome.organisations_created == 3  # Finland, Panama, Bhutan; not the companies
    assert outcome.skipped == 2
    assert Organisation.objects.filter(kind="country", country="DK").count() == 1
    assert set(Organisation.objects.values_list("kind", flat=True)) == {"country"}
    assert Organisation.objects.get(country="DK").commitments.count() == 2


def test_create_none_adds_no_organisation_and_skips_rows_without_one():
    outcome = tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.NONE)
    assert (outcome.skipped, outcome.created, Organisation.objects.count()) == (6, 0, 0)


def test_companies_match_by_isin_before_their_name():
    listed = Organisation.objects.create(name="Orsted A/S", kind="company", country="DK", isin="DK0060094928")
    tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    assert listed.commitments.count() == 2
    assert not Organisation.objects.filter(name="Ørsted").exists()


def test_every_unmapped_label_is_a_row_error_with_its_value_and_the_other_rows_import():
    content = tracker_rows_csv(
        [
            {"ID_Code": "X-1", "Name": "Denmark", "Country": "DNK", "Entity_type": "Country",
             "End_target": "Carbon-ish", "Status_of_end_target": "Whispered", "End_target_year": "2050"},
            {"ID_Code": "X-2", "Name": "Atlantis", "Country": "ATL", "Entity_type": "Continent",
             "End_target": "Net zero", "Status_of_end_target": "In law"},
            {"ID_Code": "X-3", "Name": "Panama", "Country": "PAN", "Entity_type": "Country",
             "End_target": "Net zero", "Status_of_end_target": "In law", "End_target_year": "20X0"},
            {"ID_Code": "X-4", "Name": "Finland", "Country": "FIN", "Entity_type": "Country",
             "End_target": "Carbon neutral(ity)", "Status_of_end_target": "In law",
             "End_target_year": "2035", "Published_plan": "Maybe", "International_aviation": "Sometimes"},
        ]
    )  # fmt: skip
    outcome = tracker.tracker_import(content=content, fmt="csv", create=tracker.Create.ALL)
    messages = {(e.row, e.field): e.message for e in outcome.errors}
    assert "“Carbon-ish”" in messages[(2, "end_target")]
    assert "“Whispered”" in messages[(2, "status_of_end_target")]
    assert "“ATL”" in messages[(3, "country")]
    assert "“Continent”" in messages[(3, "entity_type")]
    assert "“20X0”" in messages[(4, "end_target_year")]
    assert outcome.error_rows == 3
    # Integrity indicators describe a target: a value the import does not know is noted, not a row error.
    notes = {(n.row, n.field): n.message for n in outcome.notes}
    assert (
        "“Maybe”" in notes[(5, "published_plan")] and "Read as not specified" in notes[(5, "published_plan")]
    )
    assert "“Sometimes”" in notes[(5, "international_aviation")]
    assert list(Commitment.objects.values_list("organisation__name", flat=True)) == ["Finland"]


DENMARK = {"ID_Code": "COU-0042", "Name": "Denmark", "Country": "DNK", "Entity_type": "Country",
           "End_target": "Climate neutral(ity)", "End_target_year": "2050", "Status_of_end_target": "In law",
           "Interim_target": "Emissions reduction target", "Interim_target_year": "2030",
           "Reporting_mechanism": "Annual reporting", "Scope_1_coverage": "Yes", "Scope_2_coverage": "Yes",
           "Scope_3_coverage": "Yes", "International_aviation": "Yes",
           "GHGs_covered": "All GHGs"}  # fmt: skip


def test_the_trackers_partial_answers_blank_status_and_unknown_labels_keep_the_row_and_its_targets():
    content = tracker_rows_csv(
        [
            {"ID_Code": "COU-0013", "Name": "Chad", "Country": "TCD", "Entity_type": "Country",
             "End_target": "Net zero", "End_target_year": "Not specified", "Status_of_end_target": "",
             "Scope_1_coverage": "Yes", "Scope_2_coverage": "Yes", "Scope_3_coverage": "Partial",
             "International_aviation": "Partial", "GHGs_covered": "Carbon dioxide and other GHGs",
             "Reporting_mechanism": "Less frequently than annually",
             "End_target_source_url": "https://example.org/a.pdf; https://example.org/b.pdf"},
            DENMARK,
        ]
    )  # fmt: skip
    outcome = tracker.tracker_import(content=content, fmt="csv", create=tracker.Create.ALL)
    assert outcome.errors == [] and outcome.created == 3
    chad = Commitment.objects.get(organisation__country="TD")
    assert (chad.kind, chad.target_year, chad.status) == ("net_zero", None, "pledge")
    assert (chad.scope, chad.covers_international_aviation, chad.gases) == ("scope_1_2", "unknown", "unknown")
    assert chad.reporting_mechanism == "less_frequent" and chad.source_url == "https://example.org/a.pdf"
    notes = {(n.row, n.field): n.message for n in outcome.notes}
    assert set(notes) == {(2, "status_of_end_target"), (2, "ghgs_covered")}
    assert "No status given" in notes[(2, "status_of_end_target")]

    # A later file that no longer states Denmark's status or reads its gases raises nothing and keeps ours.
    later = tracker_rows_csv([{**DENMARK, "Status_of_end_target": "", "GHGs_covered": "Mostly"}])
    again = tracker.tracker_import(content=later, fmt="csv", create=tracker.Create.ALL)
    assert (again.errors, again.discrepancies, again.unchanged) == ([], 0, 2)
    end = Commitment.objects.get(organisation__country="DK", is_interim=False)
    assert (end.status, end.gases) == ("law", "all_ghg")


def test_a_file_that_is_not_the_tracker_download_is_refused_with_a_message():
    with pytest.raises(Exception) as caught:
        tracker.tracker_import(content=b"name,website\nAcme,acme.org\n", fmt="csv")
    assert "end_target" in str(caught.value)


def test_the_command_imports_reports_and_dry_runs(tmp_path):
    path = tmp_path / "tracker.csv"
    path.write_bytes(read("tracker.csv"))
    out = StringIO()
    call_command("import_tracker", str(path), "--dry-run", "--create", "all", stdout=out)
    assert "Dry run: 6 rows: 9 commitments created" in out.getvalue()
    assert Commitment.objects.count() == 0
    out = StringIO()
    call_command("import_tracker", str(path), "--create", "all", stdout=out)
    assert Commitment.objects.count() == 9
    (tmp_path / "tracker.pdf").write_bytes(read("tracker.csv"))
    with pytest.raises(CommandError, match="Upload a .csv or .xlsx file"):
        call_command("import_tracker", str(tmp_path / "tracker.pdf"), stdout=StringIO())


def test_row_errors_name_the_spreadsheets_row_past_empty_rows():
    good = {"ID_Code": "X-1", "Name": "Finland", "Country": "FIN", "Entity_type": "Country",
            "End_target": "Carbon neutral(ity)", "Status_of_end_target": "In law",
            "End_target_year": "2035"}  # fmt: skip
    content = tracker_rows_csv([good, {}, {}, {**good, "ID_Code": "X-2", "End_target_year": "20X0"}])
    outcome = tracker.tracker_import(content=content, fmt="csv", create=tracker.Create.ALL)
    assert [(e.row, e.field) for e in outcome.errors] == [(5, "end_target_year")]


def test_a_company_or_region_is_matched_by_the_name_key_every_import_uses():
    acme = Organisation.objects.create(name="Acme Energy Ltd.", kind="company", country="GB")
    region = Organisation.objects.create(name="Île-de-France", kind="region")  # no country recorded
    content = tracker_rows_csv(
        [
            {"ID_Code": "COM-1", "Name": "ACME Energy", "Country": "GBR", "Entity_type": "Company",
             "End_target": "Net zero", "Status_of_end_target": "Declaration / pledge",
             "End_target_year": "2050"},
            {"ID_Code": "SUB-1", "Name": "Ile-de-France", "Country": "FRA", "Entity_type": "Region",
             "End_target": "Carbon neutral(ity)", "Status_of_end_target": "In law",
             "End_target_year": "2050"},
        ]
    )  # fmt: skip
    outcome = tracker.tracker_import(content=content, fmt="csv", create=tracker.Create.ALL)
    assert (outcome.errors, outcome.organisations_created, outcome.created) == ([], 0, 2)
    assert acme.commitments.count() == 1 and region.commitments.count() == 1


def test_a_file_resaved_with_us_dates_reads_its_status_dates_month_first():
    rows = [
        {**DENMARK, "Date_of_last_status_update": "6/12/2023"},
        {**DENMARK, "ID_Code": "COU-0055", "Name": "Finland", "Country": "FIN",
         "Date_of_last_status_update": "12/31/2023"},
    ]  # fmt: skip
    outcome = tracker.tracker_import(content=tracker_rows_csv(rows), fmt="csv", create=tracker.Create.ALL)
    assert (outcome.errors, outcome.notes) == ([], [])
    dates = dict(
        Commitment.objects.filter(is_interim=False).values_list("organisation__country", "status_date")
    )
    assert {country: str(day) for country, day in dates.items()} == {"DK": "2023-06-12", "FI": "2023-12-31"}


def test_a_file_resaved_with_decimal_commas_reads_its_percentages_so_and_refuses_one_written_otherwise():
    rows = [
        {**DENMARK, "Interim_target_percentage_reduction": "70,5"},
        {**DENMARK, "ID_Code": "COU-0055", "Name": "Finland", "Country": "FIN",
         "Interim_target_percentage_reduction": "60,4"},
        {**DENMARK, "ID_Code": "COU-0060", "Name": "Sweden", "Country": "SWE",
         "Interim_target_percentage_reduction": "63.5"},
    ]  # fmt: skip
    outcome = tracker.tracker_import(content=tracker_rows_csv(rows), fmt="csv", create=tracker.Create.ALL)
    [error] = outcome.errors
    assert (error.row, error.field) == (4, "interim_target_percentage_reduction")
    assert "“63.5” is not written like the other numbers in its column" in error.message
    percents = dict(
        Commitment.objects.filter(is_interim=True).values_list("organisation__country", "reduction_percent")
    )
    assert percents == {"DK": Decimal("70.5"), "FI": Decimal("60.4")}


def test_a_workbook_whose_data_sheet_is_named_otherwise_and_not_first_is_found_by_its_header():
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(tracker_xlsx()))
    book["Current Snapshot"].title = "Data 2025"
    out = io.BytesIO()
    book.save(out)
    assert book.sheetnames[0] == "Read me"
    outcome = tracker.tracker_import(content=out.getvalue(), fmt="xlsx", create=tracker.Create.ALL)
    assert (outcome.error_rows, outcome.created) == (0, 9)


def test_a_renumbered_row_or_a_hand_made_file_without_ids_finds_the_targets_it_created():
    tracker.tracker_import(content=tracker_rows_csv([DENMARK]), fmt="csv", create=tracker.Create.ALL)
    renumbered = tracker_rows_csv([{**DENMARK, "ID_Code": "COU-0999"}])
    outcome = tracker.tracker_import(content=renumbered, fmt="csv", create=tracker.Create.ALL)
    assert (outcome.created, outcome.updated) == (0, 2)
    assert sorted(Commitment.objects.values_list("source_identifier", flat=True)) == [
        "COU-0999:end", "COU-0999:interim"]  # fmt: skip

    company = {"Name": "Acme Energy plc", "Country": "GBR", "Entity_type": "Company",
               "End_target": "Net zero", "End_target_year": "2050",
               "Status_of_end_target": "In corporate strategy"}  # fmt: skip
    tracker.tracker_import(content=tracker_rows_csv([company]), fmt="csv", create=tracker.Create.ALL)
    again = tracker_rows_csv([{**company, "Name": "ACME Energy PLC"}])
    outcome = tracker.tracker_import(content=again, fmt="csv", create=tracker.Create.ALL)
    assert (outcome.created, outcome.organisations_created, outcome.unchanged) == (0, 0, 1)
    assert Commitment.objects.filter(organisation__name="Acme Energy plc").count() == 1


def test_a_row_that_fails_after_creating_its_organisation_does_not_break_the_next_row_for_it():
    """The first row's interim target is refused (a baseline after its target year): the row is rolled
    back, the organisation it created with it too, and the next row for that company creates it anew."""
    first = {"ID_Code": "COM-1", "Name": "Acme Wind", "Country": "GBR", "Entity_type": "Company",
             "End_target": "Net zero", "End_target_year": "2050",
             "Status_of_end_target": "In corporate strategy", "Interim_target": "Emissions reduction target",
             "Interim_target_year": "2030", "Interim_target_baseline_year": "2035"}  # fmt: skip
    second = {**first, "ID_Code": "COM-2", "End_target_year": "2045", "Interim_target": "No target"}
    outcome = tracker.tracker_import(
        content=tracker_rows_csv([first, second]), fmt="csv", create=tracker.Create.ALL
    )
    assert [e.row for e in outcome.errors] == [2]
    assert (outcome.organisations_created, outcome.created) == (1, 1)
    assert list(Commitment.objects.values_list("organisation__name", "target_year")) == [("Acme Wind", 2045)]
