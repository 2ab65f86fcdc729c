"""Exporting a filtered admin list as CSV or XLSX through CoalitionExportMixin."""

import csv
import io

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import path
from openpyxl import load_workbook

from members.admin_export import CoalitionExportMixin
from members.imports.resources import ContactResource, OrganisationResource
from members.imports.services import import_run
from members.models import Contact, Organisation
from tests.members.factories import ContactFactory, CountryFactory, OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

site = admin.AdminSite(name="exporttest")


@admin.register(Organisation, site=site)
class OrganisationAdmin(CoalitionExportMixin, admin.ModelAdmin):
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Contact, site=site)
class ContactAdmin(CoalitionExportMixin, admin.ModelAdmin):
    list_filter = ["organisation__kind"]


urlpatterns = [path("admin/", site.urls)]

CSV_FORMAT, XLSX_FORMAT = "0", "1"


def _form(resource_class, fmt: str) -> dict[str, str]:
    """What the export page posts with every column ticked (its default)."""
    data = {"format": fmt, "resource": "0"}
    for name in resource_class().get_export_order():
        data[f"{resource_class.__name__.lower()}_{name}"] = "on"
    return data


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_filtered_list_exports_exactly_its_rows_as_csv(viewer_user):
    CountryFactory(country="DK", name="Denmark")
    CountryFactory(country="NO", name="Norway")
    OrganisationFactory(name="Climeworks", website="https://climeworks.com")

    response = _login(viewer_user).post(
        "/admin/members/organisation/export/?kind__exact=country", _form(OrganisationResource, CSV_FORMAT)
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["name"], r["kind"], r["country"]) for r in rows] == [
        ("Denmark", "country", "DK"),
        ("Norway", "country", "NO"),
    ]


def test_an_exported_sheet_imports_back_without_creating_anything(admin_user):
    CountryFactory(country="DK", name="Denmark")
    OrganisationFactory(name="Climeworks", website="https://climeworks.com", listed_publicly=True)

    response = _login(admin_user).post(
        "/admin/members/organisation/export/", _form(OrganisationResource, XLSX_FORMAT)
    )

    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:4] == ["id", "name", "kind", "country"]
    outcome = import_run(resource="organisations", content=response.content, fmt="xlsx", by=admin_user)
    assert (outcome.created, outcome.updated, outcome.skipped, outcome.error_rows) == (0, 0, 2, 0)


@pytest.mark.parametrize("fmt", [CSV_FORMAT, XLSX_FORMAT])
def test_cells_the_export_guards_against_formulas_import_back_as_they_were(admin_user, fmt):
    """The export puts an apostrophe before a cell starting with + - = @; the import takes it off."""
    climeworks = OrganisationFactory(
        name="Climeworks", website="https://climeworks.com", description="- Direct air capture"
    )
    ContactFactory(organisation=climeworks, name="Jan Wurzbacher", email="jan@climeworks.com",
                   phone="+41 44 533 29 99")  # fmt: skip
    client = _login(admin_user)
    kind = "csv" if fmt == CSV_FORMAT else "xlsx"
    for model, resource in (("organisation", OrganisationResource), ("contact", ContactResource)):
        exported = client.post(f"/admin/members/{model}/export/", _form(resource, fmt)).content
        outcome = import_run(
            resource=f"{model}s", content=exported, fmt=kind, by=admin_user, mode="overwrite"
        )
        assert (outcome.created, outcome.updated, outcome.error_rows) == (0, 0, 0), outcome.errors
    climeworks.refresh_from_db()
    assert climeworks.description == "- Direct air capture"
    assert Contact.objects.get().phone == "+41 44 533 29 99"


def test_contacts_export_with_their_organisation_in_a_fixed_number_of_queries(
    admin_user, django_assert_max_num_queries
):
    for _ in range(3):
        ContactFactory()
    client = _login(admin_user)
    with django_assert_max_num_queries(12) as small:
        client.post("/admin/members/contact/export/", _form(ContactResource, CSV_FORMAT))
    for _ in range(30):
        ContactFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.post("/admin/members/contact/export/", _form(ContactResource, CSV_FORMAT))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 33 and rows[0]["organisation"]


def test_people_without_view_permission_cannot_export(outsider_user, client):
    assert (
        _login(outsider_user).post("/admin/members/organisation/export/", {"format": CSV_FORMAT}).status_code
        == 302
    )
    assert client.post("/admin/members/organisation/export/", {"format": CSV_FORMAT}).status_code == 302


def _exported_rows(client, url: str, resource_class) -> tuple[list[str], list[dict[str, str]]]:
    response = client.post(url, _form(resource_class, CSV_FORMAT))
    reader = csv.DictReader(io.StringIO(response.content.decode()))
    return list(reader.fieldnames), list(reader)


def _csv(headers: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_an_exported_sheet_edited_and_imported_back_changes_the_records_it_came_from(admin_user):
    """Renaming an organisation without a website, or giving one another website, in an exported sheet
    changes that record: matched by the sheet's ids, it used to become a second record."""
    peat = OrganisationFactory(name="Peat Trust", kind="ngo", website="", country="GB")
    acme = OrganisationFactory(name="Acme Removals", kind="company", website="https://acme.example")
    client = _login(admin_user)
    headers, rows = _exported_rows(client, "/admin/members/organisation/export/", OrganisationResource)
    by_name = {row["name"]: row for row in rows}
    by_name["Peat Trust"]["name"] = "Peatland Restoration Trust"
    by_name["Acme Removals"]["website"] = "https://acme-removals.example"

    outcome = import_run(
        resource="organisations", content=_csv(headers, rows), fmt="csv", by=admin_user, mode="overwrite"
    )

    assert (outcome.created, outcome.updated, outcome.error_rows) == (0, 2, 0), outcome.errors
    peat.refresh_from_db()
    acme.refresh_from_db()
    assert peat.name == "Peatland Restoration Trust"
    assert (acme.name, acme.website_domain) == ("Acme Removals", "acme-removals.example")
    assert Organisation.objects.count() == 2


def test_an_id_column_of_a_sheet_from_elsewhere_names_nothing_here(admin_user):
    """Another system's ids are not ours: without the export's own columns, rows match by their keys."""
    peat = OrganisationFactory(name="Peat Trust", kind="ngo", website="")
    content = _csv(["id", "name", "kind"], [{"id": str(peat.pk), "name": "Soil Alliance", "kind": "ngo"}])
    outcome = import_run(
        resource="organisations", content=content, fmt="csv", by=admin_user, mode="overwrite"
    )
    assert (outcome.created, outcome.updated) == (1, 0)
    peat.refresh_from_db()
    assert peat.name == "Peat Trust"


def test_contacts_of_two_organisations_of_one_name_go_back_to_their_own(admin_user):
    """ "University of Cambridge" in GB and in the US: the contacts export names both alike, and its
    organisation_id column tells them apart when the sheet comes back."""
    gb = OrganisationFactory(name="University of Cambridge", kind="research", country="GB", website="")
    us = OrganisationFactory(name="University of Cambridge", kind="research", country="US", website="")
    ContactFactory(organisation=gb, name="Emily Shuckburgh", email="emily@cam.example")
    ContactFactory(organisation=us, name="Ann Arbor", email="ann@cambridge-us.example")
    client = _login(admin_user)
    headers, rows = _exported_rows(client, "/admin/members/contact/export/", ContactResource)
    assert "organisation_id" in headers
    for row in rows:
        row["job_title"] = "Professor"

    outcome = import_run(
        resource="contacts", content=_csv(headers, rows), fmt="csv", by=admin_user, mode="overwrite"
    )

    assert (outcome.created, outcome.updated, outcome.error_rows) == (0, 2, 0), outcome.errors
    assert dict(Contact.objects.values_list("email", "organisation")) == {
        "emily@cam.example": gb.pk,
        "ann@cambridge-us.example": us.pk,
    }
    # An id that names another organisation than the cell is not trusted: the cell decides.
    other = OrganisationFactory(name="Peat Trust", kind="ngo", website="")
    content = _csv(
        ["organisation", "organisation_id", "name", "email"],
        [
            {
                "organisation": "Peat Trust",
                "organisation_id": str(us.pk),
                "name": "Ola",
                "email": "ola@peat.example",
            }
        ],
    )
    outcome = import_run(resource="contacts", content=content, fmt="csv", by=admin_user)
    assert outcome.created == 1 and Contact.objects.get(email="ola@peat.example").organisation == other
