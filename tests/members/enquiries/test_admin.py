"""The enquiry pipeline in the admin: buttons and list actions that call the services."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from coalition.models import OutboundEmail
from members.models import Enquiry, EnquiryNote, Organisation
from tests.members.enquiry_factories import EnquiryFactory
from tests.members.factories import ContactFactory, MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
S = Enquiry.Status


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _change(enquiry) -> str:
    return reverse("admin:members_enquiry_change", args=[enquiry.pk])


def _step(enquiry, step: str) -> str:
    return reverse("admin:members_enquiry_pipeline", args=[enquiry.pk, step])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_change_page_shows_the_suggested_match_and_the_allowed_steps(staff_client):
    organisation = OrganisationFactory(name="Existing Removals Co")
    contact = ContactFactory(organisation=organisation, email="known@example.org")
    enquiry = EnquiryFactory(suggested_organisation=organisation, suggested_contact=contact)
    html = staff_client.get(_change(enquiry)).content.decode()
    assert "Existing Removals Co" in html and "known@example.org" in html
    assert "choose to link the suggested organisation or create a new one" in html
    for step in ("review", "request_information", "approve", "decline", "spam"):
        assert _step(enquiry, step) in html


def test_a_closed_enquiry_shows_no_steps(staff_client):
    enquiry = EnquiryFactory(status=S.WITHDRAWN)
    html = staff_client.get(_change(enquiry)).content.decode()
    assert "This enquiry is closed." in html and _step(enquiry, "approve") not in html


def test_the_changelist_lists_enquiries(staff_client):
    EnquiryFactory(organisation_name="Listed Applicant")
    response = staff_client.get(reverse("admin:members_enquiry_changelist"))
    assert response.status_code == 200 and "Listed Applicant" in response.content.decode()


def test_approving_in_the_admin_can_link_the_suggested_organisation(staff_client, staff_user):
    organisation = OrganisationFactory()
    enquiry = EnquiryFactory(suggested_organisation=organisation)
    page = staff_client.get(_step(enquiry, "approve")).content.decode()
    assert f"Link the suggested match: {organisation.name}" in page
    response = staff_client.post(
        _step(enquiry, "approve"), {"choice": "link", "tier": enquiry.requested_tier_id}
    )
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == S.APPROVED and enquiry.organisation == organisation
    assert enquiry.transitions.get().by == staff_user


def test_approving_in_the_admin_can_create_a_new_organisation(staff_client):
    suggested = OrganisationFactory()
    enquiry = EnquiryFactory(suggested_organisation=suggested, organisation_name="Newcomer")
    staff_client.post(_step(enquiry, "approve"), {"choice": "create", "tier": enquiry.requested_tier_id})
    enquiry.refresh_from_db()
    assert enquiry.organisation.name == "Newcomer" and enquiry.organisation != suggested


def test_approving_in_the_admin_can_link_another_organisation_chosen_in_the_picker(staff_client):
    other = OrganisationFactory()
    enquiry = EnquiryFactory()
    response = staff_client.post(
        _step(enquiry, "approve"), {"choice": "other", "tier": enquiry.requested_tier_id}
    )
    assert response.status_code == 200 and "Choose the organisation to link." in response.content.decode()
    staff_client.post(
        _step(enquiry, "approve"),
        {"choice": "other", "organisation": other.pk, "tier": enquiry.requested_tier_id},
    )
    enquiry.refresh_from_db()
    assert enquiry.organisation == other


def test_declining_in_the_admin_needs_a_reason_and_sends_it(staff_client):
    enquiry = EnquiryFactory()
    response = staff_client.post(_step(enquiry, "decline"), {"reason": ""})
    assert response.status_code == 200 and Enquiry.objects.get(pk=enquiry.pk).status == S.RECEIVED
    response = staff_client.post(_step(enquiry, "decline"), {"reason": "Members must be governments."})
    assert response.status_code == 302
    assert "Members must be governments." in OutboundEmail.objects.get(kind="enquiry.declined").body_text


def test_requesting_information_in_the_admin_emails_the_applicant(staff_client):
    enquiry = EnquiryFactory()
    staff_client.post(_step(enquiry, "request_information"), {"message": "What is your baseline year?"})
    enquiry.refresh_from_db()
    assert enquiry.status == S.AWAITING_INFORMATION
    assert OutboundEmail.objects.get(kind="enquiry.information_request").to == enquiry.email


def test_an_illegal_step_in_the_admin_says_why_and_changes_nothing(staff_client):
    enquiry = EnquiryFactory(status=S.DECLINED)
    response = staff_client.post(_step(enquiry, "spam"))
    assert response.status_code == 302
    messages = _messages(response)
    assert any("Nothing was changed" in m and "declined" in m for m in messages), messages
    assert Enquiry.objects.get(pk=enquiry.pk).status == S.DECLINED


def test_a_viewer_cannot_move_an_enquiry_in_the_admin(client, viewer_user):
    client.force_login(viewer_user)
    enquiry = EnquiryFactory()
    assert client.post(_step(enquiry, "spam")).status_code == 403
    assert Enquiry.objects.get(pk=enquiry.pk).status == S.RECEIVED


def test_notes_and_assignee_saved_in_the_admin_go_through_the_services(staff_client, staff_user):
    enquiry = EnquiryFactory()
    data = {
        "assignee": staff_user.pk,
        "requested_tier": enquiry.requested_tier_id,
        "notes-TOTAL_FORMS": "1",
        "notes-INITIAL_FORMS": "0",
        "notes-MIN_NUM_FORMS": "0",
        "notes-MAX_NUM_FORMS": "1000",
        "notes-0-body": "Spoke to them at the side event.",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
        "transitions-MIN_NUM_FORMS": "0",
        "transitions-MAX_NUM_FORMS": "0",
        "_continue": "Save",
    }
    response = staff_client.post(_change(enquiry), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    enquiry.refresh_from_db()
    assert enquiry.assignee == staff_user and enquiry.status == S.UNDER_REVIEW
    note = EnquiryNote.objects.get()
    assert note.author == staff_user and note.body == "Spoke to them at the side event."


def test_list_actions_move_what_they_can_and_report_the_rest(staff_client):
    open_one = EnquiryFactory()
    closed = EnquiryFactory(status=S.APPROVED, organisation_name="Already Approved")
    response = staff_client.post(
        reverse("admin:members_enquiry_changelist"),
        {"action": "mark_spam", "_selected_action": [open_one.pk, closed.pk]},
    )
    assert response.status_code == 302
    messages = _messages(response)
    assert any("1 enquiry marked as spam" in m for m in messages)
    assert any("Already Approved" in m for m in messages)
    assert Enquiry.objects.get(pk=open_one.pk).status == S.SPAM
    assert Enquiry.objects.get(pk=closed.pk).status == S.APPROVED


def test_bulk_approval_links_the_suggested_match(staff_client):
    organisation = OrganisationFactory()
    enquiry = EnquiryFactory(suggested_organisation=organisation)
    staff_client.post(
        reverse("admin:members_enquiry_changelist"),
        {"action": "approve_with_suggested_match", "_selected_action": [enquiry.pk]},
    )
    enquiry.refresh_from_db()
    assert enquiry.status == S.APPROVED and enquiry.organisation == organisation
    assert Organisation.objects.count() == 1


def test_changing_the_requested_tier_in_the_admin_goes_through_the_service(staff_client):
    enquiry = EnquiryFactory()
    other_tier = MembershipTierFactory(name="Observer", slug="observer")
    before = enquiry.last_activity_at
    data = {
        "assignee": "",
        "requested_tier": other_tier.pk,
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
        "_continue": "Save",
    }
    response = staff_client.post(_change(enquiry), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    enquiry.refresh_from_db()
    assert enquiry.requested_tier == other_tier
    assert enquiry.last_activity_at > before  # the service records the activity; a bare update did not


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (S.RECEIVED, "still owed an answer"),
        (S.UNDER_REVIEW, "still owed an answer"),
        (S.APPROVED, "how the member joined"),
    ],
)
def test_an_open_or_approved_enquiry_is_not_deleted_and_the_page_says_why(client, admin_user, status, why):
    enquiry = EnquiryFactory(status=status)
    client.force_login(admin_user)
    url = reverse("admin:members_enquiry_delete", args=[enquiry.pk])
    page = client.get(url).content.decode()
    assert why in page and "Yes, I’m sure" not in page
    client.post(url, {"post": "yes"})
    client.post(
        reverse("admin:members_enquiry_changelist"),
        {"action": "delete_selected", "_selected_action": [enquiry.pk], "post": "yes"},
    )
    assert Enquiry.objects.filter(pk=enquiry.pk).exists()


def test_spam_declined_and_withdrawn_enquiries_are_deleted_with_their_notes(client, admin_user):
    spam, declined, withdrawn = (EnquiryFactory(status=s) for s in (S.SPAM, S.DECLINED, S.WITHDRAWN))
    EnquiryNote.objects.create(enquiry=spam, body="Obvious spam")
    client.force_login(admin_user)
    client.post(reverse("admin:members_enquiry_delete", args=[spam.pk]), {"post": "yes"})
    client.post(
        reverse("admin:members_enquiry_changelist"),
        {"action": "delete_selected", "_selected_action": [declined.pk, withdrawn.pk], "post": "yes"},
    )
    assert not Enquiry.objects.exists() and not EnquiryNote.objects.exists()
