"""Which language a visitor gets: the URL prefix, the first-visit redirect from Accept-Language, the
switcher, staff pages in English unless chosen, and pages that cost the same in every language."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.members.enquiry_factories import OpenTierFactory, form_data
from tests.members.public.test_pages import bulk_public_members

pytestmark = pytest.mark.django_db


def test_a_first_visit_asking_for_spanish_lands_on_the_spanish_home_page(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="es-PA,es;q=0.9,en;q=0.5")
    assert response.status_code == 302 and response["Location"] == "/es/"
    assert "Accept-Language" in response["Vary"]
    page = client.get("/es/")
    assert page.status_code == 200
    assert '<html lang="es">' in page.content.decode()
    assert "Solicitar la adhesión" in page.content.decode()


def test_the_redirect_keeps_the_path_and_the_query_string(client):
    response = client.get("/members/?kind=company", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.8")
    assert response["Location"] == "/fr/members/?kind=company"


def test_english_or_an_unknown_language_stays_on_the_unprefixed_english_page(client):
    for accept in ("en-GB,en;q=0.9", "de-DE,de;q=0.9", ""):
        response = client.get("/join/", HTTP_ACCEPT_LANGUAGE=accept)
        assert response.status_code == 200, accept
        assert "Ask to join" in response.content.decode()


def test_a_language_chosen_with_the_switcher_wins_over_the_browser(client):
    response = client.get("/i18n/switch/en/?next=/es/join/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302 and response["Location"] == "/join/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # With the cookie, the browser's Spanish no longer sends them to /es/.
    assert client.get("/join/", HTTP_ACCEPT_LANGUAGE="es").status_code == 200
    switched = client.get("/i18n/switch/fr/?next=/join/", HTTP_ACCEPT_LANGUAGE="es")
    assert switched["Location"] == "/fr/join/"
    assert client.get("/join/")["Location"] == "/fr/join/"


def test_every_public_page_offers_the_three_languages_pointing_at_the_same_page(client):
    OpenTierFactory()
    body = client.get("/fr/join/").content.decode()
    for code, name in (("en", "English"), ("fr", "Français"), ("es", "Español")):
        assert f'href="/i18n/switch/{code}/?next=/fr/join/"' in body
        assert f">{name}</a>" in body
    assert 'aria-current="true">Français' in body


def test_the_switcher_refuses_a_next_address_on_another_site(client):
    response = client.get("/i18n/switch/es/?next=https://evil.example.com/")
    assert response["Location"] == "/es/"
    assert client.get("/i18n/switch/de/?next=/").status_code == 404


def test_the_join_form_in_french_shows_a_bad_email_error_in_french(client):
    OpenTierFactory()
    response = client.post("/fr/join/", form_data(email="not-an-address"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Saisissez une adresse e-mail du type nom@example.org." in body
    assert "Veuillez corriger 1 problème" in body
    assert "Please enter an email address" not in body


def test_a_page_that_does_not_exist_under_es_answers_in_spanish(client):
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Página no encontrada" in body and '<html lang="es">' in body


def test_staff_pages_stay_in_english_and_the_api_answers_in_the_language_asked_without_redirecting(
    client, admin_user
):
    client.force_login(admin_user)
    admin = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="fr")
    body = admin.content.decode()
    assert admin.status_code == 200 and '<html lang="en"' in body and "Log out" in body
    # The API is one address in every language: never redirected, it negotiates (coalition/i18n.py).
    api = client.get("/api/v1/organisations/", HTTP_ACCEPT_LANGUAGE="es")
    assert api.status_code == 200 and api["Content-Language"] == "es"
    assert client.get("/api/v1/organisations/")["Content-Language"] == "en"


def test_a_staff_member_who_picks_french_gets_the_admin_in_french(client, admin_user):
    client.force_login(admin_user)
    client.get("/i18n/switch/fr/?next=/admin/")
    admin = client.get("/admin/")
    body = admin.content.decode()
    assert '<html lang="fr"' in body and "Déconnexion" in body and "Log out" not in body


def test_the_public_form_posts_need_no_redirect_whatever_the_browser_asks(client):
    """A POST to an unprefixed page (the one-click unsubscribe, an old form) is served, never redirected."""
    OpenTierFactory()
    response = client.post("/join/", form_data(), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302 and response["Location"] == "/join/thanks/"


def test_home_figures_are_written_the_way_each_language_writes_numbers(client):
    bulk_public_members(1200, commitments_each=0)
    assert ">1,200<" in client.get("/").content.decode()
    # Both write a (no-break) space between thousands, as their typography asks.
    assert ">1\xa0200<" in client.get("/fr/").content.decode()
    assert ">1\xa0200<" in client.get("/es/").content.decode()


PAGES = ["/", "/members/", "/members/?kind=company", "/commitments/", "/commitments/?status=law"]


@pytest.mark.parametrize("path", PAGES)
def test_a_public_page_costs_the_same_queries_in_every_language(path):
    bulk_public_members(30, commitments_each=2)
    counts = {}
    for prefix in ("", "/fr", "/es"):
        client = Client()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{prefix}{path}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, prefix + path
        counts[prefix or "en"] = len(queries)
    assert len(set(counts.values())) == 1, counts


def test_the_tracker_writes_percentages_labels_and_dates_the_way_each_language_does(client):
    from members.models import Commitment
    from tests.members.factories import CommitmentFactory
    from tests.members.public.test_pages import public_member

    member = public_member(name="Danmark")
    CommitmentFactory(
        organisation=member,
        kind=Commitment.Kind.EMISSIONS_REDUCTION,
        status=Commitment.Status.LAW,
        reduction_percent="92.5",
        target_year=2045,
    )
    english = client.get("/commitments/").content.decode()
    assert "92.5 % reduction" in english and "In law" in english
    french = client.get("/fr/commitments/").content.decode()
    assert "réduction de 92,5\xa0%" in french and "Inscrit dans la loi" in french
    spanish = client.get("/es/commitments/").content.decode()
    assert "reducción del 92,5 %" in spanish and "En la ley" in spanish
    assert "Réduction des émissions" in french and "Reducción de emisiones" in spanish
