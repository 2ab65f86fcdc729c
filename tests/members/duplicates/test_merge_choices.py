"""Merging with the values staff chose field by field: validated by the service, one transaction, in both
histories; and the compare → confirm pages that collect the choices."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from coalition import hooks
from members.duplicates.services import merge_default_choices, organisations_merge
from members.models import Organisation
from tests.members.factories import ContactFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    keep = OrganisationFactory(
        name="Climeworks AG", website="https://climeworks.com", sector="technology", description=""
    )
    gone = OrganisationFactory(
        name="Climeworks", website="https://www.climeworks.com/", sector="energy", description="DAC pioneer"
    )
    return keep, gone


def _state(*organisations) -> list:
    return [
        list(Organisation.objects.filter(pk=o.pk).values_list("name", "website", "sector", "description"))
        for o in organisations
    ]


def test_the_kept_record_takes_the_values_chosen_from_each_side(pair, admin_user):
    keep, gone = pair

    summary = organisations_merge(
        keep=keep, gone=gone, by=admin_user, choices={"name": "gone", "website": "keep", "sector": "gone"}
    )

    keep.refresh_from_db()
    assert (keep.name, keep.website, keep.sector) == ("Climeworks", "https://climeworks.com", "energy")
    assert keep.description == "DAC pioneer"  # not chosen: a blank is filled from the other record
    assert keep.name_key == "climeworks"
    assert not Organisation.objects.filter(pk=gone.pk).exists()
    assert "taken from the other record: name, sector, description" in summary.describe()


def test_the_chosen_values_and_the_merge_land_in_both_histories(pair, admin_user):
    keep, gone = pair

    organisations_merge(keep=keep, gone=gone, by=admin_user, choices={"name": "gone"})

    latest = keep.history.first()
    assert latest.name == "Climeworks"
    assert latest.history_change_reason == f"Merged Climeworks (#{gone.pk}) into this record"
    assert latest.history_user == admin_user
    assert latest.prev_record.name == "Climeworks AG"
    deleted = Organisation.history.get(id=gone.pk, history_type="-")
    assert deleted.history_change_reason == f"Merged into Climeworks AG (#{keep.pk})"
    assert deleted.history_user == admin_user


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"name": "gone", "created_at": "gone"}, "not fields a merge can choose: created_at"),
        ({"website": "both"}, "Say which record's value to keep for website"),
        ({"sector": ""}, "Say which record's value to keep for sector"),
    ],
)
def test_a_bad_field_choice_is_refused_with_a_clear_error_and_nothing_changes(pair, choices, message):
    keep, gone = pair
    contact = ContactFactory(organisation=gone)
    before = _state(keep, gone)

    with pytest.raises(ValidationError, match=message):
        organisations_merge(keep=keep, gone=gone, choices=choices)

    assert _state(keep, gone) == before
    contact.refresh_from_db()
    assert contact.organisation_id == gone.pk
    assert keep.history.count() == 1 and gone.history.count() == 1


def test_a_failure_late_in_the_merge_leaves_the_chosen_values_unapplied(pair):
    keep, gone = pair
    contact = ContactFactory(organisation=gone)
    before = _state(keep, gone)

    def broken(*, keep, gone):
        raise RuntimeError("subscriptions could not be moved")

    hooks.register("organisations_merged", broken)
    try:
        with pytest.raises(RuntimeError):
            organisations_merge(keep=keep, gone=gone, choices={"name": "gone", "sector": "gone"})
    finally:
        hooks._handlers["organisations_merged"].remove(broken)

    assert _state(keep, gone) == before
    contact.refresh_from_db()
    assert contact.organisation_id == gone.pk


def test_taking_a_parent_that_is_the_kept_record_itself_is_refused(pair):
    keep, gone = pair
    gone.parent = keep
    gone.save()

    with pytest.raises(ValidationError, match="cannot take it as its own parent"):
        organisations_merge(keep=keep, gone=gone, choices={"parent": "gone"})
    assert Organisation.objects.filter(pk=gone.pk).exists()


def test_without_choices_the_kept_values_win_and_blanks_are_filled(pair):
    keep, gone = pair
    assert merge_default_choices(keep=keep, gone=gone) == {
        "name": "keep",
        "kind": "keep",
        "country": "keep",
        "sector": "keep",
        "website": "keep",
        "description": "gone",
        "listed_publicly": "keep",
        "parent": "keep",
        "isin": "keep",
    }


def test_the_merge_page_collects_a_choice_per_field_and_merges_only_once_confirmed(pair, admin_user):
    keep, gone = pair
    client = Client()
    client.force_login(admin_user)
    url = "/staff/duplicates/merge/"

    compare = client.get(f"{url}?first={keep.pk}&second={gone.pk}").content.decode()
    assert f'name="field_name" value="{keep.pk}" checked' in compare
    assert f'name="field_description" value="{gone.pk}" checked' in compare  # the blank is not the default

    chosen = {
        "first": keep.pk,
        "second": gone.pk,
        "keep": keep.pk,
        "field_name": gone.pk,
        "field_sector": keep.pk,
    }
    confirmation = client.post(url, chosen).content.decode()
    assert "will be merged into" in confirmation and "Climeworks AG" in confirmation
    assert f'name="field_name" value="{gone.pk}"' in confirmation
    assert Organisation.objects.count() == 2

    back = client.post(url, {**chosen, "confirm": "back"}).content.decode()
    assert f'name="field_name" value="{gone.pk}" checked' in back

    client.post(url, {**chosen, "confirm": "yes"})
    keep.refresh_from_db()
    assert (keep.name, keep.sector, keep.description) == ("Climeworks", "technology", "DAC pioneer")
    assert not Organisation.objects.filter(pk=gone.pk).exists()


def test_the_merge_page_refuses_a_value_from_neither_record(pair, admin_user):
    keep, gone = pair
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/staff/duplicates/merge/",
        {"first": keep.pk, "second": gone.pk, "keep": keep.pk, "field_website": 999999, "confirm": "yes"},
    )
    assert response.status_code == 400
    assert "Choose one of the two values for: website." in response.content.decode()
    assert Organisation.objects.count() == 2


def test_the_duplicates_page_says_nothing_about_database_extensions(admin_user):
    # As on a database without pg_trgm (SQLite, a bare PostgreSQL); the test's transaction restores it.
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION IF EXISTS pg_trgm CASCADE")
    OrganisationFactory(name="Climeworks AG", website="https://climeworks.com")
    OrganisationFactory(name="Climeworks", website="")
    client = Client()
    client.force_login(admin_user)

    html = client.get("/staff/duplicates/").content.decode()

    assert "names differ only by &#x27;AG&#x27;" in html
    assert "pg_trgm" not in html and "extension" not in html.lower()


SQLITE_PROBE = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from members.models import Organisation
keep = Organisation.objects.create(name="Climeworks AG", kind="company", website="https://climeworks.com/")
gone = Organisation.objects.create(name="Climeworks", kind="company", website="https://www.climeworks.com/",
    sector="energy", description="DAC pioneer")
user = get_user_model().objects.create_superuser("merger", "merger@example.org", "x-long-password-1")
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(user)
listing = client.get("/staff/duplicates/").content.decode()
url = "/staff/duplicates/merge/"
chosen = {"first": keep.pk, "second": gone.pk, "keep": keep.pk}
chosen.update(field_name=gone.pk, field_website=keep.pk)
confirmation = client.post(url, chosen)
merged = client.post(url, {**chosen, "confirm": "yes"})
kept = Organisation.objects.get()
print(json.dumps({
    "listed": "names differ only by &#x27;AG&#x27;" in listing and "same website domain" in listing,
    "mentions_extensions": "pg_trgm" in listing or "extension" in listing.lower(),
    "confirmation": confirmation.status_code,
    "merged": merged.status_code,
    "kept": [kept.pk == keep.pk, kept.name, kept.website, kept.sector, kept.description],
    "history": kept.history.first().history_change_reason,
}))
"""


def test_on_the_embedded_default_sqlite_duplicates_are_listed_and_merged_field_by_field(tmp_path):
    import json

    from tests.embedded import embedded_env, manage

    env = embedded_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    out = json.loads(manage("shell", "-c", SQLITE_PROBE, env=env).stdout.strip().splitlines()[-1])

    assert out["listed"] and not out["mentions_extensions"]
    assert (out["confirmation"], out["merged"]) == (200, 302)
    assert out["kept"] == [True, "Climeworks", "https://climeworks.com/", "energy", "DAC pioneer"]
    assert out["history"].startswith("Merged Climeworks (#")
