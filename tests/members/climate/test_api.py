"""The API: /api/v1/ndc-submissions/ filtered by country (any code) and round; countries by alpha-3 or name
in the other filters; integrity fields and summary on commitments; the same permission and query-count
rules as every list."""

import pytest

from members.climate import ndc, tracker
from members.models import Commitment, NdcSubmission, Organisation

from .samples import read

pytestmark = pytest.mark.django_db


@pytest.fixture
def ndc_list():
    for code, name in (("DK", "Denmark"), ("FI", "Finland"), ("PA", "Panama")):
        Organisation.objects.create(name=name, kind="country", country=code)
    ndc.ndc_import(content=read("ndcs.csv"), fmt="csv")


@pytest.mark.parametrize("country", ["DNK", "dnk", "DK", "Denmark"])
def test_any_code_for_denmark_gives_the_eus_submissions(staff_api, ndc_list, country):
    response = staff_api.get("/api/v1/ndc-submissions/", {"country": country, "round": "ndc3"})
    assert response.status_code == 200
    assert [r["title"] for r in response.json()["results"]] == ["European Union NDC 3.0"]


def test_panama_gets_its_own_submissions_by_round(staff_api, ndc_list):
    response = staff_api.get("/api/v1/ndc-submissions/", {"country": "PAN", "status": "active"})
    (row,) = response.json()["results"]
    assert (row["title"], row["round"], row["organisation_name"], row["submitted_on"]) == (
        "Panama NDC 3.0", "ndc3", "Panama", "2025-06-27")  # fmt: skip


def test_an_unknown_country_or_round_is_a_400_naming_the_parameter(staff_api, ndc_list):
    response = staff_api.get("/api/v1/ndc-submissions/", {"country": "Atlantis"})
    assert response.status_code == 400 and "country" in response.json()
    response = staff_api.get("/api/v1/ndc-submissions/", {"round": "fourth"})
    assert response.status_code == 400 and "round" in response.json()


def test_organisations_and_commitments_filter_by_alpha3_and_name(staff_api):
    tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    orgs = staff_api.get("/api/v1/organisations/", {"country": ["DNK", "Finland"]}).json()["results"]
    assert sorted(o["name"] for o in orgs) == ["Denmark", "Finland", "Ørsted"]
    commitments = staff_api.get("/api/v1/commitments/", {"country": "pan"}).json()["results"]
    assert [c["organisation_name"] for c in commitments] == ["Panama"]


def test_commitments_carry_the_integrity_fields_and_summary(staff_api):
    tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.ALL)
    end = Commitment.objects.get(source_identifier="COU-0042:end")
    data = staff_api.get(f"/api/v1/commitments/{end.pk}/").json()
    assert (data["published_plan"], data["reporting_mechanism"], data["status_date"]) == (
        "yes", "annual", "2020-06-26")  # fmt: skip
    assert data["source_identifier"] == "COU-0042:end"
    summary = data["integrity"]
    assert (summary["met"], summary["not_met"], summary["unknown"], summary["total"]) == (4, 3, 0, 7)
    criterion = summary["criteria"][0]
    assert criterion["key"] == "published_plan" and criterion["result"] == "met"
    assert criterion["explanation"].startswith("A plan saying how")


def test_ndc_submissions_are_read_only_and_staff_only(viewer_api, anon_api, ndc_list):
    assert viewer_api.get("/api/v1/ndc-submissions/").status_code == 200
    assert anon_api.get("/api/v1/ndc-submissions/").status_code in (401, 403)
    assert viewer_api.post("/api/v1/ndc-submissions/", {}).status_code in (403, 405)


@pytest.mark.parametrize("rows", [5, 50])
def test_a_page_of_ndc_submissions_takes_the_same_queries_for_5_and_50_rows(
    staff_api, rows, django_assert_max_num_queries
):
    organisation = Organisation.objects.create(name="Panama", kind="country", country="PA")
    NdcSubmission.objects.bulk_create(
        NdcSubmission(
            party_code="PAN",
            party="Panama",
            organisation=organisation,
            title=f"Panama NDC {i}",
            round="first",
            status="archived",
            url=f"https://unfccc.int/{i}.pdf",
        )  # fmt: skip
        for i in range(rows)
    )
    with django_assert_max_num_queries(4):
        response = staff_api.get("/api/v1/ndc-submissions/")
    assert response.json()["count"] == rows


def test_the_integrity_summary_speaks_the_language_asked_for_each_time():
    """The criteria's texts are translated once per language and reused: each language still gets its own."""
    from django.utils import translation

    from members.climate.integrity import CRITERIA, integrity_summary

    commitment = Commitment(published_plan=Commitment.Plan.YES)
    for language in ("fr", "en", "es", "fr"):
        with translation.override(language):
            criteria = integrity_summary(commitment).as_dict()["criteria"]
            assert [(c["label"], c["explanation"]) for c in criteria] == [
                (str(label), str(explanation)) for _key, label, explanation in CRITERIA
            ]
    with translation.override("fr"):
        assert integrity_summary(commitment).as_dict()["criteria"][0]["label"] == "Plan publié"
