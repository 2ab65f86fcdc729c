"""The staff pages: importing the tracker and the NDC list, the column-mapping step (also offered by the
spreadsheet import), the discrepancy queue, and the climate panel of the organisation page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from members.climate import tracker
from members.models import (
    Commitment,
    Contact,
    Discrepancy,
    ImportColumnMapping,
    ImportJob,
    NdcSubmission,
    Organisation,
)

from .samples import read, tracker_rows_csv, tracker_xlsx

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post_import(client, content: bytes, name: str, *, source="tracker", dry_run=False, create="all"):
    data = {"source": source, "file": SimpleUploadedFile(name, content), "create": create}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse("climate-import"), data, follow=True)


def test_the_preview_lists_the_cells_read_as_not_specified(staff_user):
    row = {"ID_Code": "COU-0013", "Name": "Chad", "Country": "TCD", "Entity_type": "Country",
           "End_target": "Net zero", "Status_of_end_target": "", "GHGs_covered": "Mostly"}  # fmt: skip
    preview = _post_import(_client(staff_user), tracker_rows_csv([row]), "tracker.csv", dry_run=True)
    html = preview.content.decode()
    assert '<dd id="count-created">1</dd>' in html and "each note says how a cell was read" in html
    assert "No status given" in html and "“Mostly” is not a gas coverage" in html


def test_staff_preview_the_tracker_workbook_then_import_it(staff_user):
    client = _client(staff_user)
    assert client.get(reverse("climate-import")).status_code == 200
    preview = _post_import(client, tracker_xlsx(), "net-zero-tracker.xlsx", dry_run=True)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Preview" in html and '<dd id="count-created">9</dd>' in html
    assert Commitment.objects.count() == 0

    imported = _post_import(client, tracker_xlsx(), "net-zero-tracker.xlsx")
    assert '<dd id="count-created">9</dd>' in imported.content.decode()
    assert Commitment.objects.count() == 9


def test_staff_import_the_ndc_list_from_the_same_page(staff_user):
    Organisation.objects.create(name="Panama", kind="country", country="PA")
    response = _post_import(_client(staff_user), read("ndcs_capitalised.csv"), "ndcs.csv", source="ndcs")
    assert '<dd id="count-created">8</dd>' in response.content.decode()


def test_a_bad_file_is_answered_with_the_reason_not_an_error_page(staff_user):
    client = _client(staff_user)
    response = _post_import(client, b"%PDF-1.4", "tracker.pdf")
    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file (or tab-separated text: .txt, .tsv)." in response.content.decode()
    response = _post_import(client, b"\x00\x01 not a workbook", "tracker.xlsx")
    assert response.status_code == 400 and "could not be read as XLSX" in response.content.decode()
    response = _post_import(client, b"\n\n", "tracker.csv")
    assert response.status_code == 400 and "The file is empty" in response.content.decode()


def test_unmapped_labels_are_listed_as_row_errors_on_the_page(staff_user):
    row = {"ID_Code": "X", "Name": "Denmark", "Country": "DNK", "Entity_type": "Country",
           "End_target": "Carbon-ish", "Status_of_end_target": "In law"}  # fmt: skip
    content = tracker_rows_csv([row])
    response = _post_import(_client(staff_user), content, "tracker.csv")
    html = response.content.decode()
    assert response.status_code == 200
    assert "“Carbon-ish” is not a target kind the tracker import knows." in html


def test_a_tracker_file_with_other_headers_goes_through_the_mapping_step_saved_for_next_time(staff_user):
    renamed = read("tracker.csv").replace(b",End_target,", b",Target kind,", 1)
    client = _client(staff_user)
    response = _post_import(client, renamed, "tracker.csv")
    assert response.redirect_chain[-1][0].startswith(reverse("climate-map-columns"))
    html = response.content.decode()
    assert "target_kind" in html
    token = response.context["token"]
    fields = {name: "" for name in response.context["form"].fields}
    target = next(name for name, f in response.context["form"].fields.items() if f.label == "target_kind")
    response = client.post(reverse("climate-map-columns"), {"token": token, **fields, target: "end_target"})
    assert response.status_code == 200
    assert '<dd id="count-created">9</dd>' in response.content.decode()
    assert ImportColumnMapping.objects.get(source="tracker", header="target_kind").field == "end_target"

    Commitment.objects.all().delete()
    again = _post_import(client, renamed, "tracker.csv")
    assert not again.redirect_chain
    assert '<dd id="count-created">9</dd>' in again.content.decode()


def test_the_spreadsheet_import_offers_the_mapping_step_for_unknown_headers(staff_user):
    client = _client(staff_user)
    content = b"Organisation name,kind,country\nCarbon Removal Works,company,CHE\n"
    upload = SimpleUploadedFile("organisations.csv", content)
    response = client.post(
        reverse("imports"),
        {"resource": "organisations", "file": upload, "mode": "overwrite", "clear_blanks": "on"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Map its columns to fields" in html
    mapping_url = response.context["mapping_url"]
    page = client.get(mapping_url)
    field_name = next(iter(page.context["form"].fields))
    token = page.context["token"]
    response = client.post(reverse("climate-map-columns"), {"token": token, field_name: "name"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports-job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.error_count, job.total_rows) == ("done", 0, 1)
    assert (job.mode, job.clear_blanks) == ("overwrite", True)  # as chosen before the mapping step
    client.post(reverse("imports-job-confirm", args=[job.pk]))
    organisation = Organisation.objects.get(name="Carbon Removal Works")
    assert organisation.country.code == "CH"  # alpha-3 in the file


def test_a_list_from_another_crm_without_a_kind_column_takes_one_kind_for_every_row(staff_user):
    """A CRM export of companies: headers of its own, and no "kind" column at all."""
    from tests.members.import_files import xlsx_bytes

    client = _client(staff_user)
    rows = [
        {"Organization Name": "Carbon Removal Works", "Web Site": "removalworks.example", "Country": "CHE"},
        {"Organization Name": 2050, "Web Site": "", "Country": "Danmark"},
    ]
    content = xlsx_bytes(rows, ["Organization Name", "Web Site", "Country"])
    upload = SimpleUploadedFile("crm-export.xlsx", content)
    response = client.post(reverse("imports"), {"resource": "organisations", "file": upload})
    assert response.status_code == 400
    page = client.get(response.context["mapping_url"])
    form = page.context["form"]
    assert [f.label for f in form.fill_fields()] == ["kind"]
    assert ("company", "Company") in form.fields["fill_kind"].choices
    # Each header comes with a guess to confirm: "Organization Name" → name, "Web Site" → website.
    guesses = {f.label: f.initial for f in form.mapping_fields()}
    assert guesses == {"organization_name": "name", "web_site": "website"}
    chosen = {f.html_name: f.initial for f in form.mapping_fields()}

    # Mapped, but no kind: the step says what is missing and writes nothing.
    refused = client.post(reverse("climate-map-columns"), {"token": page.context["token"], **chosen})
    assert refused.status_code == 400
    assert "The file has no “kind” column" in refused.content.decode()
    assert not ImportJob.objects.exists()

    done = client.post(
        reverse("climate-map-columns"), {"token": page.context["token"], **chosen, "fill_kind": "company"}
    )
    job = ImportJob.objects.get()
    assert done.status_code == 302 and done.url == reverse("imports-job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.error_count, job.total_rows) == ("done", 0, 2)
    client.post(reverse("imports-job-confirm", args=[job.pk]))
    imported = {o.name: (o.kind, o.country.code, o.website) for o in Organisation.objects.all()}
    assert imported == {
        "Carbon Removal Works": ("company", "CH", "https://removalworks.example"),
        "2050": ("company", "DK", ""),
    }
    # The header mapping is remembered for the next file; the value for every row is not.
    assert ImportColumnMapping.objects.get(source="organisations", header="web_site").field == "website"


def test_a_crm_contacts_export_maps_its_organisation_and_keeps_first_and_last_names_joined(staff_user):
    """A Salesforce contacts report: first and last names in two columns, the organisation as "Account
    Name". "First Name" is not guessed as the name (that would keep half of it): the import joins both."""
    Organisation.objects.create(name="Acme Energy", kind="company", website="https://acme.example")
    client = _client(staff_user)
    content = (
        b"Salutation,First Name,Last Name,Title,Account Name,Email\n"
        b"Ms.,Anna,Jensen,CFO,acme.example,a@acme.example\n"
    )
    upload = SimpleUploadedFile("report.csv", content)
    response = client.post(reverse("imports"), {"resource": "contacts", "file": upload})
    page = client.get(response.context["mapping_url"])
    guesses = {f.label: f.initial for f in page.context["form"].mapping_fields()}
    assert guesses["first_name"] == guesses["last_name"] == "" and guesses["account_name"] == ""
    chosen = {f.html_name: f.initial for f in page.context["form"].mapping_fields()}
    account = next(f.html_name for f in page.context["form"].mapping_fields() if f.label == "account_name")
    title = next(f.html_name for f in page.context["form"].mapping_fields() if f.label == "title")
    client.post(
        reverse("climate-map-columns"),
        {"token": page.context["token"], **chosen, account: "organisation", title: "job_title"},
    )
    job = ImportJob.objects.get()
    client.post(reverse("imports-job-confirm", args=[job.pk]))
    assert list(Contact.objects.values_list("name", "job_title", "email")) == [
        ("Anna Jensen", "CFO", "a@acme.example")
    ]


def test_a_guess_is_never_a_field_the_file_has_or_one_already_guessed():
    from members.climate.views import ColumnMappingForm

    form = ColumnMappingForm(
        headers=["Organization Name", "Contact name", "Web site"],
        known=["name", "kind", "website", "country"],
        present=["country", "web_site_old"],
    )
    assert [f.initial for f in form.mapping_fields()] == ["name", "", "website"]
    form = ColumnMappingForm(headers=["Company name"], known=["name", "kind"], present=["name"])
    assert [f.initial for f in form.mapping_fields()] == [""]


def test_a_file_with_known_headers_but_no_kind_is_offered_the_same_step(staff_user):
    client = _client(staff_user)
    upload = SimpleUploadedFile("ngos.csv", b"name,country\nBellona Foundation,NO\n")
    response = client.post(reverse("imports"), {"resource": "organisations", "file": upload})
    assert response.status_code == 400 and response.context["mapping_url"]
    page = client.get(response.context["mapping_url"])
    assert not page.context["form"].mapping_fields()
    client.post(reverse("climate-map-columns"), {"token": page.context["token"], "fill_kind": "ngo"})
    job = ImportJob.objects.get()
    client.post(reverse("imports-job-confirm", args=[job.pk]))
    assert Organisation.objects.get(name="Bellona Foundation").kind == "ngo"


#: A HubSpot companies export as people keep it: a title row and an empty row above the header, and an empty
#: row left between two companies. Spreadsheet rows 4, 5 and 7 hold companies; 7 names no known country.
HUBSPOT_COMPANIES = [
    ["HubSpot companies – exported 4 March 2025"],
    [],
    ["Record ID", "Company name", "Company Domain Name", "Country/Region", "Industry", "Create Date"],
    ["1001", "Ørsted A/S", "orsted.com", "Denmark", "Utilities", "2025-03-04T10:00:00Z"],
    ["1002", "Vestas Wind Systems", "vestas.com", "Danmark", "Renewables", "2025-03-04T10:00:00Z"],
    [],
    ["1003", "Iberdrola", "iberdrola.com", "Espanya", "Utilities", "2025-03-04T10:00:00Z"],
]


def _sheet_file(rows: list[list], fmt: str) -> bytes:
    """``rows`` as a workbook's first sheet, or as a semicolon-separated CSV (as Excel saves it in Europe)."""
    if fmt == "csv":
        return "\n".join(";".join(row) for row in rows).encode("utf-8")
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_hubspot_companies_export_gets_a_guess_for_each_column_the_import_reads(staff_user):
    client = _client(staff_user)
    upload = SimpleUploadedFile("hubspot-companies.xlsx", _sheet_file(HUBSPOT_COMPANIES, "xlsx"))
    response = client.post(reverse("imports"), {"resource": "organisations", "file": upload})
    page = client.get(response.context["mapping_url"])
    guesses = {f.label: f.initial for f in page.context["form"].mapping_fields()}
    # Industry is left to staff: a CRM's industries ("Utilities") are not the coalition's sectors.
    assert guesses == {
        "record_id": "",
        "company_name": "name",
        "company_domain_name": "website",
        "country/region": "country",
        "industry": "",
        "create_date": "",
    }


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_after_the_mapping_step_rows_are_numbered_as_in_the_spreadsheet(staff_user, fmt):
    """Staff upload the export, map its columns, give every row the kind "company", read the preview and
    import: each error and preview row names the row of the sheet they have open, and the job keeps the name
    of the file they uploaded."""
    client = _client(staff_user)
    name = f"hubspot-companies.{fmt}"
    upload = SimpleUploadedFile(name, _sheet_file(HUBSPOT_COMPANIES, fmt))
    response = client.post(reverse("imports"), {"resource": "organisations", "file": upload})
    page = client.get(response.context["mapping_url"])
    fields = {f.label: f.html_name for f in page.context["form"].mapping_fields()}
    chosen = {fields["company_name"]: "name", fields["company_domain_name"]: "website"}
    chosen[fields["country/region"]] = "country"
    data = {"token": page.context["token"], **chosen, "fill_kind": "company"}

    preview = client.post(reverse("climate-map-columns"), data, follow=True)
    job = ImportJob.objects.get()
    html = preview.content.decode()
    assert f"Preview of {name}" in html
    assert '<tr class="row-error"><td>7</td><td>country</td>' in html
    assert job.original_name == name
    assert [(e["row"], e["field"]) for e in job.errors] == [(7, "country")]
    assert "Espanya" in job.errors[0]["message"]
    assert [(p["row"], p["action"]) for p in job.preview] == [(4, "new"), (5, "new"), (7, "error")]

    client.post(reverse("imports-job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created_count, job.error_count) == ("done", False, 2, 1)
    assert [e["row"] for e in job.errors] == [7]
    imported = {o.name: (o.kind, o.country.code, o.website) for o in Organisation.objects.all()}
    assert imported == {
        "Ørsted A/S": ("company", "DK", "https://orsted.com"),
        "Vestas Wind Systems": ("company", "DK", "https://vestas.com"),
    }


def test_other_crms_headers_get_the_field_they_name_as_a_guess():
    """Salesforce accounts, CiviCRM organisations and HubSpot companies, as the organisation import sees
    them. A person's first or last name is never the organisation's name, however the header puts it."""
    from members.climate.views import ColumnMappingForm

    known = ["name", "kind", "country", "sector", "website", "description", "listed_publicly"]
    headers = {
        "salesforce": ["Account Name", "Billing Country", "Website", "Billing City", "Type", "Industry"],
        "civicrm": ["Organization Name", "Country", "Street Address", "Email Opt Out"],
        "hubspot": ["Company name", "Company Domain Name", "Country/Region", "State/Region", "City"],
        "people": ["Primary Contact First Name", "Contact Last Name", "Surname", "Homepage"],
    }
    guesses = {
        source: [f.initial for f in ColumnMappingForm(headers=found, known=known).mapping_fields()]
        for source, found in headers.items()
    }
    assert guesses == {
        "salesforce": ["name", "country", "website", "", "", ""],
        "civicrm": ["name", "country", "", ""],
        "hubspot": ["name", "website", "country", "", ""],
        "people": ["", "", "", "website"],
    }


def test_a_forged_or_expired_mapping_token_is_a_clear_400(staff_user):
    response = _client(staff_user).get(reverse("climate-map-columns") + "?token=nonsense")
    assert response.status_code == 400
    assert "no longer available" in response.content.decode()


def _discrepancy() -> Discrepancy:
    denmark = Organisation.objects.create(name="Denmark", kind="country", country="DK")
    Commitment.objects.create(organisation=denmark, kind="net_negative", target_year=2050, status="law")
    row = {"ID_Code": "COU-0042", "Name": "Denmark", "Country": "DNK", "Entity_type": "Country",
           "End_target": "Climate neutral(ity)", "End_target_year": "2050",
           "Status_of_end_target": "In law"}  # fmt: skip
    tracker.tracker_import(content=tracker_rows_csv([row]), fmt="csv")
    return Discrepancy.objects.get()


def test_staff_accept_a_discrepancy_from_the_queue_and_it_is_accepted_once(staff_user):
    discrepancy = _discrepancy()
    client = _client(staff_user)
    page = client.get(reverse("climate-discrepancies")).content.decode()
    assert "Net Zero Tracker says climate neutral 2050, in law" in page
    resolve = reverse("climate-discrepancy-resolve", args=[discrepancy.pk])
    response = client.post(resolve, {"decision": "accept", "reason": "Matches the Climate Act."})
    assert response.status_code == 302
    commitment = discrepancy.commitment
    commitment.refresh_from_db()
    assert commitment.kind == "climate_neutral"
    assert commitment.history.latest().history_change_reason.startswith("Source: Net Zero Tracker")
    again = client.post(resolve, {"decision": "accept"})
    assert again.status_code == 409 and "already accepted" in again.content.decode()
    assert "Nothing to work through." in client.get(reverse("climate-discrepancies")).content.decode()


def test_a_viewer_sees_the_queue_but_may_not_resolve_or_import(viewer_user):
    discrepancy = _discrepancy()
    client = _client(viewer_user)
    assert client.get(reverse("climate-discrepancies")).status_code == 200
    response = client.post(
        reverse("climate-discrepancy-resolve", args=[discrepancy.pk]), {"decision": "keep"}
    )
    assert response.status_code == 403
    assert _post_import(client, read("tracker.csv"), "tracker.csv").status_code == 403
    discrepancy.refresh_from_db()
    assert discrepancy.status == "open"


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("climate-import"))
    assert response.status_code == 302 and "login" in response.url


def test_the_organisation_page_shows_integrity_ndcs_and_open_discrepancies(admin_user):
    from members.climate import ndc

    tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    ndc.ndc_import(content=read("ndcs.csv"), fmt="csv")
    denmark = Organisation.objects.get(country="DK", kind="country")
    html = (
        _client(admin_user)
        .get(reverse("admin:members_organisation_change", args=[denmark.pk]))
        .content.decode()
    )
    assert "Integrity of each commitment" in html
    # Met: plan, annual reporting, accountability, no credits. Not met: removals, aviation, consumption.
    assert "4 of 7 (0 unknown)" in html
    assert "European Union NDC 3.0" in html and "which it carries" in html


def test_the_admin_lists_discrepancies_and_ndcs_and_accepts_through_the_service(admin_user):
    discrepancy = _discrepancy()
    client = _client(admin_user)
    assert client.get(reverse("admin:members_ndcsubmission_changelist")).status_code == 200
    assert client.get(reverse("admin:members_discrepancy_changelist")).status_code == 200
    response = client.post(
        reverse("admin:members_discrepancy_changelist"),
        {"action": "accept", "_selected_action": [discrepancy.pk]},
    )
    assert response.status_code == 302
    discrepancy.refresh_from_db()
    assert discrepancy.status == "accepted" and discrepancy.resolved_by == admin_user
    assert discrepancy.commitment.history.latest().history_change_reason.startswith(
        "Source: Net Zero Tracker"
    )


def test_a_discrepancy_is_decided_not_deleted_and_its_organisation_can_still_be_deleted(admin_user):
    from members.climate import discrepancies

    discrepancy = _discrepancy()
    discrepancies.discrepancy_keep(discrepancy=discrepancy, by=admin_user, reason="Ours is right.")
    client = _client(admin_user)
    url = reverse("admin:members_discrepancy_delete", args=[discrepancy.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:members_discrepancy_changelist"),
        {"action": "delete_selected", "_selected_action": [discrepancy.pk], "post": "yes"},
    )
    # "Keep ours" is remembered by the row: the same tracker values raise nothing again.
    assert Discrepancy.objects.filter(pk=discrepancy.pk, status="kept").exists()
    # Deleting the organisation (entered by mistake) takes its discrepancies with it.
    organisation_delete = reverse("admin:members_organisation_delete", args=[discrepancy.organisation_id])
    assert "permission to delete" not in client.get(organisation_delete).content.decode()
    client.post(organisation_delete, {"post": "yes"})
    assert not Organisation.objects.filter(pk=discrepancy.organisation_id).exists()
    assert not Discrepancy.objects.exists()


def test_an_ndc_submission_is_not_deleted_in_the_admin_and_its_country_still_can_be(admin_user):
    from members.climate import ndc

    Organisation.objects.create(name="Panama", kind="country", country="PA")
    ndc.ndc_import(content=read("ndcs.csv"), fmt="csv")
    submission = NdcSubmission.objects.get(party_code="PAN", status="active")
    client = _client(admin_user)
    url = reverse("admin:members_ndcsubmission_delete", args=[submission.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:members_ndcsubmission_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "delete_selected", "_selected_action": [submission.pk], "post": "yes"})
    assert NdcSubmission.objects.filter(pk=submission.pk).exists()
    # The registry row outlives its organisation's record (entered by mistake): it just loses the link.
    organisation_delete = reverse("admin:members_organisation_delete", args=[submission.organisation_id])
    assert "permission to delete" not in client.get(organisation_delete).content.decode()
    client.post(organisation_delete, {"post": "yes"})
    submission.refresh_from_db()
    assert submission.organisation_id is None
