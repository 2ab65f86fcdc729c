"""Imports never destroy data by surprise: modes, blank cells, country names, the preview's diffs, revert."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from members.imports import services as imports
from members.models import ImportJob, Organisation
from tests.members.factories import CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HEADER = "name,kind,country,website,sector,description,listed_publicly\n"


@pytest.fixture
def finland():
    return CountryFactory(
        name="Finland",
        country="FI",
        website="https://valtioneuvosto.fi/",
        sector=Organisation.Sector.PUBLIC_SECTOR,
        description="Carbon neutral by 2035.",
        listed_publicly=True,
    )


@pytest.fixture
def denmark():
    return CountryFactory(
        name="Denmark", country="DK", description="110 % by 2050.", listed_publicly=True, sector="public"
    )


def _snapshot(organisation: Organisation) -> dict:
    organisation.refresh_from_db()
    return {
        f.attname: getattr(organisation, f.attname)
        for f in Organisation._meta.concrete_fields
        if f.attname != "updated_at"
    }


def _import(text: str, *, user, mode: str = "fill", clear_blanks: bool = False, confirm: bool = True):
    upload = SimpleUploadedFile("orgs.csv", (HEADER + text).encode(), content_type="text/csv")
    job = imports.import_job_create(
        resource="organisations", upload=upload, by=user, mode=mode, clear_blanks=clear_blanks
    )
    preview = imports.import_job_start(job=job)
    if not confirm:
        return preview
    job = imports.import_job_confirm(job=preview, by=user)
    return imports.import_job_start(job=job)


@pytest.mark.parametrize("mode", ["fill", "overwrite", "skip"])
def test_a_country_row_with_blank_cells_changes_nothing_on_finland(finland, admin_user, mode):
    before = _snapshot(finland)
    job = _import("Finland,country,FI,,,,\n", user=admin_user, mode=mode)
    assert job.status == ImportJob.Status.DONE and job.error_count == 0
    assert _snapshot(finland) == before


def test_blank_cells_clear_fields_only_with_overwrite_and_the_box_ticked(finland, admin_user):
    _import("Finland,country,FI,,,,\n", user=admin_user, mode="overwrite", clear_blanks=True)
    finland.refresh_from_db()
    assert finland.website == "" and finland.description == "" and finland.sector == ""
    assert finland.name == "Finland"


def test_a_new_record_needs_its_kind_but_a_matched_one_keeps_it_when_the_cell_is_blank(admin_user):
    nordic = OrganisationFactory(name="Nordic Biochar", kind="company", website="https://nordicbiochar.dk")
    job = _import(
        "Aalborg Removals,,DK,https://aalborgremovals.dk,,,\nNordic Biochar,,DK,https://nordicbiochar.dk,,,\n",
        user=admin_user,
        mode="overwrite",
    )
    assert (job.created_count, job.updated_count, job.error_count) == (0, 1, 1)
    assert job.errors == [
        {
            "row": 2,
            "field": "kind",
            "message": "Give the kind of organisation; use one of: country, region, city, company, ngo, "
            "research, intergovernmental, investor, other.",
        }
    ]
    assert not Organisation.objects.filter(name="Aalborg Removals").exists()
    nordic.refresh_from_db()
    assert (nordic.kind, nordic.country) == ("company", "DK")


def test_a_country_matched_by_its_code_is_never_renamed(denmark, admin_user):
    before = _snapshot(denmark)
    job = _import(
        "Danish Ministry of Climate,country,DK,https://kefm.dk,,New text,no\n",
        user=admin_user,
        mode="overwrite",
    )
    after = _snapshot(denmark)
    assert after["name"] == "Denmark"
    assert after["description"] == "New text" and after["website"] == "https://kefm.dk"
    assert job.updated_count == 1
    changed = {"description", "website", "website_domain", "listed_publicly"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert after["listed_publicly"] is False


def test_fill_writes_only_empty_fields_and_the_preview_shows_each_before_and_after(admin_user):
    acme = OrganisationFactory(name="Acme Removals", website="https://acme.example.com", description="")
    preview = _import(
        "Acme Removals,company,SE,https://acme.example.com,energy,Direct air capture in Sweden.,yes\n",
        user=admin_user,
        confirm=False,
    )
    assert preview.updated_count == 1
    (row,) = [entry for entry in preview.preview if entry["action"] == "update"]
    assert row["record"] == "Acme Removals"
    changes = {column: (before, after) for column, before, after in row["changes"]}
    # Sector was set (technology): fill leaves it; country and description were empty.
    assert changes == {"country": ("", "SE"), "description": ("", "Direct air capture in Sweden.")}
    acme.refresh_from_db()
    assert acme.description == ""  # a preview writes nothing


def test_skip_leaves_matched_records_alone_and_still_creates_new_ones(denmark, admin_user):
    before = _snapshot(denmark)
    job = _import(
        "Denmark,country,DK,,,Changed,no\nBiochar Cooperative,ngo,DK,https://biochar.example.org,,,\n",
        user=admin_user,
        mode="skip",
    )
    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 0, 1)
    assert _snapshot(denmark) == before


def test_reverting_an_import_restores_every_record_it_touched_and_deletes_what_it_created(
    finland, denmark, admin_user
):
    # Loaded without history, like bulk-loaded data: the import records a "before" first.
    Organisation.history.all().delete()
    finland_before, denmark_before = _snapshot(finland), _snapshot(denmark)
    job = _import(
        "Finland,country,FI,,,New Finnish text,no\n"
        "Denmark,country,DK,https://en.kefm.dk,energy,,\n"
        "Direct Air Nordic,company,NO,https://dan.example.com,technology,DAC,yes\n",
        user=admin_user,
        mode="overwrite",
    )
    assert (job.created_count, job.updated_count) == (1, 2)
    assert _snapshot(finland)["description"] == "New Finnish text"
    assert imports.import_job_revertable(job)
    outcome = imports.import_job_revert(job=job, by=admin_user)
    assert (outcome.deleted, outcome.restored, outcome.kept) == (1, 2, 0)
    assert _snapshot(finland) == finland_before and _snapshot(denmark) == denmark_before
    assert not Organisation.objects.filter(name="Direct Air Nordic").exists()
    job.refresh_from_db()
    assert job.reverted_at is not None and not imports.import_job_revertable(job)
    with pytest.raises(Exception, match="already reverted"):
        imports.import_job_revert(job=job, by=admin_user)


def test_a_revert_keeps_a_value_changed_after_the_import(finland, admin_user):
    job = _import("Finland,country,FI,,,Imported text,\n", user=admin_user, mode="overwrite")
    Organisation.objects.filter(pk=finland.pk).update(description="Edited since")
    outcome = imports.import_job_revert(job=job, by=admin_user)
    assert outcome.kept == 1
    finland.refresh_from_db()
    assert finland.description == "Edited since"


def test_the_staff_pages_choose_the_mode_show_the_diff_and_revert(client, admin_user, finland):
    client.force_login(admin_user)
    upload = SimpleUploadedFile(
        "orgs.csv", (HEADER + "Finland,country,FI,,,New text,\n").encode(), content_type="text/csv"
    )
    response = client.post(
        "/staff/imports/", {"resource": "organisations", "file": upload, "mode": "overwrite"}, follow=True
    )
    page = response.content.decode()
    assert "Overwrite with the file" in page and "blank cells leave fields alone" in page
    assert "<del>Carbon neutral by 2035.</del> → <ins>New text</ins>" in page
    job = ImportJob.objects.get()
    page = client.post(f"/staff/imports/{job.pk}/confirm/", follow=True).content.decode()
    assert "Revert this import" in page
    finland.refresh_from_db()
    assert finland.description == "New text"
    page = client.post(f"/staff/imports/{job.pk}/revert/", follow=True).content.decode()
    assert "Reverted: 0 created records deleted, 1 records restored." in page
    finland.refresh_from_db()
    assert finland.description == "Carbon neutral by 2035."


def test_a_revert_keeps_a_created_record_worked_on_since_and_deletes_the_others(admin_user):
    from members import services
    from members.models import Contact

    job = _import(
        "Direct Air Nordic,company,NO,https://dan.example.com,technology,DAC,yes\n"
        "Peat Trust,ngo,GB,https://peat.example.org,,,\n"
        "Kelp Works,company,NO,https://kelp.example.com,,,\n",
        user=admin_user,
    )
    assert job.created_count == 3
    nordic = Organisation.objects.get(name="Direct Air Nordic")
    services.contact_create(organisation=nordic, name="Ida Berg")  # staff added a person since
    peat = Organisation.objects.get(name="Peat Trust")
    services.organisation_update(organisation=peat, by=admin_user, description="Rewetting")  # and an edit
    outcome = imports.import_job_revert(job=job, by=admin_user)
    assert outcome.deleted == 1 and sorted(outcome.kept_created) == ["Direct Air Nordic", "Peat Trust"]
    assert set(Organisation.objects.values_list("name", flat=True)) == {"Direct Air Nordic", "Peat Trust"}
    assert Contact.objects.filter(name="Ida Berg").exists()


def test_reverting_a_commitments_import_deletes_the_commitments_it_created(denmark, admin_user):
    from members.models import Commitment

    content = b"organisation,kind,target_year,status\nDK,net_negative,2045,law\n"
    job = imports.import_job_create(
        resource="commitments", upload=SimpleUploadedFile("c.csv", content), by=admin_user
    )
    job = imports.import_job_start(
        job=imports.import_job_confirm(job=imports.import_job_start(job=job), by=admin_user)
    )
    assert Commitment.objects.count() == 1
    assert imports.import_job_revert(job=job, by=admin_user).deleted == 1
    assert not Commitment.objects.exists()


def test_reverting_a_commitments_import_takes_back_what_it_did_to_campaign_targets(denmark, admin_user):
    """The import's commitment moved Denmark's target to "committed"; undone, the target goes back to where
    it stood, and its stage log says why. A second, older commitment that answers the ask keeps it committed
    elsewhere (Finland)."""
    from campaigns.models import Target
    from members import services
    from members.models import Commitment
    from tests.campaigns.factories import AskingCampaignFactory, TargetFactory

    campaign = AskingCampaignFactory()
    finland = CountryFactory(country="FI", name="Finland")
    # Finland's older target in law answers the ask too: recorded before Finland became a target.
    older = services.commitment_create(
        organisation=finland, kind="net_negative", target_year=2040, status="law"
    )
    dk_target = TargetFactory(campaign=campaign, organisation=denmark, stage=Target.Stage.ENGAGED)
    fi_target = TargetFactory(campaign=campaign, organisation=finland, stage=Target.Stage.ENGAGED)
    content = b"organisation,kind,target_year,status\nDK,net_negative,2045,ndc\nFI,net_negative,2035,law\n"
    job = imports.import_job_create(
        resource="commitments", upload=SimpleUploadedFile("c.csv", content), by=admin_user
    )
    job = imports.import_job_start(
        job=imports.import_job_confirm(job=imports.import_job_start(job=job), by=admin_user)
    )
    dk_target.refresh_from_db()
    fi_target.refresh_from_db()
    assert dk_target.stage == fi_target.stage == Target.Stage.COMMITTED and Commitment.objects.count() == 3
    assert fi_target.commitment != older

    assert imports.import_job_revert(job=job, by=admin_user).deleted == 2

    dk_target.refresh_from_db()
    fi_target.refresh_from_db()
    assert (dk_target.stage, dk_target.commitment) == (Target.Stage.ENGAGED, None)
    last = dk_target.stage_changes.order_by("-pk").first()
    assert (last.from_stage, last.to_stage, last.by) == ("committed", "engaged", admin_user)
    assert "was deleted" in last.note
    assert (fi_target.stage, fi_target.commitment) == (Target.Stage.COMMITTED, older)
    assert list(Commitment.objects.all()) == [older]


def test_a_namesake_in_another_country_is_a_new_record_not_a_match(admin_user):
    cambridge = OrganisationFactory(name="Cambridge", kind="city", country="GB", website="")
    job = _import("Cambridge,city,US,,,Massachusetts,\n", user=admin_user, mode="overwrite")
    assert (job.created_count, job.updated_count) == (1, 0)
    cambridge.refresh_from_db()
    assert cambridge.country.code == "GB" and cambridge.description == ""
    # With no country on either side, the name still matches.
    job = _import("Cambridge,city,,,,,\n", user=admin_user)
    assert job.created_count == 0
