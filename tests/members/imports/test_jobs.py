"""Import jobs: upload → preview → confirm → progress, on the staff pages and on a real worker."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from members.imports import services as imports
from members.models import ImportJob, Organisation
from tests.conftest import purge_queues
from tests.members.import_files import ORGANISATION_COLUMNS, csv_bytes, organisation_file_1000, xlsx_bytes


def _rows(n: int, *, bad_every: int = 0) -> list[dict]:
    rows = []
    for i in range(n):
        kind = "company" if not bad_every or i % bad_every else "spaceship"
        rows.append(
            {"name": f"Biochar Cooperative {i}", "kind": kind, "website": f"https://biochar{i}.example.org"}
        )
    return rows


def _upload(content: bytes, name: str = "organisations.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Services ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_previews_then_imports_the_same_file_in_chunks_with_progress(admin_user, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 40)
    job = imports.import_job_create(
        resource="organisations",
        upload=_upload(csv_bytes(_rows(150, bad_every=10), ORGANISATION_COLUMNS)),
        by=admin_user,
    )
    assert (job.total_rows, job.status, job.dry_run) == (150, "queued", True)

    job = imports.import_job_process(job_id=job.pk)

    assert (job.status, job.processed_rows, job.percent) == ("done", 150, 100)
    assert (job.created_count, job.error_count) == (135, 15)
    assert Organisation.objects.count() == 0
    assert job.errors[0] == {
        "row": 2,
        "field": "kind",
        "message": "“spaceship” is not a known kind of organisation; use one of: country, region, city, "
        "company, ngo, research, intergovernmental, investor, other.",
    }
    assert job.preview[1] == {"row": 3, "action": "new", "record": "Biochar Cooperative 1"}

    job = imports.import_job_confirm(job=job, by=admin_user)
    assert (job.dry_run, job.status, job.processed_rows, job.errors) == (False, "queued", 0, [])
    job = imports.import_job_process(job_id=job.pk)

    assert (job.status, job.created_count, job.error_count) == ("done", 135, 15)
    assert Organisation.objects.count() == 135


@pytest.mark.django_db
def test_a_redelivered_job_resumes_after_the_last_committed_chunk_and_a_finished_one_does_nothing(
    admin_user, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 25)
    rows = _rows(60)
    job = imports.import_job_create(
        resource="organisations", upload=_upload(csv_bytes(rows, ORGANISATION_COLUMNS)), by=admin_user
    )
    imports.import_job_process(job_id=job.pk)
    job = imports.import_job_confirm(job=job, by=admin_user)
    # As if a worker died after committing the first chunk: those rows exist and the job says so.
    imports.import_run(
        resource="organisations", content=csv_bytes(rows[:25], ORGANISATION_COLUMNS), fmt="csv"
    )
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=25, created_count=25)

    job = imports.import_job_process(job_id=job.pk)

    assert (job.status, job.processed_rows, job.created_count, job.skipped_count) == ("done", 60, 60, 0)
    again = imports.import_job_process(job_id=job.pk)
    assert (again.status, again.created_count) == ("done", 60)
    assert Organisation.objects.count() == 60


@pytest.mark.django_db
def test_a_job_whose_file_has_gone_fails_with_a_reason(admin_user):
    job = imports.import_job_create(
        resource="organisations", upload=_upload(csv_bytes(_rows(3), ORGANISATION_COLUMNS)), by=admin_user
    )
    job.file.delete(save=False)

    job = imports.import_job_process(job_id=job.pk)

    assert job.status == "failed" and job.failure


@pytest.mark.django_db
def test_a_preview_cannot_be_confirmed_twice(admin_user):
    job = imports.import_job_create(
        resource="organisations", upload=_upload(csv_bytes(_rows(3), ORGANISATION_COLUMNS)), by=admin_user
    )
    imports.import_job_process(job_id=job.pk)
    imports.import_job_confirm(job=job, by=admin_user)
    with pytest.raises(imports.ValidationError):
        imports.import_job_confirm(job=job, by=admin_user)


# --- Pages -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_staff_with_permission_reach_the_import_page(client, outsider_user, viewer_user, staff_user):
    assert client.get("/staff/imports/").status_code == 302
    assert _client(outsider_user).get("/staff/imports/").status_code == 403
    assert _client(viewer_user).get("/staff/imports/").status_code == 403
    response = _client(staff_user).get("/staff/imports/")
    assert response.status_code == 200
    assert b"name, kind, country, sector, website, description, listed_publicly" in response.content


@pytest.mark.django_db
def test_a_preview_where_every_row_fails_offers_no_import_of_zero_rows(staff_user):
    content = csv_bytes([{"name": "Unclassified", "kind": "spaceship"}], ORGANISATION_COLUMNS)
    response = _client(staff_user).post(
        "/staff/imports/", {"resource": "organisations", "file": _upload(content)}, follow=True
    )
    html = response.content.decode()
    assert "Importing this file would change nothing" in html and "Import 0 rows" not in html
    assert "/confirm/" not in html


@pytest.mark.django_db
def test_uploading_a_file_shows_a_preview_with_row_errors_and_writes_nothing(staff_user):
    content = csv_bytes(_rows(30, bad_every=7), ORGANISATION_COLUMNS)
    client = _client(staff_user)

    response = client.post(
        "/staff/imports/", {"resource": "organisations", "file": _upload(content)}, follow=True
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "What importing this file would do" in html
    assert html.count('class="row-error"') == 5
    assert "“spaceship” is not a known kind of organisation" in html
    assert "Import 25 rows" in html
    assert Organisation.objects.count() == 0

    job = ImportJob.objects.get()
    response = client.post(f"/staff/imports/{job.pk}/confirm/", follow=True)

    assert "What the import did" in response.content.decode()
    assert Organisation.objects.count() == 25
    errors = client.get(f"/staff/imports/{job.pk}/errors.csv")
    assert errors["Content-Type"].startswith("text/csv")
    assert errors.content.decode().splitlines()[1].startswith("2,kind,")


@pytest.mark.django_db
def test_excels_unicode_text_file_is_previewed_like_a_csv(staff_user):
    """Excel's "Save as Unicode Text": a .txt file, UTF-16 with tabs."""
    text = "name\tkind\tcountry\nSociété Générale Énergie\tcompany\tFrance\n"
    response = _client(staff_user).post(
        "/staff/imports/", {"resource": "organisations", "file": _upload(text.encode("utf-16"), "orgs.txt")}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and (job.format, job.total_rows, job.error_count) == ("csv", 1, 0)
    assert job.preview[0]["record"] == "Société Générale Énergie"


def _filtered_workbook() -> bytes:
    """A sheet with a title row above the header, an autofilter left on (rows 5 and 7 hidden by it) and
    row 9 hidden by hand."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Members to add"])
    sheet.append(["name", "kind", "country"])
    for i in range(8):
        sheet.append([f"Kelp Farm {i}", "company", "Denmark" if i % 2 == 0 else "Chile"])
    sheet.auto_filter.ref = "A2:C10"
    for row in (5, 7, 9):
        sheet.row_dimensions[row].hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.django_db
def test_rows_the_spreadsheet_hides_are_named_in_the_preview_and_imported(staff_user):
    client = _client(staff_user)

    response = client.post(
        "/staff/imports/",
        {"resource": "organisations", "file": _upload(_filtered_workbook(), "members.xlsx")},
        follow=True,
    )

    html = response.content.decode()
    assert 'id="job-notes"' in html
    assert "3 rows are hidden in the spreadsheet" in html and "rows 5, 7, 9." in html
    job = ImportJob.objects.get()
    assert (job.total_rows, job.created_count, job.error_count) == (8, 8, 0)
    assert client.get(f"/staff/imports/{job.pk}/status.json").json()["notes"] == job.notes

    response = client.post(f"/staff/imports/{job.pk}/confirm/", follow=True)

    assert "3 rows are hidden in the spreadsheet" in response.content.decode()
    assert Organisation.objects.filter(name__startswith="Kelp Farm").count() == 8


@pytest.mark.django_db
def test_a_sheet_with_nothing_hidden_has_no_note(staff_user):
    content = xlsx_bytes(_rows(3), ORGANISATION_COLUMNS)
    _client(staff_user).post(
        "/staff/imports/", {"resource": "organisations", "file": _upload(content, "o.xlsx")}
    )
    assert ImportJob.objects.get().notes == []


@pytest.mark.django_db
def test_a_long_pasted_description_is_a_cell_like_any_other(staff_user):
    """Python's csv module stops at 128 KiB a cell; in a short file the delimiter sniffing hit it (500)."""
    description = "Direct air capture. " * 10_000  # 200 kB
    text = f'name,kind,description\nRemoval Works,company,"{description}"\n'
    response = _client(staff_user).post(
        "/staff/imports/", {"resource": "organisations", "file": _upload(text.encode())}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and (job.total_rows, job.error_count) == (1, 0)


@pytest.mark.django_db
def test_a_bad_upload_is_answered_with_the_reason_not_an_error_page(staff_user):
    client = _client(staff_user)
    response = client.post(
        "/staff/imports/", {"resource": "organisations", "file": _upload(b"x", "orgs.pdf")}
    )
    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file (or tab-separated text: .txt, .tsv)." in response.content.decode()

    response = client.post("/staff/imports/", {"resource": "organisations", "file": _upload(b"title\nx\n")})
    assert response.status_code == 400 and "The file has no name, kind column" in response.content.decode()

    response = client.post("/staff/imports/", {"resource": "newsletters", "file": _upload(b"name\nx\n")})
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_large_file_is_left_to_a_worker_and_the_page_shows_a_progress_bar(staff_user, monkeypatch):
    monkeypatch.setattr(imports, "INLINE_MAX_ROWS", 10)
    client = _client(staff_user)
    content = xlsx_bytes(_rows(40), ORGANISATION_COLUMNS)
    upload = SimpleUploadedFile("orgs.xlsx", content)

    response = client.post("/staff/imports/", {"resource": "organisations", "file": upload}, follow=True)

    job = ImportJob.objects.get()
    assert job.status == "queued" and job.format == "xlsx"
    html = response.content.decode()
    assert 'role="progressbar"' in html and 'aria-valuenow="0"' in html
    assert f'data-status-url="/staff/imports/{job.pk}/status.json"' in html
    status = client.get(f"/staff/imports/{job.pk}/status.json").json()
    assert (status["percent"], status["finished"], status["total_rows"]) == (0, False, 40)

    imports.import_job_process(job_id=job.pk)  # what the worker does with the queued task
    status = client.get(f"/staff/imports/{job.pk}/status.json").json()
    assert (status["percent"], status["finished"], status["created"]) == (100, True, 40)
    purge_queues()


@pytest.mark.django_db
def test_staff_without_import_permission_cannot_see_a_job_or_its_status(staff_user, comms_user):
    job = imports.import_job_create(
        resource="organisations", upload=_upload(csv_bytes(_rows(2), ORGANISATION_COLUMNS)), by=staff_user
    )
    client = _client(comms_user)
    assert client.get(f"/staff/imports/{job.pk}/").status_code == 403
    assert client.get(f"/staff/imports/{job.pk}/status.json").status_code == 403
    assert client.post(f"/staff/imports/{job.pk}/confirm/").status_code == 403


# --- A real worker ----------------------------------------------------------------------------------------


@pytest.fixture
def import_worker(worker):
    """The session's real worker: it knows the import task through members.tasks."""
    return worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_imports_1000_rows_to_100_percent_with_50_row_errors(import_worker, admin_user):
    sheet = organisation_file_1000()
    job = imports.import_job_create(resource="organisations", upload=_upload(sheet.content), by=admin_user)
    imports.import_job_process(job_id=job.pk)
    job = imports.import_job_confirm(job=job, by=admin_user)

    imports.import_job_start(job=job)  # too large to run inline: queued for the worker
    seen_progress = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job.refresh_from_db()
        seen_progress.add(job.processed_rows)
        if job.status in ("done", "failed"):
            break
        time.sleep(0.2)

    assert (job.status, job.failure) == ("done", "")
    assert (job.processed_rows, job.total_rows, job.percent) == (1000, 1000, 100)
    assert (job.created_count, job.updated_count, job.error_count) == (900, 50, 50)
    assert {e["row"] for e in job.errors} == set(sheet.bad_rows)
    assert Organisation.objects.count() == 950
    assert job.finished_at >= job.started_at
    assert len(seen_progress) >= 2  # the bar moved through intermediate values, not straight to the end


@pytest.mark.django_db
def test_confirming_an_import_twice_is_answered_with_a_conflict_not_a_second_import(staff_user):
    client = _client(staff_user)
    client.post(
        "/staff/imports/",
        {"resource": "organisations", "file": _upload(csv_bytes(_rows(3), ORGANISATION_COLUMNS))},
    )
    job = ImportJob.objects.get()
    client.post(f"/staff/imports/{job.pk}/confirm/")

    response = client.post(f"/staff/imports/{job.pk}/confirm/")

    assert response.status_code == 409
    assert "Only a finished preview can be imported." in response.content.decode()
    assert Organisation.objects.count() == 3


@pytest.mark.django_db
def test_a_quote_never_closed_is_refused_naming_its_line_not_read_as_one_cell(staff_user):
    text = (
        "name,kind,description\n"
        "Removal Works,company,Direct air capture\n"
        'Soil Carbon Alliance,ngo,"Biochar, and more\n'
        "Ocean Lab,research,Alkalinity\n"
        "Peat Trust,ngo,Rewetting\n"
        "Kelp Co,company,Seaweed\n"
    )

    def upload(text: str):
        return _client(staff_user).post(
            "/staff/imports/", {"resource": "organisations", "file": _upload(text.encode())}
        )

    response = upload(text)
    assert response.status_code == 400
    assert "A quote mark opened on line 3 of the file is never closed" in response.content.decode()
    # A cell of several lines, as spreadsheets write addresses, is one cell as it should be.
    fine = (
        "name,kind,description\n"
        'Removal Works,company,"Hardturmstrasse 3, 8005, Zurich\nPlant: Hinwil, ZH, CH\nLab: Basel, BS, CH"\n'
        "Ocean Lab,research,Alkalinity\n"
    )
    assert upload(fine).status_code == 302
