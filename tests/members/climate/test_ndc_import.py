"""The NDC registry list: both header layouts, EU member states carrying the EU's submission, rounds,
idempotence, and the dashboard's list of members with an active NDC 3.0."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from members import demo
from members.climate import ndc, selectors
from members.models import Commitment, NdcSubmission, Organisation

from .samples import read

pytestmark = pytest.mark.django_db


def _countries() -> dict[str, Organisation]:
    names = (("DK", "Denmark"), ("FI", "Finland"), ("PA", "Panama"), ("BT", "Bhutan"))
    return {
        code: Organisation.objects.create(name=name, kind="country", country=code) for code, name in names
    }


@pytest.mark.parametrize("name", ["ndcs.csv", "ndcs_capitalised.csv"])
def test_denmark_and_finland_resolve_to_the_eus_active_submission_and_panama_to_its_own(name):
    countries = _countries()
    outcome = ndc.ndc_import(content=read(name), fmt="csv")
    assert (outcome.created, outcome.error_rows) == (8, 0)
    for code in ("DK", "FI"):
        active = ndc.ndc_active_for(organisation=countries[code])
        assert (active.party_code, active.title, active.round) == ("EUU", "European Union NDC 3.0", "ndc3")
    panama = ndc.ndc_active_for(organisation=countries["PA"])
    assert (panama.party_code, panama.round, str(panama.submitted_on)) == ("PAN", "ndc3", "2025-06-27")
    assert panama.organisation == countries["PA"]
    assert ndc.ndc_active_for(organisation=countries["BT"]).round == "updated"
    assert ndc.ndc_active_for(organisation=countries["BT"], round="ndc3") is None
    rounds = dict(NdcSubmission.objects.filter(party_code="PAN").values_list("title", "round"))
    assert rounds == {
        "Panama First NDC": "first",
        "Panama First NDC (Updated submission)": "updated",
        "Panama NDC 3.0": "ndc3",
    }


def test_a_second_run_creates_and_changes_nothing_and_a_status_change_is_an_update():
    _countries()
    ndc.ndc_import(content=read("ndcs.csv"), fmt="csv")
    again = ndc.ndc_import(content=read("ndcs.csv"), fmt="csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    archived = read("ndcs.csv").replace(
        b"Panama NDC 3.0,pdf,Spanish,3,Active", b"Panama NDC 3.0,pdf,Spanish,3,Archived"
    )
    changed = ndc.ndc_import(content=archived, fmt="csv")
    assert (changed.created, changed.updated) == (0, 1)
    assert NdcSubmission.objects.get(title="Panama NDC 3.0").status == "archived"


def test_bad_rows_are_reported_with_their_values_and_a_dry_run_writes_nothing():
    content = (
        b"code,party,title,fileType,language,version,status,submissionDate,encodedAbsUrl,originalFilename\n"
        b"XXX,Nowhere,Nowhere First NDC,pdf,English,1,Pending,someday,not-a-url,x.pdf\n"
        b"PAN,Panama,Panama NDC 3.0,pdf,Spanish,3,Active,2025-06-27,https://unfccc.int/pa-3.pdf,pa.pdf\n"
    )
    outcome = ndc.ndc_import(content=content, fmt="csv", dry_run=True)
    messages = {(e["row"], e["field"]): e["message"] for e in outcome.errors}
    assert "“XXX”" in messages[(2, "code")]
    assert "“Pending”" in messages[(2, "status")]
    assert "“someday”" in messages[(2, "submissiondate")]
    assert "“not-a-url”" in messages[(2, "encodedabsurl")]
    assert outcome.created == 1
    assert NdcSubmission.objects.count() == 0


def test_a_target_countrys_new_ndc3_is_flagged_when_it_has_stated_a_net_negative_goal():
    countries = _countries()
    Commitment.objects.create(organisation=countries["PA"], kind="net_negative", target_year=2050)
    outcome = ndc.ndc_import(content=read("ndcs.csv"), fmt="csv")
    assert outcome.flagged == 1
    assert [s.title for s in selectors.ndc_submissions_flagged()] == ["Panama NDC 3.0"]


def test_the_dashboard_lists_which_members_have_an_active_ndc3_and_since_when(
    staff_user, client, django_assert_max_num_queries
):
    demo.load(profile="gone")
    ndc.ndc_import(content=read("ndcs.csv"), fmt="csv")
    with django_assert_max_num_queries(2):
        rows = selectors.members_with_active_ndc3()
    listed = {row.organisation.name: (str(row.since), row.through_eu) for row in rows}
    assert listed["Denmark"] == ("2025-11-05", True)
    assert listed["Panama"] == ("2025-06-27", False)
    assert "Bhutan" not in listed
    client.force_login(staff_user)
    page = client.get("/dashboard/").content.decode()
    assert "Members with an active NDC 3.0" in page
    assert "Panama" in page and "27 Jun 2025" in page


def test_the_command_imports_the_list(tmp_path):
    path = tmp_path / "ndcs.csv"
    path.write_bytes(read("ndcs_capitalised.csv"))
    out = StringIO()
    call_command("import_ndcs", str(path), stdout=out)
    assert "8 rows: 8 submissions created" in out.getvalue()


def test_the_older_numbered_layout_without_a_status_column_imports_with_statuses_worked_out():
    """The registry list as republished until 2021: ``Number`` (First, Second) and no ``Status``: a party's
    documents of its latest round are active, earlier ones archived. A document listed without a title is
    named from its party and number, and a row the submission's rules refuse fails alone."""
    countries = _countries()

    outcome = ndc.ndc_import(content=read("ndcs_numbered.csv"), fmt="csv")

    assert (outcome.created, outcome.error_rows) == (6, 1), outcome.errors
    assert outcome.errors == [{"row": 8, "field": "party", "message": "This field cannot be blank."}]
    statuses = dict(NdcSubmission.objects.values_list("title", "status"))
    assert statuses == {
        "European Union First NDC": "archived",
        "European Union Second NDC": "active",
        "EU First NDC": "active",
        "Panama NDC Cover Letter": "active",
        "Panama First NDC": "active",
        "Bhutan Second NDC": "active",
    }
    assert NdcSubmission.objects.get(title="Bhutan Second NDC").round == "updated"
    # The NDC itself, not the cover letter filed with it the same day.
    assert ndc.ndc_active_for(organisation=countries["PA"]).title == "Panama First NDC"
    assert ndc.ndc_import(content=read("ndcs_numbered.csv"), fmt="csv").unchanged == 6


HEADER = b"code,party,title,fileType,language,version,status,submissionDate,encodedAbsUrl,originalFilename\n"


def test_one_document_listed_twice_is_one_submission_and_a_second_run_changes_nothing():
    """The registry has listed the same file twice for a party (Argentina's second NDC: once as an active
    addendum without a date, once as the archived NDC with its date)."""
    content = HEADER + (
        b"ARG,Argentina,Argentina Second NDC (Archived),Addendum,Spanish,3,Active,,https://unfccc.int/s.pdf,s.pdf\n"
        b"ARG,Argentina,Argentina Second NDC (Archived),NDC,Spanish,2,Archived,2020-12-30,https://unfccc.int/s.pdf,"
        b"s.pdf\n"
    )
    first = ndc.ndc_import(content=content, fmt="csv")
    assert (first.created, first.updated, first.error_rows) == (1, 0, 0)
    assert first.notes == [
        {"row": 3, "field": "encodedabsurl", "message": "The same document as row 2: read together with it."}
    ]
    submission = NdcSubmission.objects.get()
    assert (submission.status, str(submission.submitted_on), submission.file_type) == (
        "active", "2020-12-30", "Addendum")  # fmt: skip
    for _run in range(2):
        again = ndc.ndc_import(content=content, fmt="csv")
        assert (again.created, again.updated, again.unchanged, again.changes) == (0, 0, 1, [])


def test_row_numbers_count_blank_rows_and_an_alpha2_code_names_the_same_party():
    content = (
        HEADER
        + b",,,,,,,,,\n"
        + b"DK,Denmark,Denmark NDC,pdf,Danish,1,Active,2021-01-01,https://unfccc.int/dk.pdf,dk.pdf\n"
        + b"PAN,Panama,Panama NDC 3.0,pdf,Spanish,3,Pending,2025-06-27,https://unfccc.int/pa-3.pdf,pa.pdf\n"
    )
    outcome = ndc.ndc_import(content=content, fmt="csv")
    assert [(e["row"], e["field"]) for e in outcome.errors] == [(4, "status")]
    assert NdcSubmission.objects.get().party_code == "DNK"
    assert ndc.ndc_import(content=content.replace(b"DK,", b"DNK,"), fmt="csv").unchanged == 1


def test_the_older_layout_keeps_a_document_it_files_as_archived_archived():
    content = (
        b"Code,Party,Title,FileType,Language,Number,SubmissionDate,EncodedAbsUrl,OriginalFilename\n"
        b"PAN,Panama,Panama First NDC,NDC,Spanish,First,2016-04-21,https://unfccc.int/pa-1.pdf,pa-1.pdf\n"
        b"PAN,Panama,Panama First NDC (old),Archived,Spanish,First,2015-01-01,https://unfccc.int/pa-0.pdf,pa-0.pdf\n"
    )
    ndc.ndc_import(content=content, fmt="csv")
    assert dict(NdcSubmission.objects.values_list("url", "status")) == {
        "https://unfccc.int/pa-1.pdf": "active",
        "https://unfccc.int/pa-0.pdf": "archived",
    }


def test_a_list_with_two_code_columns_is_refused_rather_than_read_from_the_last():
    content = HEADER.replace(b"originalFilename", b"originalFilename,code") + (
        b"PAN,Panama,Panama NDC 3.0,pdf,Spanish,3,Active,2025-06-27,https://unfccc.int/pa-3.pdf,pa.pdf,ZZZ\n"
    )
    with pytest.raises(ValidationError) as refused:
        ndc.ndc_import(content=content, fmt="csv")
    assert "two “code” columns (A and K)" in refused.value.messages[0]


def test_a_list_resaved_with_us_dates_reads_every_date_month_first():
    content = HEADER + (
        b"PAN,Panama,Panama NDC 3.0,pdf,Spanish,3,Active,6/27/2025,https://unfccc.int/pa-3.pdf,pa.pdf\n"
        b"PAN,Panama,Panama First NDC,pdf,Spanish,1,Archived,4/12/2016,https://unfccc.int/pa-1.pdf,pa-1.pdf\n"
    )
    assert ndc.ndc_import(content=content, fmt="csv").error_rows == 0
    dates = dict(NdcSubmission.objects.values_list("title", "submitted_on"))
    assert {title: str(day) for title, day in dates.items()} == {
        "Panama NDC 3.0": "2025-06-27",
        "Panama First NDC": "2016-04-12",  # not 4 December
    }


def test_a_list_resaved_by_excel_with_text_dates_reads_them():
    content = HEADER + (
        b"PAN,Panama,Panama NDC 3.0,pdf,Spanish,3,Active,27-Jun-25,https://unfccc.int/pa-3.pdf,pa.pdf\n"
        b'PAN,Panama,Panama First NDC,pdf,Spanish,1,Archived,"April 12, 2016",https://unfccc.int/pa-1.pdf,pa-1.pdf\n'
    )
    assert ndc.ndc_import(content=content, fmt="csv").error_rows == 0
    dates = dict(NdcSubmission.objects.values_list("title", "submitted_on"))
    assert {title: str(day) for title, day in dates.items()} == {
        "Panama NDC 3.0": "2025-06-27",
        "Panama First NDC": "2016-04-12",
    }


@pytest.mark.parametrize(
    ("title", "submitted", "expected"),
    [
        ("Canada's 2035 NDC", "2025-02-12", "ndc3"),
        ("The NDC of the European Union and its Member States", "2025-11-05", "ndc3"),
        ("Kenya's Second Nationally Determined Contribution 2031 - 2035", "2025-09-30", "ndc3"),
        ("Annex to Switzerland NDC 2031-2035", "", "ndc3"),  # no date: its horizon tells
        ("Maldives' Third Nationally Determined Contribution", "2025-09-24", "ndc3"),
        ("Switzerland First NDC (2021-2030 Update 2024 including ICTUs)", "2024-11-14", "updated"),
        ("Third Update of Second Nationally Determined Contribution for the UAE", "2023-07-11", "updated"),
        ("Argentina Second NDC (Updated submission)", "2021-11-02", "updated"),
        ("Bhutan Second NDC", "2021-06-08", "updated"),
        ("Marshall Islands 2050 climate strategy", "", "first"),
        ("Panama First NDC", "2016-04-21", "first"),
    ],
)
def test_the_round_is_read_from_the_title_and_for_titles_naming_none_from_the_date(
    title, submitted, expected
):
    day = datetime.date.fromisoformat(submitted) if submitted else None
    assert ndc.ndc_round(title=title, submitted_on=day) == expected
