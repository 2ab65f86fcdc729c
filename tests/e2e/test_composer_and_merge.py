"""The newsletter composer and the field-by-field merge, in a real browser on PostgreSQL with a worker.

Each page is checked at 1,280 and 390 px wide for horizontal scrolling, and with axe-core for serious or
critical accessibility violations. Screenshots go to tests/e2e/screenshots/.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.staff_sites import PostgresSite, docs_screenshot, log_in, wait_for_messages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_EMAIL = "staffer@secretariat.example.org"
WIDTHS = (1280, 390)


@pytest.fixture
def site(live_server, worker, mailbox):
    return PostgresSite(live_server, mailbox)


def _fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(150)
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{page.url} is {scroll_width} px wide in a {inner_width} px window"


def _fits_both_widths(page, name: str) -> None:
    for width in WIDTHS:
        _fits(page, width)
        page.shots(f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def _no_serious_accessibility_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], "\n".join(serious)


def _csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found


def _newsletter_with_two_topics():
    from tests.newsletters.factories import NewsletterFactory, TopicFactory, bulk_subscribers

    removals = TopicFactory(slug="composer-removals", name="Removals")
    finance = TopicFactory(slug="composer-finance", name="Climate finance")
    bulk_subscribers(removals, 3, prefix="composer-removals")
    bulk_subscribers(finance, 2, prefix="composer-finance")
    newsletter = NewsletterFactory(
        topics=[removals], subject="Removals briefing", preheader="", body_markdown="Hello {{ name }}."
    )
    return newsletter, removals, finance


def test_the_composer_previews_as_staff_type_counts_the_audience_tests_to_me_and_sends_after_confirming(
    site, page
):
    newsletter, _removals, finance = _newsletter_with_two_topics()
    violations = _csp_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, site)
    page.goto(f"{site.url}/admin/newsletters/newsletter/{newsletter.pk}/change/")

    # The preview is there before any edit, and follows typing without saving.
    preview = page.frame_locator("#preview-frame")
    expect(preview.locator("body")).to_contain_text("Hello")
    expect(page.locator("#preview-status")).to_have_text("Preview up to date.")
    body = page.locator("#id_body_markdown")
    body.click()
    body.press("End")
    body.press_sequentially("\n\n## Removals in NDCs\n\nDenmark aims for **110 %**.", delay=5)
    expect(preview.locator("h2")).to_have_text("Removals in NDCs")
    expect(preview.locator("strong")).to_have_text("110 %")
    page.click("#preview-tab-text")
    expect(page.locator("#preview-text")).to_be_visible()
    expect(page.locator("#preview-text")).to_contain_text("Denmark aims for 110 %.")
    expect(page.locator("#preview-frame")).to_be_hidden()
    page.keyboard.press("ArrowRight")  # the keyboard moves along the tabs too, round to the first
    expect(page.locator("#preview-tab-html")).to_be_focused()
    expect(page.locator("#preview-frame")).to_be_visible()
    expect(page.locator("#preview-text")).to_be_hidden()
    page.keyboard.press("End")
    expect(page.locator("#preview-text")).to_be_visible()
    page.click("#preview-tab-html")

    # Counters follow the subject and the preheader.
    expect(page.locator("#id_subject_counter")).to_have_text("17 / 200 characters")
    page.fill("#id_subject", "Removals briefing, edited")
    expect(page.locator("#id_subject_counter")).to_have_text("25 / 200 characters")
    page.fill("#id_preheader", "What changed in NDCs this month")
    expect(page.locator("#id_preheader_counter")).to_have_text("31 / 200 characters")
    expect(page.locator("#preview-subject")).to_have_text("Removals briefing, edited")

    # The audience count follows the topics ticked.
    expect(page.locator("#composer-audience")).to_have_text("Goes to 3 confirmed subscribers.")
    page.check(f"[name=topics][value='{finance.pk}']")
    expect(page.locator("#composer-audience")).to_have_text("Goes to 5 confirmed subscribers.")
    page.shots("composer-edited")
    docs_screenshot(page, "composer")

    # "Send test to me": the unsaved form, to the signed-in staff member, through the SMTP sink.
    page.click("#nl-test-me button[type=submit]")
    expect(page.locator("#test-result")).to_contain_text(STAFF_EMAIL)
    (test,) = wait_for_messages(site, lambda m: STAFF_EMAIL in str(m["To"]), 1)
    assert test["Subject"] == "[Test] Removals briefing, edited"
    assert "Denmark aims for" in test.get_body(preferencelist=("plain",)).get_content()

    # The schedule picker says the chosen time back, day first, in the secretariat's time zone.
    page.fill("#id_at", "2031-03-07T09:30")
    expect(page.locator("#id_at_echo")).to_contain_text("7 March 2031")
    expect(page.locator("#id_at_echo")).to_contain_text("09:30")

    _fits_both_widths(page, "composer")
    _no_serious_accessibility_violations(page)

    # Save, then confirm and send: the confirmation shows the audience size.
    # The review button is on the page before the save too: wait for the saved page.
    with page.expect_navigation():
        page.click("[name=_continue]")
    page.wait_for_selector("#nl-review")
    page.click("#nl-review")
    expect(page.locator("#confirm-audience")).to_have_text("5")
    _fits_both_widths(page, "composer-confirm")
    _no_serious_accessibility_violations(page)
    page.click("#nl-confirm-send button[type=submit]")
    page.wait_for_url(re.compile(rf"/admin/newsletters/newsletter/{newsletter.pk}/change/$"))
    expect(page.locator("#newsletter-status")).to_have_text("Sent", timeout=90_000)
    expect(page.locator("#newsletter-progress")).to_contain_text("100")
    outcome = page.locator("#newsletter-outcome")
    expect(outcome).to_be_visible()
    expect(outcome.locator("[data-outcome=delivered]")).to_have_text("5")
    expect(outcome.locator("[data-outcome=failed]")).to_have_text("0")
    page.shots("composer-sent")
    sent = wait_for_messages(site, lambda m: "composer-" in str(m["To"]), 5)
    assert len(sent) == 5 and {m["Subject"] for m in sent} == {"Removals briefing, edited"}
    assert violations == []


def test_two_organisations_are_merged_keeping_one_field_from_each_after_a_confirmation(site, page):
    from members.models import Contact, Organisation
    from tests.members.factories import ContactFactory, OrganisationFactory

    keep = OrganisationFactory(
        name="Climeworks AG", website="https://climeworks.com/", sector="technology", description=""
    )
    gone = OrganisationFactory(
        name="Climeworks", website="https://www.climeworks.com/en", sector="energy", description="DAC pioneer"
    )
    contact = ContactFactory(organisation=gone, name="Jan Wurzbacher")
    violations = _csp_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, site)

    page.goto(f"{site.url}/staff/duplicates/")
    pair = page.locator("tr.duplicate-pair", has_text="Climeworks AG")
    expect(pair).to_contain_text("same website domain")
    expect(pair).to_contain_text("names differ only by 'AG'")
    expect(page.locator("body")).not_to_contain_text("pg_trgm")
    _fits_both_widths(page, "duplicates")
    _no_serious_accessibility_violations(page)

    pair.get_by_role("link", name=re.compile("Compare and merge")).click()
    page.wait_for_selector("#merge-form")
    _fits_both_widths(page, "merge-compare")
    _no_serious_accessibility_violations(page)
    # Keep the older record with its website, but the other record's name and sector.
    page.check(f"[name=keep][value='{keep.pk}']")
    page.check(f"[name=field_name][value='{gone.pk}']")
    page.check(f"[name=field_sector][value='{gone.pk}']")
    page.check(f"[name=field_website][value='{keep.pk}']")
    page.click("#merge-review")

    expect(page.locator(".merge-summary")).to_contain_text("will be merged into")
    final = page.locator(".merge-final")
    expect(final).to_contain_text("https://climeworks.com/")
    expect(final).to_contain_text("Energy")
    _fits_both_widths(page, "merge-confirm")
    assert Organisation.objects.count() == 2  # nothing merged yet
    page.click("#merge-confirm")

    expect(page.get_by_text("Merged Climeworks into Climeworks")).to_be_visible()
    page.shots("merged")
    kept = Organisation.objects.get()
    assert kept.pk == keep.pk
    assert (kept.name, kept.website, kept.sector, kept.description) == (
        "Climeworks",
        "https://climeworks.com/",
        "energy",
        "DAC pioneer",
    )
    assert Contact.objects.get(pk=contact.pk).organisation_id == keep.pk
    assert kept.history.first().history_change_reason == f"Merged Climeworks (#{gone.pk}) into this record"
    assert violations == []
