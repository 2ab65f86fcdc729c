"""What each enquiry email says: subjects, links, the coalition's name and address, in text and HTML."""

import re

import pytest
from django.test import Client

from coalition.models import OutboundEmail
from members.enquiries import services
from tests.members.enquiry_factories import EnquiryFactory, OpenTierFactory, application

pytestmark = pytest.mark.django_db
NAME, ADDRESS = "Group of Negative Emitters", "Asiatisk Plads 2, 1448 Copenhagen"


def _one(kind: str) -> OutboundEmail:
    return OutboundEmail.objects.get(kind=kind)


def _branded(email: OutboundEmail) -> None:
    assert NAME in email.body_text and ADDRESS in email.body_text
    assert NAME in email.body_html and ADDRESS in email.body_html
    assert "<html" in email.body_html and 'style="' in email.body_html  # base template, CSS inlined


def _status_path(text: str) -> str:
    match = re.search(r"http://127\.0\.0\.1:8000(/join/status/[^/\s]+/)", text)
    assert match, text
    return match.group(1)


def test_the_acknowledgement_has_its_subject_and_a_status_link_that_opens_the_status_page(anon_api):
    OpenTierFactory()
    anon_api.post("/api/v1/enquiries/", application(contact_name="Ingrid O'Hara"), format="json")
    email = _one("enquiry.acknowledgement")
    assert email.subject == f"We have received your enquiry to join {NAME}"
    assert email.to == "ingrid@climeworks-nordic.example.com"
    assert "Dear Ingrid O'Hara," in email.body_text  # plain text is not HTML-escaped
    _branded(email)
    path = _status_path(email.body_text)
    assert path in email.body_html
    page = Client().get(path)
    assert page.status_code == 200 and "Climeworks Nordic" in page.content.decode()


def test_the_secretariat_notification_names_the_applicant_and_links_to_the_admin(anon_api):
    OpenTierFactory()
    anon_api.post("/api/v1/enquiries/", application(), format="json")
    email = _one("enquiry.notification")
    assert email.subject == "New enquiry to join: Climeworks Nordic (Company)"
    assert email.to == "secretariat@example.org" and email.reply_to == "ingrid@climeworks-nordic.example.com"
    assert re.search(r"http://127\.0\.0\.1:8000/admin/members/enquiry/\d+/change/", email.body_text)
    assert "We want to help make net-negative targets the norm." in email.body_text
    _branded(email)


def test_the_information_request_quotes_the_question_and_links_to_the_status_page(staff_user):
    enquiry = EnquiryFactory()
    services.enquiry_information_request(enquiry=enquiry, by=staff_user, message="Which gases are covered?")
    email = _one("enquiry.information_request")
    assert email.subject == f"A question about your enquiry to join {NAME}"
    assert "Which gases are covered?" in email.body_text and "Which gases are covered?" in email.body_html
    assert Client().get(_status_path(email.body_text)).status_code == 200
    _branded(email)


def test_the_decline_is_courteous_and_gives_the_reason(staff_user):
    enquiry = EnquiryFactory(contact_name="Ingrid Hansen")
    services.enquiry_decline(enquiry=enquiry, by=staff_user, reason="We only admit national governments.")
    email = _one("enquiry.declined")
    assert email.subject == f"Your enquiry to join {NAME}"
    assert email.body_text.startswith("Dear Ingrid Hansen,")
    assert "Thank you for your interest" in email.body_text and "welcome to apply again" in email.body_text
    assert "We only admit national governments." in email.body_text
    _branded(email)


def test_the_welcome_names_the_organisation_and_its_membership(staff_user):
    enquiry = EnquiryFactory(organisation_name="Carbon Removal Cooperative")
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    email = _one("enquiry.welcome")
    assert email.subject == f"Welcome to {NAME}, Carbon Removal Cooperative"
    assert "as Member" in email.body_text and "(active)" in email.body_text
    _branded(email)


def test_internal_notes_never_appear_in_any_email_to_the_applicant(staff_user):
    enquiry = EnquiryFactory()
    services.enquiry_note_add(enquiry=enquiry, author=staff_user, body="INTERNAL ONLY")
    services.enquiry_information_request(enquiry=enquiry, by=staff_user, message="Question?")
    services.enquiry_decline(enquiry=enquiry, by=staff_user, reason="Reason.")
    for email in OutboundEmail.objects.filter(to=enquiry.email):
        assert "INTERNAL ONLY" not in email.body_text and "INTERNAL ONLY" not in email.body_html
