"""Health endpoints: liveness without I/O, readiness that checks what the site depends on."""

import pytest
from django.test import Client


def test_liveness_answers_without_touching_the_database(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = Client().get("/healthz/")
    assert response.status_code == 200 and response.content == b"ok"


@pytest.mark.django_db
def test_readiness_reports_every_dependency_ok():
    response = Client().get("/readyz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "migrations": "ok",
        "cache": "ok",
        "broker": "ok",
    }


@pytest.mark.django_db
def test_readiness_answers_503_when_the_broker_is_unreachable(settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    response = Client().get("/readyz/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "failing" and "Connection" in checks["broker"]["error"]
    assert checks["database"]["status"] == "ok"


def test_the_site_has_an_icon_for_browsers_that_ask_for_favicon_ico(client, admin_user):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("coalition/favicon.svg")
    assert 'rel="icon"' in client.get("/join/").content.decode()
    client.force_login(admin_user)
    assert "coalition/favicon.svg" in client.get("/admin/").content.decode()
