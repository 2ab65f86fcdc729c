"""Staff search: PostgreSQL full text + trigram (typos), the icontains fallback, the hook and the page."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection

from coalition import hooks
from members.models import Contact, Enquiry, Organisation
from members.search import (
    SearchHit,
    matching_countries,
    search_everything,
    trigram_similarity,
)
from tests.members.factories import ContactFactory, CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A few records of each kind, as the secretariat would have them."""
    denmark = CountryFactory(name="Denmark", country="DK")
    finland = CountryFactory(name="Finland", country="FI")
    CountryFactory(name="Panama", country="PA")
    danish_company = OrganisationFactory(
        name="Nordic Carbon Capture", country="DK", website="https://www.nordiccapture.dk/"
    )
    climeworks = OrganisationFactory(name="Climeworks AG", country="CH", website="https://climeworks.com")
    ContactFactory(organisation=denmark, name="Mette Frederiksen", email="mette@kefm.dk")
    ContactFactory(organisation=climeworks, name="Jan Wurzbacher", email="jan@climeworks.com")
    Enquiry.objects.create(
        organisation_name="Reykjavik Energy",
        organisation_kind=Organisation.Kind.COMPANY,
        country="IS",
        contact_name="Edda Sif Aradottir",
        email="edda@carbfix.example.is",
        motivation="We store CO2 in basalt.",
        consent_to_contact=True,
    )
    return {
        "denmark": denmark,
        "finland": finland,
        "danish_company": danish_company,
        "climeworks": climeworks,
    }


def titles(hits: list[SearchHit]) -> list[str]:
    return [h.title for h in hits]


# --- PostgreSQL -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "found"), [("Danmark", "Denmark"), ("Finnland", "Finland")])
def test_a_typo_in_a_country_name_still_finds_the_country_first(world, typed, found):
    results = search_everything(query=typed)
    assert titles(results["organisations"])[0] == found


def test_a_typo_in_an_organisation_name_still_finds_it(world):
    assert titles(search_everything(query="Climworks")["organisations"]) == ["Climeworks AG"]
    assert "Nordic Carbon Capture" in titles(search_everything(query="nordik carbon")["organisations"])


def test_a_country_name_also_finds_the_organisations_based_there_after_the_country_itself(world):
    hits = titles(search_everything(query="Danmark")["organisations"])
    assert hits[:2] == ["Denmark", "Nordic Carbon Capture"]
    assert "Climeworks AG" not in hits


def test_organisations_are_found_by_website_domain(world):
    assert titles(search_everything(query="nordiccapture.dk")["organisations"])[0] == "Nordic Carbon Capture"


def test_contacts_are_found_by_name_with_a_typo_and_by_email(world):
    assert titles(search_everything(query="Mette Frederiksn")["contacts"]) == ["Mette Frederiksen"]
    hits = search_everything(query="jan@climeworks.com")["contacts"]
    assert titles(hits) == ["Jan Wurzbacher"] and "Climeworks AG" in hits[0].detail


def test_enquiries_are_found_by_organisation_contact_and_email(world):
    for typed in ("Reykjavik Enrgy", "Edda Aradottir", "carbfix"):
        assert titles(search_everything(query=typed)["enquiries"]) == ["Reykjavik Energy"], typed


def test_a_word_found_nowhere_finds_nothing(world):
    assert search_everything(query="Xylophone") == {"organisations": [], "contacts": [], "enquiries": []}


def test_search_returns_at_most_the_limit_best_first(world):
    Organisation.objects.bulk_create(
        Organisation(name=f"Carbon Removal Company {i}", kind="company") for i in range(30)
    )
    Organisation.objects.create(name="Carbon Removal", kind="company")
    hits = search_everything(query="carbon removal", limit=5)["organisations"]
    assert len(hits) == 5
    assert hits[0].title == "Carbon Removal"  # the exact name ranks first
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_the_exact_name_ranks_first_even_among_hundreds_of_names_sharing_its_words(world):
    Organisation.objects.bulk_create(
        Organisation(name=f"Nordic Removals Partner {i}", kind="company") for i in range(250)
    )
    Organisation.objects.create(name="Nordic Removals", kind="company")
    assert titles(search_everything(query="nordic removals")["organisations"])[0] == "Nordic Removals"
    typo_hits = titles(search_everything(query="nordic removels")["organisations"])
    assert len(typo_hits) == 20 and all("Nordic Removals" in t for t in typo_hits)


def test_search_costs_one_query_per_kind_whatever_the_number_of_rows(world, django_assert_num_queries):
    Organisation.objects.bulk_create(
        Organisation(name=f"Removals Firm {i}", kind="company") for i in range(500)
    )
    Contact.objects.bulk_create(
        Contact(organisation=world["climeworks"], name=f"Removals Person {i}", email=f"p{i}@x.org")
        for i in range(500)
    )
    # organisations, contacts, enquiries, and subscribers (collected from the newsletters app)
    with django_assert_num_queries(4):
        results = search_everything(query="removals", limit=20)
    assert len(results["organisations"]) == 20 and len(results["contacts"]) == 20


def test_a_query_shorter_than_two_characters_searches_nothing(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert search_everything(query=" d ") == {"organisations": [], "contacts": [], "enquiries": []}


def test_search_characters_with_a_meaning_to_the_database_are_searched_as_text(world):
    for typed in ("100%", "a_b", "'); drop table", "!!", "& | :*"):
        search_everything(query=typed)  # no error
    Organisation.objects.create(name="100% Removals", kind="company")
    assert titles(search_everything(query="100%")["organisations"])[0] == "100% Removals"


def _plan(spec, query: str, country_scores=None, *, analyze: bool = False) -> str:
    from members.search import pg_search_params, pg_search_sql

    explain = "EXPLAIN (ANALYZE, COSTS OFF) " if analyze else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + pg_search_sql(spec), pg_search_params(query, 20, country_scores))
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_search_candidates_come_from_the_trigram_and_full_text_indexes(world):
    from members.search import CONTACT_SPEC, ENQUIRY_SPEC, ORGANISATION_SPEC

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the test tables are tiny; ask for the index plan
    plans = {
        "organisation": _plan(ORGANISATION_SPEC, "Danmark", {"DK": 0.45}),
        "contact": _plan(CONTACT_SPEC, "mette"),
        "enquiry": _plan(ENQUIRY_SPEC, "edda"),
    }
    expected = {
        # "organisation_name " with its space: not organisation_name_key.
        "organisation": ["organisation_name ", "org_name_trgm", "org_domain_trgm", "org_fts"],
        "contact": ["contact_name_exact", "contact_name_trgm", "contact_email_trgm", "contact_fts"],
        "enquiry": [
            "enquiry_org_exact",
            "enquiry_org_trgm",
            "enquiry_contact_trgm",
            "enquiry_email_trgm",
            "enquiry_fts",
        ],
    }
    for kind, indexes in expected.items():
        for index in indexes:
            assert f" {index}" in plans[kind], (kind, index, plans[kind])
        # The typo words come from the small words table through an index: its trigram index, or, when
        # the statistics left by earlier tests call the table nearly empty, a walk of another of its indexes.
        assert (
            re.search(
                r"(Bitmap Index Scan on (search_word_trgm|members_searchword\w*)"
                r"|Index \w* ?Scan using \S+ on members_searchword)",
                plans[kind],
            )
            or " search_word_trgm" in plans[kind]
        ), (kind, plans[kind])
        assert "Seq Scan" not in plans[kind]


def test_the_query_text_is_built_once_per_kind_and_reused(world):
    from members.search import pg_search_sql

    search_everything(query="Danmark")
    built = pg_search_sql.cache_info().currsize
    for typed in ("Finnland", "Mette Frederiksn", "carbfix", "Climworks"):
        search_everything(query=typed)
    assert pg_search_sql.cache_info().currsize == built
    assert built >= 4  # organisations, contacts, enquiries, subscribers


def test_substrings_are_not_searched_when_whole_words_already_fill_the_candidates(world):
    from members.search import CANDIDATES, CONTACT_SPEC

    Contact.objects.bulk_create(
        Contact(organisation=world["climeworks"], name=f"Lars Jensen {i}", email=f"lars{i}@example.org")
        for i in range(CANDIDATES + 5)
    )
    few = _plan(CONTACT_SPEC, "mette@", analyze=True)  # no whole word fills them: substrings are read
    many = _plan(CONTACT_SPEC, "jensen@", analyze=True)  # every Jensen matches by full text
    substrings = [part for part in many.split("->") if "~~" in part]
    assert substrings and all("never executed" in part for part in substrings), many
    assert not all("never executed" in part for part in few.split("->") if "~~" in part), few
    hits = search_everything(query="jensen@")["contacts"]
    assert len(hits) == 20 and all("Jensen" in h.title for h in hits)


# --- The words of names, for typos ------------------------------------------------------------------------


def _words() -> set[str]:
    from members.models import SearchWord

    return set(SearchWord.objects.values_list("word", flat=True))


def test_the_services_that_write_names_record_their_words():
    from members import services
    from members.enquiries.services import enquiry_submit

    organisation = services.organisation_create(name="Carbfix Nordurland 2", kind="company")
    assert {"carbfix", "nordurland"} <= _words() and "2" not in _words()
    services.organisation_update(organisation=organisation, name="Carbfix Hellisheidi")
    contact = services.contact_create(organisation=organisation, name="Sandra Snaebjornsdottir")
    services.contact_update(contact=contact, name="Sandra Osk Snaebjornsdottir")
    enquiry_submit(
        data={
            "organisation_name": "Reykjavik Geothermal",
            "organisation_kind": "company",
            "contact_name": "Kristinn Ingason",
            "email": "kristinn@example.is",
            "motivation": "We store carbon.",
            "consent_to_contact": True,
        }
    )
    expected = {"hellisheidi", "sandra", "osk", "snaebjornsdottir", "reykjavik", "geothermal", "kristinn"}
    assert expected <= _words()


def test_rebuilding_the_words_adds_bulk_loaded_names_and_drops_words_no_name_has(world):
    from members import services
    from members.models import SearchWord

    SearchWord.objects.create(word="vanished")
    Organisation.objects.bulk_create([Organisation(name="Bulkloaded Biochar", kind="company")])
    assert services.search_words_rebuild() == len(_words())
    assert {"bulkloaded", "biochar", "climeworks", "frederiksen", "aradottir"} <= _words()
    assert "vanished" not in _words()


def test_the_words_are_rebuilt_every_night_by_a_task(world, settings):
    from members.models import SearchWord
    from members.tasks import search_words_rebuild_task

    entry = settings.CELERY_BEAT_SCHEDULE["search-words-rebuild"]
    assert entry["task"] == "members.tasks.search_words_rebuild_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {10})
    SearchWord.objects.create(word="vanished")
    Organisation.objects.bulk_create([Organisation(name="Bulkloaded Biochar", kind="company")])
    assert search_words_rebuild_task.apply().get() == len(_words())
    assert "bulkloaded" in _words() and "vanished" not in _words()


def _whole_name_comparison_off() -> None:
    # Only an exact whole name passes the whole-name comparison (%>), so what is found, the words found.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = 1")


def test_a_typo_is_found_through_the_known_words_without_comparing_every_name(world):
    from members import services
    from members.models import SearchWord

    services.contact_create(organisation=world["denmark"], name="Mette Frederiksen Holm")
    _whole_name_comparison_off()
    assert "Mette Frederiksen Holm" in titles(search_everything(query="Mette Frederiksn")["contacts"])
    SearchWord.objects.filter(word="frederiksen").delete()
    assert "Mette Frederiksen Holm" not in titles(search_everything(query="Mette Frederiksn")["contacts"])


def test_a_word_only_inside_a_longer_one_does_not_stand_for_it(world):
    from members import services

    services.organisation_create(name="Ocean Removals", kind="company")
    services.organisation_create(name="Pacific Removals", kind="company")
    _whole_name_comparison_off()
    assert search_everything(query="oceanremovals")["organisations"] == []
    assert titles(search_everything(query="Pacifik Removals")["organisations"]) == ["Pacific Removals"]


def test_whole_name_comparison_still_runs_when_the_corrected_words_find_only_what_full_text_found(world):
    from members import services

    for i in range(5):
        services.organisation_create(name=f"Sahel Peat Fund {i}", kind="company")
        services.organisation_create(name=f"Sahel Peat Trust {i}", kind="company")
    hits = titles(search_everything(query="Sahel Peat Fund", limit=8)["organisations"])
    assert len(hits) == 8 and sum("Trust" in t for t in hits) == 3


def test_quotes_and_backslashes_in_names_and_queries_are_only_text(world):
    from members import services

    services.organisation_create(name="O'Brien \\ Partners", kind="company")
    for typed in ("O'Brein", "O'Brien \\", "\\'", "'''", "Brien's", "a\\'b"):
        search_everything(query=typed)  # no error
    _whole_name_comparison_off()
    assert "O'Brien \\ Partners" in titles(search_everything(query="O'Brien Partnerz")["organisations"])


# --- Fallback (SQLite in development), called directly on this database ---------------------------------


def test_the_fallback_finds_names_emails_and_domains_by_substring(world):
    results = search_everything(query="climeworks", backend="fallback")
    assert titles(results["organisations"]) == ["Climeworks AG"]
    assert titles(results["contacts"]) == ["Jan Wurzbacher"]
    assert titles(search_everything(query="carbfix", backend="fallback")["enquiries"]) == ["Reykjavik Energy"]


def test_the_fallback_needs_every_word_somewhere_and_ranks_a_prefix_first(world):
    OrganisationFactory(name="Capture Nordic Trust")
    hits = titles(search_everything(query="nordic capture", backend="fallback")["organisations"])
    assert sorted(hits) == ["Capture Nordic Trust", "Nordic Carbon Capture"]
    assert titles(search_everything(query="nordic", backend="fallback")["organisations"])[0] == (
        "Nordic Carbon Capture"
    )


def test_the_fallback_forgives_typos_in_country_names_but_not_in_other_names(world):
    assert titles(search_everything(query="Danmark", backend="fallback")["organisations"])[:2] == [
        "Denmark",
        "Nordic Carbon Capture",
    ]
    assert search_everything(query="Climworks", backend="fallback")["organisations"] == []


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="Unknown search backend"):
        search_everything(query="x", backend="elastic")


# --- Country names --------------------------------------------------------------------------------------


def test_country_names_are_compared_the_way_pg_trgm_compares_them():
    pairs = [("Danmark", "Denmark"), ("Finnland", "Finland"), ("panam", "Panama"), ("Bhutan", "Bhutan")]
    with connection.cursor() as cursor:
        for a, b in pairs:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            assert trigram_similarity(a, b) == pytest.approx(cursor.fetchone()[0], abs=1e-6), (a, b)


def test_matching_countries_takes_codes_names_typos_and_word_prefixes():
    assert next(iter(matching_countries("Danmark"))) == "DK"
    assert next(iter(matching_countries("dk"))) == "DK"
    assert "GB" in matching_countries("United Kingdon")
    assert "PA" in matching_countries("Pana")
    assert matching_countries("xq") == {}


# --- The search hook (subscribers from the newsletters app) ---------------------------------------------


@pytest.fixture
def subscriber_collector():
    calls = []

    def collect(*, query, limit, postgres):
        calls.append((query, limit))
        return [
            {"kind": "subscribers", "title": "ida@example.org", "detail": "Weekly digest", "score": 0.4},
            SearchHit(kind="subscribers", title="ole@example.org", score=0.9),
            {"kind": "subscribers", "title": "secret@example.org", "permission": "auth.delete_user"},
        ]

    hooks.register("search", collect)
    yield calls
    hooks._handlers["search"].remove(collect)


def test_collectors_add_their_hits_best_first_under_their_own_kind(world, subscriber_collector):
    results = search_everything(query="  example.org ", limit=7)
    assert subscriber_collector == [("example.org", 7)]
    assert titles(results["subscribers"]) == ["ole@example.org", "ida@example.org", "secret@example.org"]


def test_staff_see_only_the_kinds_they_may_view(world, subscriber_collector, viewer_user):
    bare_staff = User.objects.create_user("nobody", is_staff=True)
    assert search_everything(query="Denmark", user=bare_staff)["organisations"] == []
    results = search_everything(query="example.org", user=viewer_user)
    assert "secret@example.org" not in titles(results["subscribers"])
    assert titles(search_everything(query="Denmark", user=viewer_user)["organisations"])[0] == "Denmark"


# --- The search page ------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get("/search/", {"q": "Denmark"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/search/")


def test_a_logged_in_account_that_is_not_staff_is_sent_to_the_admin_login(client, outsider_user):
    client.force_login(outsider_user)
    assert client.get("/search/", {"q": "Denmark"}).status_code == 302


def test_staff_search_shows_hits_grouped_by_kind(client, staff_user, world):
    client.force_login(staff_user)
    html = client.get("/search/", {"q": "Danmark"}).content.decode()
    assert '<h2 id="group-organisations">Organisations' in html
    assert "Denmark" in html and "Country · Denmark" in html
    assert '<input type="search" id="search-q" name="q" value="Danmark"' in html
    assert '<label for="search-q">' in html


def test_staff_are_asked_for_a_longer_query_instead_of_an_error(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/search/", {"q": "d"})
    assert response.status_code == 200
    assert "Type at least 2 characters to search." in response.content.decode()


def test_the_empty_search_page_just_shows_the_form(client, viewer_user):
    client.force_login(viewer_user)
    html = client.get("/search/").content.decode()
    assert 'role="search"' in html and "result" not in html.split('role="search"')[1].split("</form>")[1]


SQLITE_SEARCH_PROBE = """
import json
from django.test import Client
from django.contrib.auth import get_user_model
from members.models import Organisation
from members.search import search_everything
from members import services
for name, country in [("São Tomé Climate Office", "PT"), ("Århus Kommune", "DK"), ("Łódź Energy", "PL")]:
    services.organisation_create(name=name, kind="company", country=country)
def found(q):
    return [h.title for h in search_everything(query=q)["organisations"]]
staff = get_user_model().objects.create_superuser("probe", "probe@example.org", "x")
client = Client()
client.force_login(staff)
page = client.get("/search/", {"q": "sao tome"})
print(json.dumps({"sao": found("sao tome"), "arhus": found("ÅRHUS"), "lodz": found("lodz"),
                  "page": "São Tomé Climate Office" in page.content.decode(), "status": page.status_code}))
"""


def test_on_the_embedded_default_sqlite_search_ignores_accents_and_case_in_every_script(tmp_path):
    import json

    from tests.embedded import embedded_env, manage

    env = embedded_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    out = json.loads(manage("shell", "-c", SQLITE_SEARCH_PROBE, env=env).stdout.strip().splitlines()[-1])
    assert out["sao"] == ["São Tomé Climate Office"]
    assert out["arhus"] == ["Århus Kommune"]
    assert out["lodz"] == ["Łódź Energy"]
    assert (out["status"], out["page"]) == (200, True)


@pytest.mark.django_db
def test_a_name_typed_without_its_accents_is_found_on_postgresql():
    from members import services

    for name, country in [("São Tomé Climate Office", "PT"), ("Århus Kommune", "DK"), ("Łódź Energy", "PL")]:
        services.organisation_create(name=name, kind="company", country=country)
    found = {
        q: titles(search_everything(query=q)["organisations"]) for q in ("sao tome", "arhus", "lodz energy")
    }
    assert found == {
        "sao tome": ["São Tomé Climate Office"],
        "arhus": ["Århus Kommune"],
        "lodz energy": ["Łódź Energy"],
    }
