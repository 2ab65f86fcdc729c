"""Every optional field left out on the public POSTs, then read back through every staff endpoint and
action: nothing answers 500 (an empty country used to break the whole enquiry API)."""

import pytest

from members.models import Enquiry
from newsletters.models import Subscriber
from tests.members.enquiry_factories import OpenTierFactory

pytestmark = pytest.mark.django_db

MINIMAL_ENQUIRY = {
    "organisation_name": "Minimal Works",
    "organisation_kind": "company",
    "contact_name": "Min Imal",
    "email": "min@minimal.example.org",
    "motivation": "Only what is required.",
    "consent_to_contact": True,
}


@pytest.fixture
def minimal_enquiry(anon_api):
    OpenTierFactory()
    response = anon_api.post("/api/v1/enquiries/", MINIMAL_ENQUIRY, format="json")
    assert response.status_code == 201, response.data
    enquiry = Enquiry.objects.get()
    assert enquiry.country == "" and enquiry.website == "" and enquiry.requested_tier is None
    return enquiry


def test_an_enquiry_without_a_country_reads_back_through_the_list_and_the_detail(admin_api, minimal_enquiry):
    listing = admin_api.get("/api/v1/enquiries/")
    assert listing.status_code == 200 and listing.json()["results"][0]["country"] == ""
    detail = admin_api.get(f"/api/v1/enquiries/{minimal_enquiry.pk}/")
    assert detail.status_code == 200 and detail.json()["website"] == ""
    assert admin_api.get("/api/v1/enquiries/", {"search": "minimal"}).status_code == 200


@pytest.mark.parametrize(
    ("steps"),
    [
        [("review", {})],
        [("assign", {"assignee": None})],
        [("note", {"body": "Looks fine."})],
        [("request-information", {"message": "Which sector?"})],
        [("spam", {})],
        [("decline", {"reason": "Not this year."})],
        [("review", {}), ("approve", {"create_organisation": True, "tier": "member"})],
    ],
    ids=lambda steps: "-then-".join(s for s, _ in steps),
)
def test_every_enquiry_action_answers_200_for_an_enquiry_without_optional_fields(
    admin_api, minimal_enquiry, steps
):
    for action, body in steps:
        response = admin_api.post(f"/api/v1/enquiries/{minimal_enquiry.pk}/{action}/", body, format="json")
        assert response.status_code in (200, 201), (action, response.content)
        response.json()


def test_a_subscription_without_a_name_or_topics_reads_back_through_the_staff_api(anon_api, admin_api):
    response = anon_api.post("/api/v1/subscriptions/", {"email": "bare@example.org"}, format="json")
    assert response.status_code == 202
    subscriber = Subscriber.objects.get()
    assert admin_api.get("/api/v1/subscribers/").status_code == 200
    assert admin_api.get(f"/api/v1/subscribers/{subscriber.pk}/").status_code == 200
    assert admin_api.get(f"/api/v1/subscribers/{subscriber.pk}/export/").status_code == 200
    assert admin_api.post(f"/api/v1/subscribers/{subscriber.pk}/unsubscribe/").status_code == 200
    assert admin_api.post(f"/api/v1/subscribers/{subscriber.pk}/erase/").status_code == 200
