"""An address no route matches: API clients get a JSON message, people get the site's page."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_api_path_with_a_malformed_id_answers_a_json_message(admin_api):
    response = admin_api.post("/api/v1/newsletters/-0.5/schedule/", {}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "/api/docs/" in response.json()["detail"]


def test_an_unknown_api_path_answers_a_json_message(anon_api):
    response = anon_api.get("/api/v1/no-such-things/")

    assert response.status_code == 404
    assert "no API endpoint" in response.json()["detail"]


def test_an_unknown_page_still_answers_html(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
