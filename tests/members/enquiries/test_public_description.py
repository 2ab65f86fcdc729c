"""Public text is chosen, not leaked: the directory shows the applicant's public description, never the
motivation they wrote for the secretariat."""

import pytest

from members.enquiries import services
from members.enquiries.forms import JoinForm
from members.models import Organisation
from tests.members.enquiry_factories import EnquiryFactory

pytestmark = pytest.mark.django_db

MOTIVATION = "Confidential: our board is split and we need the coalition's cover."


def test_the_join_form_offers_an_optional_public_description_labelled_as_public():
    field = JoinForm().fields["public_description"]
    assert not field.required
    assert "public member directory" in field.help_text and "never published" in field.help_text


def test_approval_publishes_the_public_description_and_the_directory_never_shows_the_motivation(
    client, staff_user
):
    enquiry = EnquiryFactory(
        organisation_name="Nordic Biochar Alliance",
        website="https://nordic-biochar.example.org",
        motivation=MOTIVATION,
        public_description="Biochar producers across the Nordics.",
        list_publicly=True,
    )
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    organisation = Organisation.objects.get(name="Nordic Biochar Alliance")
    assert organisation.description == "Biochar producers across the Nordics."
    assert organisation.listed_publicly
    page = client.get("/members/").content.decode()
    assert "Nordic Biochar Alliance" in page
    assert MOTIVATION not in page and "board is split" not in page


def test_without_a_public_description_the_directory_entry_has_no_text_at_all(client, staff_user):
    enquiry = EnquiryFactory(
        organisation_name="Quiet Removals Co",
        website="https://quiet-removals.example.org",
        motivation=MOTIVATION,
        list_publicly=True,
    )
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    assert Organisation.objects.get(name="Quiet Removals Co").description == ""
    page = client.get("/members/").content.decode()
    assert "Quiet Removals Co" in page and "board is split" not in page
