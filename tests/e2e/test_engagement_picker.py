"""Logging an engagement in a browser: the contact picker offers the people of the organisation chosen on
the form, by name, and nobody from another organisation (the engagement service refuses them anyway)."""

import pytest
from playwright.sync_api import expect

from members import services
from tests.e2e.staff_sites import PostgresSite, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, mailbox):
    return PostgresSite(live_server, mailbox)


def _open_picker(page, field: str, search: str) -> None:
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", search)


def test_the_engagement_contact_picker_offers_only_the_chosen_organisations_people(site, page):
    ours = services.organisation_create(name="Kelp Removal Co", kind="company")
    theirs = services.organisation_create(name="Basalt Capture AS", kind="company")
    services.contact_create(organisation=ours, name="Anna Lindqvist", email="anna@kelp.example")
    services.contact_create(organisation=theirs, name="Anna Berg", email="anna@basalt.example")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, site)
    page.goto(f"{site.url}/admin/members/engagement/add/")

    page.click("#id_organisation + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "Kelp")
    page.click(".select2-results__option:has-text('Kelp Removal Co')")

    _open_picker(page, "contacts", "Anna")
    options = page.locator(".select2-container--open .select2-results__option")
    expect(options.filter(has_text="Anna Lindqvist")).to_have_count(1)
    expect(options.filter(has_text="Anna Berg")).to_have_count(0)
    options.filter(has_text="Anna Lindqvist").click()
    expect(page.locator("#id_contacts + .select2 .select2-selection__choice")).to_contain_text(
        "Anna Lindqvist"
    )
    assert errors == []
