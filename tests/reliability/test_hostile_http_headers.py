"""Response headers: a Content-Security-Policy on every HTML page (no inline script without the nonce),
and private-link pages kept out of caches."""

import re

import pytest
from django.contrib import admin

from campaigns.services import rsvp_token
from members.enquiries.services import enquiry_status_token
from newsletters.sending.rendering import subscriber_token
from tests.campaigns.factories import EventFactory, ParticipantFactory
from tests.members.enquiry_factories import EnquiryFactory, OpenTierFactory
from tests.newsletters.factories import SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/join/", "/subscribe/", "/members/", "/commitments/", "/no-such-page/"]
STAFF_PAGES = [
    "/admin/",
    "/dashboard/",
    "/search/?q=climate",
    "/staff/imports/",
    "/staff/duplicates/",
    "/api/docs/",
]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _assert_safe_scripts(response, *, staff: bool = False) -> None:
    """No inline script without the nonce, ever. Staff pages (the admin's frame, login included) may also
    let the admin framework's Alpine.js evaluate its attribute expressions ('unsafe-eval', see
    coalition/workspace.py); public pages may not."""
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert staff or "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and "'self'" in policy["default-src"]
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    nonces = [n.strip("'").removeprefix("nonce-") for n in policy["script-src"] if n.startswith("'nonce-")]
    for attributes in inline:
        if 'type="application/json"' in attributes:
            continue  # data, never run
        found = re.search(r'nonce="([^"]+)"', attributes)
        assert found and found.group(1) in nonces, f"inline script without the page's nonce: {attributes!r}"
    assert not re.search(r"\son(submit|click|change|load)=", html), "inline event handler"


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_every_public_page_carries_a_policy_that_runs_no_injected_script(client, url):
    OpenTierFactory()
    TopicFactory(public=True)
    response = client.get(url)
    assert response.status_code in (200, 404) and "Content-Security-Policy" in response
    _assert_safe_scripts(response)


def test_the_staff_login_page_runs_no_injected_script(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200 and "Content-Security-Policy" in response
    _assert_safe_scripts(response, staff=True)


def test_the_join_form_with_errors_focuses_its_summary_with_a_nonce(client):
    OpenTierFactory()
    response = client.post("/join/", {"organisation_name": ""})
    assert response.status_code == 400 and 'id="error-summary"' in response.content.decode()
    _assert_safe_scripts(response)
    assert re.search(
        r'<script nonce="[^"]+">document.getElementById\("error-summary"\)', response.content.decode()
    )


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_every_staff_page_carries_the_policy(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200 and "Content-Security-Policy" in response
    assert "'unsafe-inline'" not in _policy(response)["script-src"]


def test_every_admin_list_carries_the_policy(admin_client, superuser):
    admin_client.force_login(superuser)
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response, url
        _assert_safe_scripts(response, staff=True)


def test_the_newsletter_editor_confirms_with_a_listener_not_an_inline_handler(admin_client):
    from tests.newsletters.factories import NewsletterFactory

    newsletter = NewsletterFactory()
    response = admin_client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-confirm="Send this newsletter' in html and "onsubmit=" not in html
    _assert_safe_scripts(response, staff=True)


def _private_links():
    enquiry = EnquiryFactory()
    subscriber = SubscriberFactory()
    participant = ParticipantFactory(event=EventFactory())
    return [
        f"/join/status/{enquiry_status_token(enquiry=enquiry)}/",
        f"/subscription/preferences/{subscriber_token(subscriber.key)}/",
        f"/subscription/unsubscribe/{subscriber_token(subscriber.key)}/",
        f"/events/rsvp/{rsvp_token(participant=participant, response='accepted')}/",
    ]


def test_private_link_pages_are_never_cached(client):
    for url in _private_links():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url


def test_a_confirmation_link_page_is_never_cached(client):
    response = client.get("/subscribe/confirm/anything/")
    assert "no-store" in response["Cache-Control"]
