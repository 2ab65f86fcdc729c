"""The public pages cost the same few queries with 10 members as with 10,000."""

import pytest
from django.core.cache import cache

from tests.members.public.test_pages import bulk_public_members

pytestmark = pytest.mark.django_db

# Home: one aggregate. Directory: filter choices + one page with its total. Tracker: chart figures + one
# page with its total. Downloads: one streamed query.
PAGES = [
    ("/", 1),
    ("/members/", 2),
    ("/members/?kind=company&country=DK&page=2", 2),
    ("/commitments/", 2),
    ("/commitments/?kind=net_zero&status=law", 2),
    ("/commitments/commitments.csv", 1),
    ("/commitments/commitments.json", 1),
]


@pytest.mark.parametrize("members", [10, 10_000])
def test_public_pages_cost_the_same_queries_at_10_and_10000_members(
    client, django_assert_max_num_queries, members
):
    bulk_public_members(members, commitments_each=2)
    for url, most in PAGES:
        if "page=2" in url and members < 200:
            url = url.replace("&page=2", "")
        with django_assert_max_num_queries(most):
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        if url.endswith(".csv"):
            assert body.count(b"\n") == 1 + 2 * members  # the header and every commitment
    cache.clear()  # the directory above is cached (no template context on a hit): render it afresh
    directory = client.get("/members/")
    assert len(directory.context["page"].rows) == min(50, members)
    assert directory.context["page"].total == members
