"""The applicant's status page: signed expiring links, the stage without internal notes, answer, withdraw."""

import re
import time

import pytest

from coalition.models import OutboundEmail
from members.enquiries import services
from members.models import Enquiry
from tests.members.enquiry_factories import EnquiryFactory

pytestmark = pytest.mark.django_db
S = Enquiry.Status


def _path(enquiry) -> str:
    return f"/join/status/{services.enquiry_status_token(enquiry=enquiry)}/"


def test_the_status_page_shows_the_stage_but_never_internal_notes(client, staff_user):
    enquiry = EnquiryFactory()
    services.enquiry_note_add(enquiry=enquiry, author=staff_user, body="SECRET: their CEO was rude")
    services.enquiry_review_start(enquiry=enquiry, by=staff_user, note="PRIVATE transition note")
    response = client.get(_path(enquiry))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Under review" in html and enquiry.organisation_name in html
    assert "SECRET" not in html and "PRIVATE" not in html
    assert re.search(r"\bsam\b", html, re.IGNORECASE) is None  # nor who on the staff did what
    assert 'name="robots" content="noindex"' in html


def test_a_tampered_link_is_refused_with_a_way_forward(client):
    enquiry = EnquiryFactory()
    response = client.get(_path(enquiry)[:-3] + "xx/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode() and "secretariat@example.org" in response.content.decode()


def test_a_link_older_than_the_setting_has_expired(client, settings):
    enquiry = EnquiryFactory()
    path = _path(enquiry)
    assert client.get(path).status_code == 200
    settings.ENQUIRY_STATUS_LINK_MAX_AGE_DAYS = 0
    time.sleep(1.1)  # signed timestamps count whole seconds
    response = client.get(path)
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_the_applicant_answers_an_information_request_on_the_status_page(client, staff_user):
    enquiry = EnquiryFactory(assignee=staff_user, status=S.UNDER_REVIEW)
    services.enquiry_information_request(enquiry=enquiry, by=staff_user, message="Which gases does it cover?")
    page = client.get(_path(enquiry)).content.decode()
    assert "Which gases does it cover?" in page and 'name="answer-answer"' in page
    response = client.post(_path(enquiry), {"action": "answer", "answer-answer": "All greenhouse gases."})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == S.UNDER_REVIEW and enquiry.applicant_reply == "All greenhouse gases."
    assert enquiry.transitions.latest("at", "pk").by_applicant
    told = OutboundEmail.objects.get(kind="enquiry.applicant_answered")
    assert told.to == staff_user.email and "All greenhouse gases." in told.body_text


def test_an_empty_answer_is_refused_with_a_message(client, staff_user):
    enquiry = EnquiryFactory(status=S.AWAITING_INFORMATION, information_request="Which year?")
    response = client.post(_path(enquiry), {"action": "answer", "answer-answer": ""})
    assert response.status_code == 400 and "Please write your answer." in response.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == S.AWAITING_INFORMATION


def test_the_applicant_can_withdraw_from_the_status_page(client):
    enquiry = EnquiryFactory()
    assert client.post(_path(enquiry), {"action": "withdraw"}).status_code == 400  # the box is not ticked
    response = client.post(_path(enquiry), {"action": "withdraw", "withdraw-confirm": "on"}, follow=True)
    assert response.status_code == 200 and "Withdrawn" in response.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == S.WITHDRAWN and enquiry.transitions.get().by_applicant


def test_a_closed_enquiry_offers_no_forms_and_refuses_a_late_withdrawal(client):
    enquiry = EnquiryFactory(status=S.APPROVED)
    page = client.get(_path(enquiry)).content.decode()
    assert "withdraw-confirm" not in page and "answer-answer" not in page
    response = client.post(_path(enquiry), {"action": "withdraw", "withdraw-confirm": "on"})
    assert response.status_code == 400 and "cannot become withdrawn" in response.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == S.APPROVED


def test_spam_is_shown_to_the_sender_as_closed(client):
    enquiry = EnquiryFactory(status=S.SPAM)
    html = client.get(_path(enquiry)).content.decode()
    assert "Closed" in html and "Spam" not in html and "spam" not in html
