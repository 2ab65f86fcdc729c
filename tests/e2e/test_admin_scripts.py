"""The scripts of two staff pages run under the Content-Security-Policy, in Chromium, without an error: the
periodic task form (django-celery-beat's admin) says the chosen crontab in words from a script served by
this site, and choosing a file on the climate data import page throws nothing."""

import pytest
from playwright.sync_api import expect

from tests.e2e.staff_sites import PostgresSite, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, mailbox):
    return PostgresSite(live_server, mailbox)


def _watch(page) -> tuple[list[str], list[str]]:
    """CSP violations reported on the console, and uncaught errors of the page's scripts."""
    violations: list[str] = []
    errors: list[str] = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return violations, errors


def test_the_periodic_task_form_says_the_chosen_crontab_in_words_without_an_inline_script(site, page):
    from django_celery_beat.models import CrontabSchedule

    early = CrontabSchedule.objects.create(minute="30", hour="4", timezone="UTC")
    weekly = CrontabSchedule.objects.create(minute="0", hour="9", day_of_week="1", timezone="UTC")
    violations, errors = _watch(page)
    log_in(page, site)
    page.goto(f"{site.url}/admin/django_celery_beat/periodictask/add/")

    in_words = page.locator("#id_crontab_in_words")
    expect(in_words).to_be_hidden()  # no crontab chosen yet
    page.select_option("#id_crontab", str(early.pk))
    expect(in_words).to_have_text(f"In words: {early.human_readable}")
    page.select_option("#id_crontab", str(weekly.pk))
    expect(in_words).to_have_text(f"In words: {weekly.human_readable}")
    assert "id_crontab_in_words" in page.get_attribute("#id_crontab", "aria-describedby").split()
    page.select_option("#id_crontab", "")
    expect(in_words).to_be_hidden()
    # The row the words replace, drawn once with the page, is not on the form.
    expect(page.get_by_text("Crontab translation")).to_have_count(0)
    page.shots("periodic-task-add")

    assert violations == []
    assert errors == []


def test_choosing_a_file_on_the_climate_data_import_page_raises_no_error(site, page):
    violations, errors = _watch(page)
    log_in(page, site)
    page.goto(f"{site.url}/staff/climate/import/")
    page.wait_for_load_state("load")  # unfold's app.js binds its file inputs on load
    page.set_input_files(
        "#id_file", files=[{"name": "tracker.csv", "mimeType": "text/csv", "buffer": b"id,name\n1,Denmark\n"}]
    )
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50)))")
    assert page.input_value("#id_file").endswith("tracker.csv")
    page.shots("climate-import-file-chosen")

    assert violations == []
    assert errors == []
