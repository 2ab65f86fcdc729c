"""Rate limits are keyed on the real client: X-Forwarded-For is only believed behind our own proxies."""

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from coalition.throttles import client_ip
from tests.members.enquiry_factories import OpenTierFactory, application, form_data
from tests.newsletters.factories import TopicFactory

pytestmark = pytest.mark.django_db


def _forged(n: int) -> dict[str, str]:
    return {"HTTP_X_FORWARDED_FOR": f"10.{n}.{n}.{n}"}


@pytest.mark.parametrize(
    ("forwarded", "num_proxies", "expected"),
    [
        ("", 0, "192.0.2.1"),
        ("203.0.113.5", 0, "192.0.2.1"),
        ("203.0.113.5", 1, "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        ("203.0.113.5", 3, "203.0.113.5"),
        (" , ", 1, "192.0.2.1"),
    ],
)
def test_the_client_address_is_read_only_as_far_as_our_own_proxies_go(
    settings, forwarded, num_proxies, expected
):
    settings.NUM_PROXIES = num_proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_ten_api_enquiries_with_varied_forwarded_for_get_429_from_the_sixth():
    OpenTierFactory()
    api = APIClient()
    codes = [
        api.post(
            "/api/v1/enquiries/",
            application(email=f"x{n}@example.org", organisation_name=f"Org {n}"),
            format="json",
            **_forged(n),
        ).status_code
        for n in range(10)
    ]
    assert codes[:5] == [201] * 5 and codes[5:] == [429] * 5


def test_ten_join_forms_with_varied_forwarded_for_get_429_from_the_sixth():
    tier = OpenTierFactory()
    client = Client()
    codes = [
        client.post(
            "/join/",
            form_data(tier=tier, email=f"x{n}@example.org", organisation_name=f"Org {n}"),
            **_forged(n),
        ).status_code
        for n in range(10)
    ]
    assert codes[:5] == [302] * 5 and codes[5:] == [429] * 5


def test_subscriptions_with_varied_forwarded_for_are_limited_on_the_real_address():
    # 10 an hour (THROTTLE_SUBSCRIPTIONS); the API and the form share the counter, so it is reset between.
    from django.core.cache import cache

    TopicFactory(public=True)
    api, client = APIClient(), Client()
    codes = [
        api.post(
            "/api/v1/subscriptions/", {"email": f"s{n}@example.org"}, format="json", **_forged(n)
        ).status_code
        for n in range(11)
    ]
    assert codes[:10] == [202] * 10 and codes[10] == 429
    cache.clear()
    codes = [
        client.post("/subscribe/", {"email": f"f{n}@example.org"}, **_forged(n)).status_code
        for n in range(11)
    ]
    assert 429 not in codes[:10] and codes[10] == 429


def test_tracker_downloads_with_varied_forwarded_for_are_limited_on_the_real_address(settings):
    client = Client()
    codes = [client.get("/commitments/commitments.csv", **_forged(n)).status_code for n in range(61)]
    assert codes[:60] == [200] * 60 and codes[60] == 429


def test_behind_one_trusted_proxy_each_client_has_its_own_limit(settings):
    settings.NUM_PROXIES = 1
    OpenTierFactory()
    api = APIClient()
    codes = [
        api.post(
            "/api/v1/enquiries/",
            application(email=f"x{n}@example.org", organisation_name=f"Org {n}"),
            format="json",
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, 203.0.113.{n}",
        ).status_code
        for n in range(7)
    ]
    assert codes == [201] * 7
