"""The API docs render with the network cut off: Swagger UI and Redoc come from our static files."""

from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _cut_off_the_network(page) -> list[str]:
    blocked: list[str] = []

    def route(route):
        url = route.request.url
        if urlparse(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", route)
    return blocked


def _screenshot(page, name: str) -> None:
    # The viewport only: the full documentation pages are very long.
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"api-docs-{name}.png"))


def test_swagger_ui_renders_with_every_request_leaving_the_machine_blocked(page, live_server):
    blocked = _cut_off_the_network(page)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title:has-text('Coalition CRM API')")
    page.wait_for_selector(".opblock-tag-section")
    _screenshot(page, "swagger-offline")
    assert blocked == []
    assert "/static/drf_spectacular_sidecar/" in page.content()


def test_redoc_renders_with_every_request_leaving_the_machine_blocked(page, live_server):
    blocked = _cut_off_the_network(page)
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("h1:has-text('Coalition CRM API')", timeout=30_000)
    _screenshot(page, "redoc-offline")
    assert blocked == []
