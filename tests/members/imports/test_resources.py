"""Importing contacts and commitments, the forgiving cells, XLSX files and files that cannot be imported."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from coalition import hooks
from members.imports.services import import_preview, import_run, importables_for
from members.models import Commitment, Contact, Organisation
from tests.members.factories import (
    CommitmentFactory,
    ContactFactory,
    CountryFactory,
    OrganisationFactory,
)
from tests.members.import_files import ORGANISATION_COLUMNS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

CONTACT_COLUMNS = ["organisation", "name", "email", "phone", "job_title", "is_primary"]
COMMITMENT_COLUMNS = [
    "organisation",
    "kind",
    "target_year",
    "reduction_percent",
    "status",
    "is_interim",
    "title",
]


@pytest.fixture
def denmark():
    return CountryFactory(country="DK", name="Denmark")


@pytest.fixture
def climeworks():
    return OrganisationFactory(name="Climeworks", website="https://climeworks.com")


def test_contacts_find_their_organisation_by_country_code_website_or_name(admin_user, denmark, climeworks):
    ngo = OrganisationFactory(name="Bellona Foundation", website="")
    rows = [
        {"organisation": "dk", "name": "Dan Jørgensen", "email": "DAN@kefm.example.dk"},
        {"organisation": "www.climeworks.com", "name": "Jan Wurzbacher", "email": "jan@climeworks.example"},
        {"organisation": "bellona  foundation", "name": "Frederic Hauge", "email": ""},
    ]
    outcome = import_run(
        resource="contacts",
        content=csv_bytes(rows, CONTACT_COLUMNS),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert (outcome.created, outcome.error_rows) == (3, 0), outcome.errors
    assert Contact.objects.get(email="dan@kefm.example.dk").organisation == denmark
    assert Contact.objects.get(name="Jan Wurzbacher").organisation == climeworks
    assert Contact.objects.get(name="Frederic Hauge").organisation == ngo


def test_a_contact_row_updates_the_contact_with_the_same_email_at_that_organisation(admin_user, climeworks):
    existing = ContactFactory(organisation=climeworks, email="jan@climeworks.example", job_title="CEO")
    elsewhere = ContactFactory(email="jan@climeworks.example")  # same email, another organisation
    rows = [
        {
            "organisation": "climeworks.com",
            "name": "Jan W.",
            "email": "jan@climeworks.example",
            "job_title": "Co-CEO",
        }
    ]

    outcome = import_run(
        resource="contacts",
        content=csv_bytes(rows, CONTACT_COLUMNS),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert (outcome.created, outcome.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.job_title == "Co-CEO" and existing.name == "Jan W."
    assert Contact.objects.filter(email="jan@climeworks.example").count() == 2
    assert elsewhere.organisation != climeworks


def test_a_contact_whose_organisation_is_unknown_is_a_row_error_with_the_reason(admin_user):
    rows = [{"organisation": "Nonexistent Institute", "name": "A Person", "email": "a@example.org"}]

    outcome = import_run(
        resource="contacts",
        content=csv_bytes(rows, CONTACT_COLUMNS),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert outcome.created == 0 and Contact.objects.count() == 0
    [error] = outcome.errors
    assert (error.row, error.field) == (2, "organisation")
    assert "No organisation matches “Nonexistent Institute”" in error.message


def test_a_second_primary_contact_is_refused_for_that_row_only(admin_user, climeworks):
    ContactFactory(organisation=climeworks, is_primary=True)
    rows = [
        {
            "organisation": "climeworks.com",
            "name": "New Primary",
            "email": "p@climeworks.example",
            "is_primary": "yes",
        },
        {
            "organisation": "climeworks.com",
            "name": "Colleague",
            "email": "c@climeworks.example",
            "is_primary": "no",
        },
    ]

    outcome = import_run(
        resource="contacts",
        content=csv_bytes(rows, CONTACT_COLUMNS),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert outcome.created == 1
    assert [e.row for e in outcome.errors] == [2]
    assert "already has a primary contact" in outcome.errors[0].message
    assert Contact.objects.filter(email="c@climeworks.example").exists()


def test_the_same_email_twice_in_one_file_is_an_error_on_the_second_row(admin_user, climeworks):
    rows = [
        {"organisation": "climeworks.com", "name": "Jan", "email": "jan@climeworks.example"},
        {"organisation": "climeworks.com", "name": "Jan again", "email": "JAN@climeworks.example"},
    ]

    outcome = import_run(
        resource="contacts",
        content=csv_bytes(rows, CONTACT_COLUMNS),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert outcome.created == 1
    [error] = outcome.errors
    assert error.row == 3 and error.field == "email" and "already appears on row 2" in error.message


def test_commitments_match_on_organisation_kind_target_year_and_interim(admin_user, denmark):
    final = CommitmentFactory(organisation=denmark, kind="net_zero", target_year=2050, status="pledge")
    rows = [
        {
            "organisation": "DK",
            "kind": "Net zero",
            "target_year": "2050",
            "status": "In law",
            "is_interim": "no",
        },
        {
            "organisation": "DK",
            "kind": "net_zero",
            "target_year": "2030",
            "status": "law",
            "is_interim": "yes",
            "reduction_percent": "70",
        },
        {"organisation": "DK", "kind": "net_negative", "target_year": "2050", "reduction_percent": "110"},
    ]

    outcome = import_run(
        resource="commitments",
        content=csv_bytes(rows, COMMITMENT_COLUMNS),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert (outcome.created, outcome.updated, outcome.error_rows) == (2, 1, 0), outcome.errors
    final.refresh_from_db()
    assert final.status == "law"
    assert final.history.count() == 2  # the revision is kept
    assert final.history.first().history_user == admin_user
    assert Commitment.objects.get(kind="net_negative").reduction_percent == 110
    assert Commitment.objects.filter(organisation=denmark).count() == 3


def test_imported_commitments_are_announced_to_other_apps_through_the_commitment_hook(admin_user, denmark):
    heard = []

    def listener(*, commitment, created, by):
        heard.append((commitment.target_year, created, by))

    hooks.register("commitment_recorded", listener)
    try:
        rows = [{"organisation": "DK", "kind": "net_zero", "target_year": "2045"}]
        import_run(
            resource="commitments", content=csv_bytes(rows, COMMITMENT_COLUMNS), fmt="csv", by=admin_user
        )
    finally:
        hooks._handlers["commitment_recorded"].remove(listener)

    assert heard == [(2045, True, admin_user)]


def test_commitment_rows_that_break_the_rules_are_reported_with_the_rule(admin_user, denmark):
    rows = [
        {"organisation": "DK", "kind": "net_zero", "target_year": "2150"},
        {"organisation": "DK", "kind": "net_zero", "target_year": "twenty-fifty"},
        {
            "organisation": "DK",
            "kind": "emissions_reduction",
            "target_year": "2040",
            "reduction_percent": "250",
        },
        {"organisation": "DK", "kind": "net_zero", "target_year": "2040", "status": "promised"},
    ]

    outcome = import_run(
        resource="commitments",
        content=csv_bytes(rows, COMMITMENT_COLUMNS),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert outcome.created == 0 and outcome.error_rows == 4
    messages = {e.row: e.message for e in outcome.errors}
    assert "between 1990 and 2100" in messages[2]
    assert [(e.field, e.message) for e in outcome.errors if e.row == 3] == [
        ("target_year", "“twenty-fifty” is not a year.")
    ]
    assert "between 0 and 200 percent" in messages[4]
    assert "“promised” is not a known status" in messages[5]


def test_commitment_numbers_and_dates_are_read_in_english_and_european_layouts(admin_user, denmark):
    columns = ["organisation", "kind", "target_year", "reduction_percent", "baseline_emissions_mtco2e"]
    rows = [
        {
            "organisation": "DK",
            "kind": "emissions_reduction",
            "target_year": "2030",
            "reduction_percent": "70 %",
            "baseline_emissions_mtco2e": "1.250,5",
            "announced_on": "03/04/2020",
        },
        {
            "organisation": "DK",
            "kind": "emissions_reduction",
            "target_year": "2035",
            "reduction_percent": "82,5",
            "baseline_emissions_mtco2e": "1,250.5",
            "announced_on": "2021-11-02",
        },
        {"organisation": "DK", "kind": "net_zero", "target_year": "2045", "reduction_percent": "seventy"},
        {"organisation": "DK", "kind": "net_zero", "target_year": "2046", "announced_on": "04/31/2021"},
    ]

    outcome = import_run(
        resource="commitments",
        content=csv_bytes(rows, [*columns, "announced_on"]),
        fmt="csv",
        by=admin_user,
    )

    assert (outcome.created, outcome.error_rows) == (2, 2), outcome.errors
    by_year = {c.target_year: c for c in Commitment.objects.filter(organisation=denmark)}
    assert str(by_year[2030].reduction_percent) == "70.0" and str(by_year[2035].reduction_percent) == "82.5"
    assert by_year[2030].baseline_emissions_mtco2e == by_year[2035].baseline_emissions_mtco2e == 1250.5
    assert by_year[2030].announced_on.isoformat() == "2020-04-03"  # day first: 3 April
    assert [(e.row, e.field, e.message) for e in outcome.errors] == [
        (4, "reduction_percent", "“seventy” is not a number."),
        (5, "announced_on", "“04/31/2021” is not a date (write it as YYYY-MM-DD or DD/MM/YYYY)."),
    ]


def test_a_european_files_thousands_separator_is_not_read_as_a_decimal_point(admin_user):
    countries = {code: CountryFactory(country=code, name=name) for code, name in
                 (("DE", "Germany"), ("FR", "France"), ("PL", "Poland"), ("DK", "Denmark"))}  # fmt: skip
    rows = [
        ["organisation", "kind", "target_year", "reduction_percent", "baseline_emissions_mtco2e"],
        ["DE", "emissions reduction", "2030", "65,0 %", "1.251"],
        ["FR", "emissions reduction", "2030", "55 %", "543,8"],
        ["PL", "emissions reduction", "2030", "7,5 %", "1.234,5"],
        ["DK", "emissions reduction", "2030", "70 %", "52.5"],
    ]
    content = "\r\n".join(";".join(row) for row in rows).encode("cp1252")

    outcome = import_run(resource="commitments", content=content, fmt="csv", by=admin_user)

    assert (outcome.created, outcome.error_rows) == (3, 1), outcome.errors
    stored = {
        c.organisation.country.code: (str(c.reduction_percent), str(c.baseline_emissions_mtco2e))
        for c in Commitment.objects.select_related("organisation")
    }
    assert stored == {"DE": ("65.0", "1251.000"), "FR": ("55.0", "543.800"), "PL": ("7.5", "1234.500")}
    assert [(e.row, e.field) for e in outcome.errors] == [(5, "baseline_emissions_mtco2e")]
    assert "“52.5” is not written like the other numbers in its column" in outcome.errors[0].message
    assert countries["DK"].commitments.count() == 0


def test_an_english_files_thousands_separator_is_grouping_in_a_column_with_decimal_points(
    admin_user, denmark
):
    rows = [
        {
            "organisation": "DK",
            "kind": "net_zero",
            "target_year": "2045",
            "baseline_emissions_mtco2e": "1,251",
        },
        {
            "organisation": "DK",
            "kind": "net_zero",
            "target_year": "2050",
            "baseline_emissions_mtco2e": "70.5",
        },
    ]
    content = csv_bytes(rows, ["organisation", "kind", "target_year", "baseline_emissions_mtco2e"])
    outcome = import_run(resource="commitments", content=content, fmt="csv", by=admin_user)
    assert (outcome.created, outcome.error_rows) == (2, 0), outcome.errors
    baselines = dict(Commitment.objects.values_list("target_year", "baseline_emissions_mtco2e"))
    assert baselines == {2045: Decimal("1251"), 2050: Decimal("70.5")}


def test_an_xlsx_file_imports_like_a_csv_with_labels_country_names_and_bare_domains(admin_user):
    rows = [
        {"name": "Norway", "kind": "Country", "country": "Norway", "sector": "Public sector", "website": ""},
        {
            "name": "Carbon Engineering",
            "kind": "Company",
            "country": "CA",
            "sector": "energy",
            "website": "carbonengineering.com",
            "listed_publicly": "Yes",
        },
    ]

    outcome = import_run(
        resource="organisations", content=xlsx_bytes(rows, ORGANISATION_COLUMNS), fmt="xlsx", by=admin_user
    )

    assert (outcome.created, outcome.error_rows) == (2, 0), outcome.errors
    norway = Organisation.objects.get(kind="country")
    assert norway.country.code == "NO" and norway.sector == "public_sector"
    company = Organisation.objects.get(kind="company")
    assert (
        company.website == "https://carbonengineering.com"
        and company.website_domain == "carbonengineering.com"
    )
    assert company.listed_publicly is True
    assert company.history.first().history_change_reason == "Imported"


def test_an_organisation_without_a_website_matches_an_existing_one_by_name_not_one_with_another_website(
    admin_user,
):
    plain = OrganisationFactory(name="Acme Removals", website="")
    other = OrganisationFactory(name="Global Carbon Trust", website="https://gct.example.org")
    rows = [
        {"name": "acme removals", "kind": "company", "website": "acme.example.com"},
        {"name": "Global Carbon Trust", "kind": "ngo", "website": "https://globalcarbontrust.example.net"},
    ]

    outcome = import_run(
        resource="organisations", content=csv_bytes(rows, ORGANISATION_COLUMNS), fmt="csv", by=admin_user
    )

    assert (outcome.created, outcome.updated) == (1, 1)
    plain.refresh_from_db()
    assert plain.website_domain == "acme.example.com"
    other.refresh_from_db()
    assert other.website_domain == "gct.example.org"


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "cp1252"], ids=lambda e: e
)
def test_unicode_text_and_windows_files_import_like_utf8(admin_user, encoding):
    """Excel's "Unicode Text" is UTF-16 with tabs (with a BOM; the bare byte orders are read too)."""
    text = "name\tkind\tcountry\nSociété Générale Énergie\tcompany\tFR\nMüller Kohlenstoff AG\tcompany\tDE\n"

    outcome = import_run(resource="organisations", content=text.encode(encoding), fmt="csv", by=admin_user)

    assert (outcome.created, outcome.error_rows) == (2, 0), outcome.errors
    assert set(Organisation.objects.values_list("name", "country")) == {
        ("Société Générale Énergie", "FR"),
        ("Müller Kohlenstoff AG", "DE"),
    }


FRENCH_AND_NORDIC_MEMBERS = [
    ("Société Générale", "FR", "Banque"),
    ("Ørsted", "DK", "Énergie éolienne"),
    ("Réseau Action Climat", "CI", "Côte d'Ivoire"),
]


def _members_csv(members: list[tuple[str, str, str]]) -> str:
    rows = [f"{name},company,{country},{description}\r\n" for name, country, description in members]
    return "name,kind,country,description\r\n" + "".join(rows)


def test_a_csv_saved_by_excel_for_mac_reads_its_accented_letters(admin_user):
    """Excel for Mac's "Comma Separated Values" is Mac Roman: "Société" is not "SociŽtŽ"."""
    content = _members_csv(FRENCH_AND_NORDIC_MEMBERS).encode("mac_roman")

    outcome = import_run(resource="organisations", content=content, fmt="csv", by=admin_user)

    assert (outcome.created, outcome.error_rows) == (3, 0), outcome.errors
    assert set(Organisation.objects.values_list("name", "country", "description")) == set(
        FRENCH_AND_NORDIC_MEMBERS
    )


def test_a_utf8_csv_with_one_pasted_windows_1252_character_keeps_every_other_letter(admin_user):
    """One en dash pasted from another program (byte 0x96) used to turn the whole file into Windows-1252:
    "Société" was stored as "SociÃ©tÃ©" on every row."""
    content = (
        _members_csv(FRENCH_AND_NORDIC_MEMBERS).encode() + b"Climate Alliance,ngo,DE,Cities \x96 towns\r\n"
    )

    outcome = import_run(resource="organisations", content=content, fmt="csv", by=admin_user)

    assert (outcome.created, outcome.error_rows) == (4, 0), outcome.errors
    assert set(Organisation.objects.values_list("name", "country", "description")) == {
        *FRENCH_AND_NORDIC_MEMBERS,
        ("Climate Alliance", "DE", "Cities – towns"),
    }


def test_people_with_first_and_last_names_in_two_columns_get_both_as_their_name(admin_user, climeworks):
    """As CRMs and mailing tools export people: "First Name", "Last Name", no "Name"."""
    content = (
        b"Organisation,First Name,Last Name,Email\n"
        b"climeworks.com,Jan,Wurzbacher,jan@climeworks.example\n"
        b"climeworks.com,  Christoph ,Gebald,christoph@climeworks.example\n"
        b"climeworks.com,,Beuttler,beuttler@climeworks.example\n"
        b"climeworks.com,,,nobody@climeworks.example\n"
    )

    outcome = import_run(resource="contacts", content=content, fmt="csv", by=admin_user)

    assert (outcome.created, outcome.error_rows) == (3, 1), outcome.errors
    assert set(Contact.objects.values_list("name", flat=True)) == {
        "Jan Wurzbacher",
        "Christoph Gebald",
        "Beuttler",
    }
    [error] = outcome.errors
    assert (error.row, error.field) == (5, "name")


def test_a_file_without_a_required_column_is_refused_before_any_row_is_read(admin_user):
    content = csv_bytes([{"name": "X"}], ["name", "website"])
    with pytest.raises(ValidationError) as caught:
        import_preview(resource="organisations", content=content, fmt="csv")
    assert "no kind column" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (b"", "csv", "empty"),
        (b"name,kind\n,\n", "csv", "no rows"),
        (b"not a spreadsheet", "xlsx", "could not be read"),
        (b"%PDF-1.4\n\x00\x01\x02binary", "csv", "not a text file"),
    ],
)
def test_unreadable_or_empty_files_are_refused_with_a_reason(content, fmt, message):
    with pytest.raises(ValidationError) as caught:
        import_preview(resource="organisations", content=content, fmt=fmt)
    assert message in str(caught.value)


def test_only_staff_who_may_add_and_change_a_model_may_import_it(
    admin_user, staff_user, comms_user, viewer_user
):
    assert {s.name for s in importables_for(admin_user)} == {
        "organisations",
        "contacts",
        "commitments",
        "subscribers",
    }
    assert {s.name for s in importables_for(staff_user)} == {"organisations", "contacts", "commitments"}
    assert [s.name for s in importables_for(comms_user)] == ["subscribers"]
    assert importables_for(viewer_user) == []


def test_a_row_the_database_refuses_fails_alone_with_the_constraints_own_message(admin_user):
    rows = [
        {"name": "Iceland", "kind": "country", "country": "IS"},
        {"name": "Somewhere", "kind": "country", "country": ""},
        {"name": "Carbfix", "kind": "company", "country": "IS", "website": "carbfix.com"},
    ]

    outcome = import_run(
        resource="organisations", content=csv_bytes(rows, ORGANISATION_COLUMNS), fmt="csv", by=admin_user
    )

    assert outcome.created == 2
    assert [(e.row, e.message) for e in outcome.errors] == [
        (3, "A country record needs its ISO 3166 country code.")
    ]
    assert set(Organisation.objects.values_list("name", flat=True)) == {"Iceland", "Carbfix"}


def test_rows_are_numbered_as_the_spreadsheet_shows_them_past_a_title_row_and_empty_rows(admin_user):
    content = (
        b"Members to add, December,,\n"  # a title row above the header (row 1)
        b"name,kind,country\n"
        b"Removal Works,company,CH\n"
        b",,\n"
        b"Unclassified body,spaceship,\n"  # row 5
        b"Removal Works,company,CH\n"  # row 6, repeating row 3
    )
    outcome = import_preview(resource="organisations", content=content, fmt="csv", by=admin_user)
    assert {(e.row, e.field) for e in outcome.errors} == {(5, "kind"), (6, "name")}
    assert "already appears on row 3 of this file" in next(e.message for e in outcome.errors if e.row == 6)
    assert [entry["row"] for entry in outcome.preview] == [3, 5, 6]


def test_a_workbook_formatted_down_to_the_sheets_last_row_imports_its_rows_numbered_as_shown(admin_user):
    """Formatting a whole column leaves a styled cell on row 1,048,576: the empty rows down to it are
    not rows of the file (reading them took a minute and 600 MB), the empty row between two is counted."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill

    book = Workbook()
    sheet = book.active
    for row in (["name", "kind", "country"], ["Alpha Climate Network", "ngo", "DK"], [],
                ["Unclassified body", "spaceship", "SE"], ["Beta Energy", "company", "SE"]):  # fmt: skip
        sheet.append(row)
    sheet.cell(row=1_048_576, column=26).fill = PatternFill("solid", fgColor="FFFF00")
    out = io.BytesIO()
    book.save(out)

    outcome = import_run(resource="organisations", content=out.getvalue(), fmt="xlsx", by=admin_user)

    assert (outcome.total_rows, outcome.created) == (3, 2)
    assert [(e.row, e.field) for e in outcome.errors] == [(4, "kind")]
    assert set(Organisation.objects.values_list("name", "kind", "country")) == {
        ("Alpha Climate Network", "ngo", "DK"),
        ("Beta Energy", "company", "SE"),
    }


def test_a_column_the_import_reads_twice_is_refused_naming_both_and_other_repeats_are_ignored(admin_user):
    content = b"name,kind,notes,country,notes,name\nRemoval Works,company,a,CH,b,Removal Works AG\n"
    with pytest.raises(ValidationError) as refused:
        import_preview(resource="organisations", content=content, fmt="csv", by=admin_user)
    assert refused.value.message_dict["file"] == [
        "The file has two “name” columns (A and F): keep one of them."
    ]
    repeated_unread = b"name,kind,notes,country,notes\nRemoval Works,company,a,CH,b\n"
    outcome = import_preview(resource="organisations", content=repeated_unread, fmt="csv", by=admin_user)
    assert outcome.error_rows == 0


def test_a_percentage_cell_of_a_workbook_reads_as_the_percentage_it_shows(admin_user, denmark):
    """Excel stores 82.5 % as 0.825; the sheet, and the person, see 82.5 %."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(COMMITMENT_COLUMNS)
    sheet.append(["DK", "net_zero", 2030, 0.825, "law", "yes", "Interim"])
    sheet.append(["DK", "net_negative", 2050, 1.1, "law", "no", "Beyond zero"])
    for row in (2, 3):
        sheet.cell(row=row, column=4).number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)

    outcome = import_run(resource="commitments", content=out.getvalue(), fmt="xlsx", by=admin_user)

    assert (outcome.created, outcome.error_rows) == (2, 0), outcome.errors
    assert sorted(Commitment.objects.values_list("reduction_percent", flat=True)) == [
        Decimal("82.5"), Decimal("110")]  # fmt: skip


def _workbook_with_formulas(rows, *, saved_results: dict[str, bytes] | None = None) -> bytes:
    """A workbook as openpyxl (or a script) writes it: formulas without their results, unless
    ``saved_results`` gives the text result a spreadsheet would save for some cells (``{"A2": "Acme"}``)."""
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    if not saved_results:
        return out.getvalue()
    source, patched = zipfile.ZipFile(io.BytesIO(out.getvalue())), io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                for cell, result in saved_results.items():  # as Excel saves a formula's text result
                    saved = rb'<c r="%s" t="str">\1<v>%s</v>' % (cell.encode(), result.encode())
                    data, count = re.subn(rb'<c r="%s">(<f>.*?</f>)<v\s*/>' % cell.encode(), saved, data)
                    assert count == 1, cell
            target.writestr(item, data)
    return patched.getvalue()


def test_a_workbook_whose_formulas_have_no_saved_results_is_refused_and_changes_nothing(admin_user):
    """A formula saved without its result reads as empty: the name it computes would be lost, and in
    "blanks clear" mode the field it fills would be blanked. The file is refused, naming the cells."""
    existing = OrganisationFactory(
        name="Removal Works", website="https://removal.example.org", sector="energy"
    )
    content = _workbook_with_formulas(
        [
            ["name", "kind", "country", "sector", "website", None],
            ["Removal Works", "company", "CH", '=IF(1=1,"","energy")', "removal.example.org", "=1+1"],
            ['="Soil " & "Carbon"', "ngo", "BR", "civil_society", "", None],
        ]
    )

    for mode in ("preview", "run"):
        run = import_preview if mode == "preview" else import_run
        with pytest.raises(ValidationError) as refused:
            run(resource="organisations", content=content, fmt="xlsx", by=admin_user, clear_blanks=True)
        message = refused.value.message_dict["file"][0]
        assert message.startswith("Cells D2, A3 hold formulas whose results were never saved"), message
        assert "F2" not in message  # a column without a heading is not read
        assert "save it, and upload it again" in message

    existing.refresh_from_db()
    assert existing.sector == "energy"
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Removal Works"]


def test_formulas_whose_results_a_spreadsheet_saved_read_as_those_results(admin_user):
    content = _workbook_with_formulas(
        [
            ["name", "kind", "country", "sector", "website"],
            ['="Soil " & "Carbon"', "ngo", "BR", '=IF(1=1,"","energy")', ""],
        ],
        saved_results={"A2": "Soil Carbon", "D2": ""},
    )
    outcome = import_run(resource="organisations", content=content, fmt="xlsx", by=admin_user)
    assert (outcome.created, outcome.error_rows) == (1, 0), outcome.errors
    assert Organisation.objects.get().name == "Soil Carbon"


def test_a_us_spreadsheets_dates_are_read_month_first_throughout(admin_user, denmark):
    rows = [
        {"organisation": "DK", "kind": "net_zero", "target_year": "2045", "announced_on": "6/12/2023"},
        {"organisation": "DK", "kind": "net_negative", "target_year": "2050", "announced_on": "12/31/2023"},
    ]
    content = csv_bytes(rows, ["organisation", "kind", "target_year", "announced_on"])
    outcome = import_run(resource="commitments", content=content, fmt="csv", by=admin_user)
    assert (outcome.created, outcome.error_rows) == (2, 0), outcome.errors
    announced = dict(Commitment.objects.values_list("target_year", "announced_on"))
    assert {year: str(day) for year, day in announced.items()} == {2045: "2023-06-12", 2050: "2023-12-31"}


def test_dates_written_as_text_by_people_and_spreadsheets_are_read_in_either_column_layout(
    admin_user, denmark
):
    day_first = ["March 4, 2025", "Mar 14, 2025", "4 March 2025", "04-Mar-2025", "4-Mar-25", "4.3.25"]
    month_first = ["12/31/2024", "March 4, 2025", "04-Mar-2025", "4-Mar-25", "4.3.25"]
    for column in (day_first, month_first):
        Commitment.objects.all().delete()
        rows = [
            {"organisation": "DK", "kind": "net_zero", "target_year": str(2040 + i), "announced_on": cell}
            for i, cell in enumerate(column)
        ]
        content = csv_bytes(rows, ["organisation", "kind", "target_year", "announced_on"])
        outcome = import_run(resource="commitments", content=content, fmt="csv", by=admin_user)
        assert (outcome.created, outcome.error_rows) == (len(column), 0), outcome.errors
        announced = [
            str(d) for d in Commitment.objects.order_by("target_year").values_list("announced_on", flat=True)
        ]
        assert announced == [
            {"12/31/2024": "2024-12-31", "Mar 14, 2025": "2025-03-14"}.get(cell, "2025-03-04")
            for cell in column
        ]


def test_cells_as_crms_and_mail_programs_write_them(admin_user, climeworks):
    rows = [
        {"organisation": "climeworks.com", "name": "Ole Hansen", "email": "Ole Hansen <Ole@Climeworks.com>"},
        {"organisation": "climeworks.com", "name": "Ida Berg", "email": "mailto:ida@climeworks.com"},
        {"organisation": "climeworks.com", "name": "Jan Roth", "email": "N/A"},
        {
            "organisation": "climeworks.com",
            "name": "Two Inboxes",
            "email": "a@climeworks.com; b@climeworks.com",
        },
    ]
    outcome = import_run(
        resource="contacts", content=csv_bytes(rows, CONTACT_COLUMNS), fmt="csv", by=admin_user
    )
    assert set(Contact.objects.values_list("name", "email")) == {
        ("Ole Hansen", "ole@climeworks.com"),
        ("Ida Berg", "ida@climeworks.com"),
        ("Jan Roth", ""),
    }
    assert [(e.row, e.field) for e in outcome.errors] == [(5, "email")]
    assert "holds more than one email address: keep one here" in outcome.errors[0].message

    content = (
        b"name,kind,website,country\nPeat Trust,ngo,N/A,U.K.\nKelp Co,company,kelp.com; kelp.org,U.S.A.\n"
    )
    outcome = import_run(resource="organisations", content=content, fmt="csv", by=admin_user)
    peat = Organisation.objects.get(name="Peat Trust")
    assert (peat.website, peat.country.code) == ("", "GB")
    assert [(e.row, e.field) for e in outcome.errors] == [(3, "website")]


def test_a_contact_row_without_an_email_is_the_person_of_that_name_we_already_have(admin_user, climeworks):
    ContactFactory(organisation=climeworks, name="Anna Jensen", email="anna@climeworks.com")
    rows = [{"organisation": "climeworks.com", "name": "Anna Jensen", "phone": "+41 44 533 29 99"}]
    outcome = import_run(
        resource="contacts", content=csv_bytes(rows, CONTACT_COLUMNS), fmt="csv", by=admin_user
    )
    assert (outcome.created, outcome.updated) == (0, 1)
    assert Contact.objects.get().phone == "+41 44 533 29 99"


def test_an_organisation_named_like_a_web_address_is_found_by_its_name(admin_user):
    OrganisationFactory(name="350.org", website="")
    rows = [{"organisation": "350.org", "name": "Bill McKibben"}]
    outcome = import_run(
        resource="contacts", content=csv_bytes(rows, CONTACT_COLUMNS), fmt="csv", by=admin_user
    )
    assert (outcome.created, outcome.error_rows) == (1, 0), outcome.errors
    assert Contact.objects.get().organisation.name == "350.org"


def test_one_organisation_on_two_rows_of_a_file_by_different_keys_is_reported_not_created_twice(admin_user):
    content = (
        b"name,kind,website,country\n"
        b"Acme Energy Ltd,company,https://acme.example,GB\n"
        b"Acme Energy,company,https://acme.example.co.uk,GB\n"  # another website: another organisation
        b"ACME Energy Limited,company,,GB\n"  # no website: the first one again
        b"Acme Energy,company,,US\n"  # another country: another organisation
    )
    preview = import_preview(resource="organisations", content=content, fmt="csv", by=admin_user)
    assert [(e.row, e.field) for e in preview.errors] == [(4, "name")]
    assert "is the organisation on row 2 of this file" in preview.errors[0].message
    outcome = import_run(resource="organisations", content=content, fmt="csv", by=admin_user)
    assert (outcome.created, outcome.error_rows) == (preview.created, 1) == (3, 1)


def test_invisible_characters_pasted_with_an_address_are_left_out(admin_user):
    """Text copied from a web page or a document brings zero-width spaces, a byte order mark or direction
    marks along: they are in no address, and kept they made a second Climeworks and unusable emails."""
    climeworks = OrganisationFactory(name="Climeworks AG", kind="company", website="https://climeworks.com")
    organisations = import_run(
        resource="organisations",
        content=csv_bytes(
            [
                {
                    "name": "Climeworks",
                    "kind": "company",
                    "website": "climeworks.com\u200b",
                    "description": "DAC",
                }
            ],
            ORGANISATION_COLUMNS,
        ),
        fmt="csv",
        by=admin_user,
    )
    contacts = import_run(
        resource="contacts",
        content=csv_bytes(
            [
                {"organisation": "climeworks.com\u200b", "name": "Jan", "email": "jan@climeworks.com\u200b"},
                {
                    "organisation": "Climeworks AG",
                    "name": "Christoph",
                    "email": "\ufeffchristoph@climeworks.com",
                },
                {"organisation": "Climeworks AG", "name": "Ana", "email": "\u200eana@climeworks.com\u00ad"},
            ],
            ["organisation", "name", "email"],
        ),
        fmt="csv",
        by=admin_user,
    )

    assert (organisations.created, organisations.updated, organisations.error_rows) == (0, 1, 0)
    climeworks.refresh_from_db()
    assert (climeworks.website, climeworks.website_domain) == ("https://climeworks.com", "climeworks.com")
    assert (contacts.created, contacts.error_rows) == (3, 0), contacts.errors
    assert sorted(Contact.objects.filter(organisation=climeworks).values_list("email", flat=True)) == [
        "ana@climeworks.com",
        "christoph@climeworks.com",
        "jan@climeworks.com",
    ]


def test_a_person_imported_without_an_email_gets_it_from_a_later_file_not_a_second_record(admin_user):
    """A sign-in sheet gives names only; the mailing list then gives the address: one person. Two people
    of one name at one organisation stay apart (the address goes to neither)."""
    can = OrganisationFactory(name="Climate Action Network", kind="ngo", website="https://can.example")
    columns = ["organisation", "name", "email", "job_title"]
    first = import_run(
        resource="contacts",
        content=csv_bytes(
            [
                {"organisation": "can.example", "name": "Jane Doe", "job_title": "Director"},
                {"organisation": "can.example", "name": "Sam Lee"},
            ],
            columns,
        ),
        fmt="csv",
        by=admin_user,
    )
    ContactFactory(organisation=can, name="Sam Lee", email="")  # a second Sam Lee there
    second = import_run(
        resource="contacts",
        content=csv_bytes(
            [
                {"organisation": "can.example", "name": "jane doe", "email": "jane@can.example"},
                {"organisation": "can.example", "name": "Sam Lee", "email": "sam@can.example"},
            ],
            columns,
        ),
        fmt="csv",
        by=admin_user,
    )

    assert (first.created, second.created, second.updated, second.error_rows) == (2, 1, 1, 0), second.errors
    jane = Contact.objects.get(name="Jane Doe")
    assert (jane.email, jane.job_title) == ("jane@can.example", "Director")
    assert sorted(Contact.objects.filter(name="Sam Lee").values_list("email", flat=True)) == [
        "",
        "",
        "sam@can.example",
    ]


def test_one_file_listing_a_person_with_and_without_an_email_names_the_row_instead_of_making_two(admin_user):
    can = OrganisationFactory(name="Climate Action Network", kind="ngo", website="https://can.example")
    ContactFactory(organisation=can, name="Ola Berg", email="ola@can.example")
    rows = [
        {"organisation": "can.example", "name": "Jane Doe", "email": "jane@can.example"},
        {"organisation": "can.example", "name": "Sam Lee", "email": "sam@can.example"},
        {"organisation": "can.example", "name": "Sam Lee", "email": "samuel@can.example"},  # another Sam
        {"organisation": "can.example", "name": "Jane Doe", "job_title": "Director"},
        {"organisation": "can.example", "name": "Ola Berg", "job_title": "Adviser"},  # we have Ola already
        {"organisation": "can.example", "name": "Ola Berg", "email": "ola@can.example"},
    ]
    content = csv_bytes(rows, ["organisation", "name", "email", "job_title"])

    outcome = import_run(resource="contacts", content=content, fmt="csv", by=admin_user)

    assert [(e.row, e.field) for e in outcome.errors] == [(5, "name")]
    assert "is the person on row 2 of this file" in outcome.errors[0].message
    assert sorted(Contact.objects.values_list("name", "email")) == [
        ("Jane Doe", "jane@can.example"),
        ("Ola Berg", "ola@can.example"),
        ("Sam Lee", "sam@can.example"),
        ("Sam Lee", "samuel@can.example"),
    ]
