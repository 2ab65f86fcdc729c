"""The public pages are cached per language and version of the records, revalidate with ETag and
Last-Modified, and change as soon as a service changes what they show."""

import pytest
from django.utils import translation

from members import services
from members.models import Commitment, Organisation
from tests.members.factories import MembershipTierFactory, OrganisationFactory
from tests.members.public.test_pages import bulk_public_members

pytestmark = pytest.mark.django_db

PAGES = ["/members/", "/commitments/", "/commitments/?kind=net_zero"]


@pytest.mark.parametrize("url", PAGES)
def test_a_public_page_seen_before_costs_no_query(client, django_assert_num_queries, url):
    bulk_public_members(5)
    first = client.get(url)
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.status_code == 200
    assert again.content == first.content


@pytest.mark.parametrize("url", [*PAGES, "/commitments/commitments.csv"])
def test_a_browser_that_has_the_page_gets_304_until_the_records_change(client, url):
    bulk_public_members(3)
    first = client.get(url)
    assert first["ETag"] and first["Last-Modified"]
    unchanged = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304
    organisation = OrganisationFactory(listed_publicly=True, name="Aalborg Removals")
    services.membership_start(organisation=organisation, tier=MembershipTierFactory())
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_a_new_member_shows_in_the_directory_at_once(client):
    bulk_public_members(3)
    assert b"Aalborg Removals" not in client.get("/members/").content
    organisation = OrganisationFactory(listed_publicly=True, name="Aalborg Removals")
    services.membership_start(organisation=organisation, tier=MembershipTierFactory())
    assert b"Aalborg Removals" in client.get("/members/").content


def test_a_revised_commitment_shows_in_the_tracker_at_once(client):
    bulk_public_members(2)
    before = client.get("/commitments/?kind=removal_target").content
    commitment = Commitment.objects.first()
    services.commitment_update(commitment=commitment, kind=Commitment.Kind.REMOVAL_TARGET)
    after = client.get("/commitments/?kind=removal_target").content
    assert before != after
    assert commitment.organisation.name.encode() in after


def test_each_language_has_its_own_cached_copy(rf):
    from members.public.views import _etag

    request = rf.get("/members/")
    with translation.override("en"):
        english = _etag(request)
    with translation.override("fr"):
        french = _etag(request)
    assert english != french


def test_with_the_cache_down_the_pages_answer_and_the_writes_succeed(client, settings):
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    settings.CACHES = {"default": unreachable, "shared": unreachable}
    bulk_public_members(2)
    organisation = OrganisationFactory(listed_publicly=True, name="Aalborg Removals")
    services.membership_start(organisation=organisation, tier=MembershipTierFactory())
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200
    assert b"Aalborg Removals" in client.get("/members/").content


def test_an_import_and_its_revert_show_on_the_public_pages_at_once(client, admin_user):
    """Imports write in bulk, past the record services' own writes: they still move the pages' version."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from members.imports import services as imports
    from tests.members.import_files import ORGANISATION_COLUMNS, csv_bytes

    bulk_public_members(2)
    organisation = Organisation.objects.order_by("pk").first()
    before = client.get("/members/")
    assert b"Aalborg Removals" not in before.content
    rows = [
        {"name": "Aalborg Removals", "kind": organisation.kind, "website": organisation.website},
    ]
    upload = SimpleUploadedFile("members.csv", csv_bytes(rows, ORGANISATION_COLUMNS), content_type="text/csv")
    job = imports.import_job_create(resource="organisations", upload=upload, by=admin_user, mode="overwrite")
    job = imports.import_job_process(job_id=job.pk)
    preview = client.get("/members/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert preview.status_code == 304  # a preview writes nothing
    job = imports.import_job_process(job_id=imports.import_job_confirm(job=job, by=admin_user).pk)
    assert job.updated_count == 1
    imported = client.get("/members/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert imported.status_code == 200 and b"Aalborg Removals" in imported.content
    imports.import_job_revert(job=job, by=admin_user)
    reverted = client.get("/members/", HTTP_IF_NONE_MATCH=imported["ETag"])
    assert reverted.status_code == 200 and b"Aalborg Removals" not in reverted.content


def _delete_in_the_admin(client, admin_user, record) -> None:
    client.force_login(admin_user)
    name = record._meta.model_name
    page = f"/admin/members/{name}/{record.pk}/delete/"
    assert client.post(page, {"post": "yes"}).status_code == 302
    client.logout()


def test_a_member_deleted_in_the_admin_leaves_the_directory_and_the_tracker_at_once(client, admin_user):
    bulk_public_members(3)
    organisation = Organisation.objects.order_by("name").first()
    assert organisation.name.encode() in client.get("/members/").content
    assert organisation.name.encode() in client.get("/commitments/").content
    _delete_in_the_admin(client, admin_user, organisation)
    assert organisation.name.encode() not in client.get("/members/").content
    assert organisation.name.encode() not in client.get("/commitments/").content


def test_a_commitment_deleted_in_the_admin_or_the_api_leaves_the_tracker_at_once(
    client, admin_user, admin_api
):
    bulk_public_members(2)
    first, second = Commitment.objects.select_related("organisation").order_by("organisation__name")
    assert first.organisation.name.encode() in client.get("/commitments/").content
    _delete_in_the_admin(client, admin_user, first)
    assert first.organisation.name.encode() not in client.get("/commitments/").content
    assert second.organisation.name.encode() in client.get("/commitments/").content
    assert admin_api.delete(f"/api/v1/commitments/{second.pk}/").status_code == 204
    assert second.organisation.name.encode() not in client.get("/commitments/").content


def test_an_organisation_deleted_through_the_api_leaves_the_directory_at_once(client, admin_api):
    bulk_public_members(2)
    organisation = Organisation.objects.order_by("name").first()
    assert organisation.name.encode() in client.get("/members/").content
    assert admin_api.delete(f"/api/v1/organisations/{organisation.pk}/").status_code == 204
    assert organisation.name.encode() not in client.get("/members/").content
