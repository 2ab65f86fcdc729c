"""Anonymous (and staff) requests that used to answer 500: each now answers a 4xx."""

import json

import pytest
from rest_framework.test import APIClient

from coalition.tokens import token_make
from members.models import Enquiry
from tests.members.enquiry_factories import OpenTierFactory, application
from tests.members.factories import CommitmentFactory, OrganisationFactory
from tests.newsletters.factories import TopicFactory

pytestmark = pytest.mark.django_db

PUBLIC_POSTS = ["/api/v1/enquiries/", "/api/v1/subscriptions/"]


@pytest.mark.parametrize("url", PUBLIC_POSTS)
def test_deeply_nested_json_answers_400_on_the_public_posts(url):
    body = "[" * 100_000 + "]" * 100_000
    response = APIClient().post(url, body, content_type="application/json")
    assert response.status_code == 400  # too large, before anything is parsed
    body = "[" * 30_000 + "]" * 30_000
    response = APIClient().post(url, body, content_type="application/json", REMOTE_ADDR="192.0.2.8")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


def test_deeply_nested_json_answers_400_on_staff_endpoints_too(admin_api):
    body = "[" * 100_000 + "]" * 100_000
    response = admin_api.post("/api/v1/organisations/", body, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("url", PUBLIC_POSTS)
def test_an_oversized_json_body_answers_400_on_the_public_posts(url):
    OpenTierFactory()
    body = json.dumps(application(motivation="x" * 70_000))
    response = APIClient().post(url, body, content_type="application/json")
    assert response.status_code == 400 and "too large" in response.json()["detail"]
    assert not Enquiry.objects.exists()


def test_json_nested_a_little_is_still_a_normal_validation_error():
    response = APIClient().post(
        "/api/v1/enquiries/", {"organisation_name": [[["x"]]]}, format="json", REMOTE_ADDR="192.0.2.9"
    )
    assert response.status_code == 400 and "organisation_name" in response.json()


def test_brackets_inside_strings_do_not_count_as_nesting():
    from coalition.request_guards import json_nesting_depth

    assert json_nesting_depth(b'{"a": "[[[[[[[[[[\\"[[[[["}') == 1
    assert json_nesting_depth(b"[[[]]]") == 3


@pytest.mark.parametrize("url", ["/members/", "/commitments/"])
@pytest.mark.parametrize("page", ["100000000000000000000", "100001", "-5", "abc", "1e9"])
def test_absurd_page_numbers_answer_404_or_the_first_page(client, url, page):
    response = client.get(url, {"page": page})
    assert response.status_code in (200, 404)


def test_an_unconfigured_anymail_webhook_is_not_routed(client):
    for url in ["/anymail/mailgun/tracking/", "/anymail/amazon_ses/inbound/", "/anymail/mandrill/"]:
        assert client.post(url, {}).status_code == 404
        assert client.get(url).status_code == 404
    # The configured provider's (postmark in the defaults) is still there: it asks for its credentials.
    assert client.post("/anymail/postmark/tracking/", {}).status_code in (400, 401, 403)


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=ab%00cd",
        "/members/?country=%00",
        "/commitments/?kind=a%00",
        "/api/v1/organisations/?search=ab%00cd",
        "/join/?x=%00",
    ],
)
def test_a_nul_byte_in_the_query_answers_400(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 400


def test_a_nul_byte_in_a_search_answers_400_with_json_on_the_api(admin_api):
    response = admin_api.get("/api/v1/organisations/", {"search": "ab\x00cd"})
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


MALFORMED = ["abc", 10**30, -1, None, [1], {"p": 1}, True, 1.5]


@pytest.mark.parametrize("value", MALFORMED, ids=repr)
def test_a_correctly_signed_status_link_with_a_malformed_value_answers_400(client, value):
    from members.enquiries.services import STATUS_TOKEN_SALT

    response = client.get(f"/join/status/{token_make(value=value, salt=STATUS_TOKEN_SALT)}/")
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("value", [*MALFORMED, "not-a-uuid"], ids=repr)
def test_correctly_signed_subscriber_links_with_a_malformed_value_answer_400(client, value):
    from newsletters.sending.rendering import SUBSCRIBER_SALT

    token = token_make(value=value, salt=SUBSCRIBER_SALT)
    assert client.get(f"/subscription/preferences/{token}/").status_code in (400, 404)
    assert client.post(f"/subscription/unsubscribe/{token}/").status_code in (400, 404)


@pytest.mark.parametrize(
    "value",
    [*MALFORMED, {"c": "x", "k": "y"}, {"c": 10**30, "k": "00000000-0000-0000-0000-000000000000"}],
    ids=repr,
)
def test_a_correctly_signed_confirmation_link_with_a_malformed_value_answers_400(client, value):
    from newsletters.subscriptions.services import CONFIRM_SALT

    TopicFactory()
    token = token_make(value=value, salt=CONFIRM_SALT)
    assert client.post(f"/subscribe/confirm/{token}/").status_code in (400, 404)


@pytest.mark.parametrize(
    "value", [*MALFORMED, {"p": "x", "r": "accepted"}, {"p": 10**30, "r": "accepted"}], ids=repr
)
def test_a_correctly_signed_rsvp_link_with_a_malformed_value_answers_400(client, value):
    from campaigns.services import RSVP_SALT

    token = token_make(value=value, salt=RSVP_SALT)
    assert client.get(f"/events/rsvp/{token}/").status_code in (400, 404)
    assert client.post(f"/events/rsvp/{token}/").status_code in (400, 404)


def test_the_history_of_records_whose_organisation_was_merged_away_opens(admin_client, admin_user):
    from members.duplicates.services import organisations_merge
    from tests.members.factories import MembershipFactory

    keep = OrganisationFactory(name="Keep")
    gone = OrganisationFactory(name="Gone")
    commitment = CommitmentFactory(organisation=gone)
    membership = MembershipFactory(organisation=gone)
    organisations_merge(keep=keep, gone=gone, by=admin_user)
    response = admin_client.get(f"/admin/members/commitment/{commitment.pk}/history/")
    assert response.status_code == 200 and "(merged or deleted)" in response.content.decode()
    assert admin_client.get(f"/admin/members/membership/{membership.pk}/history/").status_code == 200


def test_the_public_posts_document_every_status_they_answer(client):
    """What schemathesis' status-code conformance (tests/reliability/test_api_fuzz.py) relies on."""
    schema = client.get("/api/schema/?format=json").json()
    enquiries = schema["paths"]["/api/v1/enquiries/"]["post"]["responses"]
    subscriptions = schema["paths"]["/api/v1/subscriptions/"]["post"]["responses"]
    assert set(enquiries) == {"201", "400", "429"} and set(subscriptions) == {"202", "400", "429"}
    website = schema["components"]["schemas"]["Enquiry"]["properties"]["website"]
    assert website.get("format") != "uri"  # it may be empty
