"""In Chromium, with the Content-Security-Policy on: the product's own scripts run (they carry the nonce),
no page reports a violation, and a script injected without the nonce does not run."""

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found


def test_public_and_staff_pages_run_their_scripts_and_report_no_violation(page, live_server, admin_user):
    from tests.members.enquiry_factories import OpenTierFactory
    from tests.newsletters.factories import NewsletterFactory

    OpenTierFactory()
    newsletter = NewsletterFactory()
    violations = _violations(page)
    for path in ["/", "/join/", "/subscribe/", "/members/", "/commitments/"]:
        page.goto(f"{live_server.url}{path}")

    # The join form's own inline script (with the nonce) moves the focus to the error summary.
    page.goto(f"{live_server.url}/join/")
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "error-summary"

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("[name=username]", admin_user.username)
    page.fill("[name=password]", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/admin/")
    for path in [
        "/dashboard/",
        "/admin/members/organisation/",
        f"/admin/newsletters/newsletter/{newsletter.pk}/change/",
    ]:
        page.goto(f"{live_server.url}{path}")
    assert violations == []


def test_a_script_without_the_nonce_does_not_run(page, live_server):
    violations = _violations(page)
    page.goto(f"{live_server.url}/join/")
    with pytest.raises(Exception):  # noqa: B017, PT011 - Playwright reports the blocked script as an error
        page.add_script_tag(content="window.injected = true;")
    assert page.evaluate("window.injected === undefined")
    assert violations
