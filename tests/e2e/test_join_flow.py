"""Apply through /join/, approve as staff in the admin, and find the new member in /members/."""

import pytest

from members.models import Enquiry, Membership, MembershipTier
from tests.conftest import PASSWORD
from tests.e2e.conftest import first_link, local_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_applicant_joins_is_approved_and_appears_in_the_member_directory(
    page, live_server, worker, mailbox, admin_user, settings
):
    settings.SPAM_MIN_FORM_SECONDS = 1
    MembershipTier.objects.create(name="Member", slug="member", period_months=12, open_to_applicants=True)

    page.goto(f"{live_server.url}/join/")
    page.shots("join-form")
    page.fill("[name=organisation_name]", "Nordic Carbon Removal")
    page.select_option("[name=organisation_kind]", "company")
    page.select_option("[name=country]", "DK")
    page.fill("[name=website]", "https://nordic-removal.example.com")
    page.fill("[name=contact_name]", "Ingrid Hansen")
    page.fill("[name=email]", "ingrid@nordic-removal.example.com")
    page.fill("[name=job_title]", "Head of Sustainability")
    page.fill("[name=motivation]", "We remove CO2 from the air and want net-negative targets to be the norm.")
    page.select_option("[name=requested_tier]", label="Member")
    page.check("[name=consent_to_contact]")
    page.check("[name=list_publicly]")
    page.wait_for_timeout(1200)  # a person takes longer than the anti-bot minimum
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url("**/join/thanks/**")
    page.shots("thanks")
    enquiry = Enquiry.objects.get()
    assert enquiry.status == Enquiry.Status.RECEIVED

    mailbox.wait_for(2)  # the acknowledgement and the secretariat's notification
    (ack,) = mailbox.to("ingrid@nordic-removal.example.com")
    page.goto(local_link(first_link(ack, "/join/status/"), live_server))
    page.shots("status-received")
    assert "Received" in page.inner_text("main")

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("[name=username]", admin_user.username)
    page.fill("[name=password]", PASSWORD)
    page.click("#login-form [type=submit]")
    page.goto(f"{live_server.url}/admin/members/enquiry/{enquiry.pk}/change/")
    page.shots("admin-enquiry")
    page.goto(f"{live_server.url}/admin/members/enquiry/{enquiry.pk}/pipeline/approve/")
    page.shots("admin-approve")
    page.click("form input[type=submit]")
    page.wait_for_url(f"**/admin/members/enquiry/{enquiry.pk}/change/")
    page.shots("admin-approved")
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.APPROVED
    assert Membership.objects.get(organisation=enquiry.organisation).status == Membership.Status.ACTIVE

    page.goto(f"{live_server.url}/members/")
    page.shots("member-directory")
    assert "Nordic Carbon Removal" in page.inner_text("main")
    welcome = [m for m in mailbox.settle() if "ingrid@" in str(m["To"]) and m is not ack]
    assert len(welcome) == 1
