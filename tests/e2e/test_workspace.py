"""The secretariat's workspace in a real browser, on PostgreSQL with a worker: one navigation reaches every
staff tool; Denmark's profile shows its membership, both commitments and its timeline without a form in
the way; an enquiry is approved by typing "Den" and choosing Denmark; an event participant is added by
name. Every page fits 1,280 and 390 px without horizontal scrolling (screenshots in
tests/e2e/screenshots/), and axe-core finds no serious or critical violation on the main pages."""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.staff_sites import docs_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)
# Navigation item → where it leads.
TOOLS = {
    "Organisations": "/admin/members/organisation/",
    "Contacts": "/admin/members/contact/",
    "Enquiries": "/admin/members/enquiry/?status__in=",
    "Campaigns": "/admin/campaigns/campaign/",
    "Events": "/admin/campaigns/event/",
    "Newsletters": "/admin/newsletters/newsletter/",
    "Subscribers": "/admin/newsletters/subscriber/",
    "Imports": "/staff/imports/",
    "Duplicates": "/staff/duplicates/",
    "Search": "/search/",
    "Dashboard": "/dashboard/",
}
SERIOUS = {"serious", "critical"}


@pytest.fixture
def staff_site(live_server, worker):
    """The live server on PostgreSQL with a real Celery worker (and the SMTP sink)."""
    return live_server


def _log_in(page, live_server, user) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})  # wide enough for the sidebar to stay open
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("[name=username]", user.username)
    page.fill("[name=password]", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/admin/")


def _fits(page, name: str) -> list[Path]:
    """Screenshot the page at each width and assert it never scrolls sideways."""
    shots = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(100)
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        path = SCREENSHOTS / f"workspace-{name}-{width}.png"
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(path))
        shots.append(path)
        assert scroll_width <= inner_width, (
            f"{name} at {width} px scrolls sideways: {scroll_width} > {inner_width}"
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    return shots


def _no_serious_violations(page, where: str) -> None:
    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]
    assert serious == [], f"{where}: {serious}"


def _nav(page, title: str):
    return page.locator(f"#nav-sidebar a:has(> span:text-is('{title}'))")


def _choose(page, field_id: str, typed: str, option: str) -> None:
    """Pick a record by name in an autocomplete (select2 over the admin's autocomplete view)."""
    page.click(f"#{field_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", typed)
    # The results of what was typed, not those of an earlier search still on screen (a busy machine).
    expect(page.locator(".select2-container--open .loading-results")).to_have_count(0)
    page.click(f".select2-container--open .select2-results__option:has-text('{option}')")
    expect(page.locator(f"#{field_id} option:checked")).to_contain_text(option)


def test_every_staff_tool_is_reached_from_the_dashboard_through_the_navigation(page, staff_site, admin_user):
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, staff_site, admin_user)
    page.goto(f"{staff_site.url}/dashboard/")
    _fits(page, "dashboard")
    assert page.locator("#nav-sidebar h2:text-is('System')").is_visible()
    for title, path in TOOLS.items():
        _nav(page, title).click()
        page.wait_for_load_state()
        assert path in page.url, (title, page.url)
        # The navigation and the search box are on every page.
        assert _nav(page, "Organisations").is_visible() and page.locator("#workspace-search-q").is_visible()
        _fits(page, title.lower())

    page.fill("#workspace-search-q", "nothing like this")
    page.press("#workspace-search-q", "Enter")
    page.wait_for_url("**/search/?q=nothing+like+this")


def test_denmarks_profile_shows_membership_both_commitments_and_the_timeline_without_a_form(
    page, staff_site, admin_user
):
    from members import demo
    from members.models import Organisation

    demo.load(profile="gone")
    denmark = Organisation.objects.get(kind="country", country="DK")
    _log_in(page, staff_site, admin_user)
    docs_screenshot(page, "dashboard")
    page.goto(f"{staff_site.url}/admin/members/organisation/{denmark.pk}/change/")
    docs_screenshot(page, "profile")

    assert page.locator("#organisation_form, textarea, input[name=name]").count() == 0
    membership = page.locator("#profile-membership")
    assert "Founding member" in membership.inner_text() and "Active" in membership.inner_text()
    assert page.locator("#tab-timeline").bounding_box()["y"] < 900  # the tabs are on the first screen
    _no_serious_violations(page, "organisation profile")
    _fits(page, "profile")

    page.click("#tab-commitments")
    commitments = page.locator("#panel-commitments")
    expect(commitments).to_be_visible()
    assert "Climate neutrality by 2045" in commitments.inner_text()
    assert "Emissions 110 % below 1990 by 2050" in commitments.inner_text()
    expect(page.locator("#panel-contacts")).to_be_hidden()
    _fits(page, "profile-commitments")

    page.click("#tab-timeline")
    timeline = page.locator("#panel-timeline")
    expect(timeline).to_be_visible()
    assert timeline.locator("li.timeline-membership").count() >= 1
    assert "Membership created: Founding member, Active" in timeline.inner_text()
    _fits(page, "profile-timeline")

    # The keyboard: arrow keys move along the tabs and show each panel; End and Home jump to the ends.
    page.focus("#tab-timeline")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#panel-commitments")).to_be_visible()
    expect(page.locator("#tab-commitments")).to_be_focused()
    expect(page.locator("#tab-commitments")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-commitments")).to_have_attribute("tabindex", "0")
    expect(page.locator("#tab-timeline")).to_have_attribute("tabindex", "-1")
    page.keyboard.press("Home")
    expect(page.locator("#panel-contacts")).to_be_visible()
    page.keyboard.press("ArrowLeft")  # from the first tab round to the last
    expect(page.locator(".profile-tablist [role=tab]").last).to_be_focused()

    page.click("#tab-membership")
    # Tabs switch in the browser: wait for the panel rather than read it at once.
    expect(page.locator("#panel-membership button[value=renew_memberships]")).to_be_visible()
    page.click("#profile-edit")
    page.wait_for_selector("input[name=name]")
    assert "edit=1" in page.url


def test_an_enquiry_is_approved_choosing_denmark_by_typing_den(page, staff_site, staff_user):
    from members.models import Enquiry
    from tests.members.enquiry_factories import EnquiryFactory
    from tests.members.factories import CountryFactory, OrganisationFactory

    denmark = CountryFactory(name="Denmark", country="DK")
    OrganisationFactory(name="Norsk Karbonfangst")
    enquiry = EnquiryFactory(organisation_name="Danish Ministry of Climate", country="DK")
    _log_in(page, staff_site, staff_user)
    page.goto(f"{staff_site.url}/admin/members/enquiry/{enquiry.pk}/change/")
    _no_serious_violations(page, "enquiry page")
    _fits(page, "enquiry")

    page.goto(f"{staff_site.url}/admin/members/enquiry/{enquiry.pk}/pipeline/approve/")
    page.check("[name=choice][value=other]")
    _choose(page, "id_organisation", "Den", "Denmark")
    _no_serious_violations(page, "enquiry approval")
    _fits(page, "enquiry-approve")
    page.click("#content form input[type=submit]")
    page.wait_for_url(f"**/admin/members/enquiry/{enquiry.pk}/change/")

    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.APPROVED and enquiry.organisation == denmark


def test_an_event_participant_is_added_by_name(page, staff_site, staff_user):
    from campaigns.models import EventParticipant
    from tests.campaigns.factories import EventFactory
    from tests.members.factories import ContactFactory, OrganisationFactory

    event = EventFactory(title="Removals roundtable")
    climeworks = OrganisationFactory(name="Climeworks")
    jan = ContactFactory(organisation=climeworks, name="Jan Wurzbacher")
    _log_in(page, staff_site, staff_user)
    page.goto(f"{staff_site.url}/admin/campaigns/event/{event.pk}/change/")
    assert page.locator("input[type=number][name$=organisation]").count() == 0
    _choose(page, "id_participants-0-organisation", "Climew", "Climeworks")
    _choose(page, "id_participants-0-contact", "Wurz", "Jan Wurzbacher")
    _fits(page, "event")
    page.click("[name=_save]")
    page.wait_for_url("**/admin/campaigns/event/")

    participant = EventParticipant.objects.get(event=event)
    assert (participant.organisation, participant.contact) == (climeworks, jan)


def test_the_import_page_and_the_public_pages_pass_axe(page, staff_site, admin_user):
    from tests.members.enquiry_factories import OpenTierFactory
    from tests.newsletters.factories import TopicFactory

    OpenTierFactory()
    for path in ["/", "/join/", "/subscribe/", "/members/", "/commitments/"]:
        page.goto(f"{staff_site.url}{path}")
        _no_serious_violations(page, path)
        _fits(page, "public" + path.strip("/").replace("/", "-"))
    TopicFactory(name="Removals news")
    _log_in(page, staff_site, admin_user)
    for path, name in [
        ("/dashboard/", "dashboard"),
        ("/staff/imports/", "imports"),
        # A list with the export button (the toolbar was an invalid list), one with editable cells, and
        # forms with a picker of several records and with topic boxes.
        ("/admin/members/organisation/", "organisation list"),
        ("/admin/newsletters/topic/", "topic list"),
        ("/admin/members/engagement/add/", "new engagement"),
        ("/admin/newsletters/subscriber/add/", "new subscriber"),
    ]:
        page.goto(f"{staff_site.url}{path}")
        _no_serious_violations(page, name)


def test_a_viewer_sees_no_system_group_and_no_edit_buttons(page, staff_site, viewer_user):
    from tests.members.factories import MembershipFactory

    membership = MembershipFactory()
    _log_in(page, staff_site, viewer_user)
    page.goto(f"{staff_site.url}/dashboard/")
    assert page.locator("#nav-sidebar h2:text-is('System')").count() == 0
    assert _nav(page, "Periodic tasks").count() == 0 and _nav(page, "API tokens").count() == 0
    _nav(page, "Organisations").click()
    page.wait_for_url("**/admin/members/organisation/")
    assert page.locator("a[href$='/admin/members/organisation/add/']").count() == 0
    page.goto(f"{staff_site.url}/admin/members/organisation/{membership.organisation_id}/change/")
    assert page.locator("#profile-edit").count() == 0 and page.locator(".membership-actions").count() == 0
    page.goto(f"{staff_site.url}/admin/members/membership/{membership.pk}/change/")
    assert page.locator("[name=_save], button[value=renew_memberships]").count() == 0


def test_a_communications_officer_sees_newsletters_and_subscribers_but_no_membership_actions(
    page, staff_site, comms_user
):
    from tests.members.factories import MembershipFactory

    membership = MembershipFactory()
    _log_in(page, staff_site, comms_user)
    page.goto(f"{staff_site.url}/dashboard/")
    assert page.locator("#nav-sidebar h2:text-is('System')").count() == 0
    for title, path in [
        ("Newsletters", "/admin/newsletters/newsletter/"),
        ("Subscribers", "/admin/newsletters/"),
    ]:
        _nav(page, title).click()
        page.wait_for_load_state()
        assert path in page.url
    page.goto(f"{staff_site.url}/admin/members/organisation/{membership.organisation_id}/change/")
    assert page.locator(".membership-actions button").count() == 0
    page.goto(f"{staff_site.url}/admin/members/membership/{membership.pk}/change/")
    assert page.locator("button[value=renew_memberships], button[value=suspend_memberships]").count() == 0
