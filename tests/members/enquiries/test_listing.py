"""Agreeing on the join form to appear in the public member directory."""

import pytest

from members.enquiries.services import enquiry_approve
from members.models import Enquiry, Organisation
from tests.members.enquiry_factories import EnquiryFactory, OpenTierFactory, application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("agreed", [True, False])
def test_approval_lists_the_new_member_publicly_only_if_the_applicant_agreed(agreed, admin_user):
    enquiry = EnquiryFactory(list_publicly=agreed)
    enquiry_approve(enquiry=enquiry, by=admin_user)
    assert Organisation.objects.get(name=enquiry.organisation_name).listed_publicly is agreed


def test_the_api_records_the_wish_to_be_listed(anon_api):
    OpenTierFactory(slug="member")
    response = anon_api.post("/api/v1/enquiries/", application(list_publicly=True), format="json")
    assert response.status_code == 201, response.content
    assert Enquiry.objects.get().list_publicly is True


def test_the_join_form_offers_the_directory_listing(client):
    response = client.get("/join/")
    assert b'name="list_publicly"' in response.content
