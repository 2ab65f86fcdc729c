"""Why a sending newsletter does not move: the messages waiting for a retry after the mail server refused
them (our login, our sender, a dropped connection, or these recipients for now), what the server said and
when the next try is, on the newsletter's page, in its progress JSON and in the API's send summary."""

import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from newsletters import selectors
from newsletters.models import Delivery, Newsletter
from newsletters.sending import services as sending

from ..conftest import api_client_for
from .factories import NewsletterFactory, TopicFactory, bulk_subscribers

pytestmark = pytest.mark.django_db

ZONE = "Europe/Copenhagen"
REFUSED = "535 5.7.8 Authentication failed"


@pytest.fixture(autouse=True)
def _site_zone(settings):
    # Not UTC, so a time written in UTC instead of the site's zone shows.
    settings.TIME_ZONE = ZONE
    settings.NEWSLETTER_RATE_LIMIT = 0


@pytest.fixture
def comms_client(client, comms_user):
    client.force_login(comms_user)
    return client


def sending_newsletter(n: int, *, prefix: str) -> Newsletter:
    topic = TopicFactory(slug=f"waiting-{prefix}")
    bulk_subscribers(topic, n, prefix=prefix)
    newsletter = NewsletterFactory(topics=[topic])
    return sending.newsletter_send(newsletter=newsletter)


def wait(rows, *, minutes: int, error: str) -> None:
    """Hand rows back as the batch sender does after a refusal: queued, a next try, the server's words."""
    Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=Delivery.Status.QUEUED,
        next_attempt_at=timezone.now() + timedelta(minutes=minutes),
        last_error=error,
    )


def local_hour(value) -> str:
    return value.astimezone(zoneinfo.ZoneInfo(ZONE)).strftime("%H:%M")


def waiting_line(html: str) -> str:
    found = re.search(r'<p class="newsletter-waiting"[^>]*>(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def page(client, newsletter: Newsletter) -> str:
    response = client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def progress(client, newsletter: Newsletter) -> dict:
    response = client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/progress/")
    assert response.status_code == 200
    return response.json()


def test_the_page_and_its_progress_say_how_many_wait_what_the_server_said_and_when_the_next_try_is(
    comms_client,
):
    newsletter = sending_newsletter(6, prefix="refused")
    rows = list(Delivery.objects.filter(newsletter=newsletter).order_by("id"))
    wait(rows[:3], minutes=50, error=REFUSED)
    wait(rows[3:4], minutes=40, error=REFUSED)  # the first due
    Delivery.objects.filter(pk=rows[4].pk).update(status=Delivery.Status.SENT)
    first_try = Delivery.objects.get(pk=rows[3].pk).next_attempt_at

    line = waiting_line(page(comms_client, newsletter))
    assert "Waiting:" in line
    assert "4 messages wait for a retry — the mail server said:" in line
    assert REFUSED in line
    assert "Next try at <time datetime=" in line
    assert f"{local_hour(first_try)}</time> ({ZONE})." in line
    assert local_hour(first_try) != first_try.astimezone(zoneinfo.ZoneInfo("UTC")).strftime("%H:%M")

    polled = progress(comms_client, newsletter)
    # The page's script puts "html" into the panel as it polls: the line comes back with it.
    assert waiting_line(polled["html"]) == line
    assert polled["waiting"]["count"] == 4
    assert polled["waiting"]["reason"] == REFUSED and polled["waiting"]["reason_count"] == 4
    assert polled["waiting"]["next_attempt_local"].endswith(local_hour(first_try))
    assert polled["waiting"]["time_zone"] == ZONE
    assert polled["queued"] == 5 and polled["sent"] == 1  # the counts are as before


def test_a_paused_newsletter_says_its_messages_wait_for_it_to_resume(comms_client):
    newsletter = sending_newsletter(2, prefix="paused")
    wait(Delivery.objects.filter(newsletter=newsletter)[:1], minutes=30, error=REFUSED)
    sending.newsletter_pause(newsletter=newsletter)

    line = waiting_line(page(comms_client, newsletter))
    assert "1 message waits for a retry — the mail server said:" in line and REFUSED in line
    assert "Sending is paused: it is tried again once sending resumes, not before" in line
    assert "Next try at" not in line


def test_with_different_answers_the_line_gives_the_most_common_and_how_many_got_it(comms_client):
    newsletter = sending_newsletter(5, prefix="mixed")
    rows = list(Delivery.objects.filter(newsletter=newsletter).order_by("id"))
    wait(rows[:3], minutes=20, error="451 4.7.1 Greylisted, try again later")
    wait(rows[3:4], minutes=10, error="452 4.2.2 Mailbox full")

    line = waiting_line(page(comms_client, newsletter))
    assert "4 messages wait for a retry — for 3 of them the mail server said:" in line
    assert "451 4.7.1 Greylisted, try again later" in line and "Mailbox full" not in line


def test_no_waiting_line_when_no_row_waits_for_a_later_try(comms_client):
    newsletter = sending_newsletter(3, prefix="moving")
    rows = list(Delivery.objects.filter(newsletter=newsletter).order_by("id"))
    # Due already (its time has passed) and never refused (no next try): neither is waiting.
    Delivery.objects.filter(pk=rows[0].pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1), last_error=REFUSED
    )
    Delivery.objects.filter(pk=rows[1].pk).update(next_attempt_at=None, last_error=REFUSED)
    # Sent after a refusal: done, not waiting.
    wait(rows[2:3], minutes=30, error=REFUSED)
    Delivery.objects.filter(pk=rows[2].pk).update(status=Delivery.Status.SENT)

    html = page(comms_client, newsletter)
    assert 'id="newsletter-progress"' in html and 'role="progressbar"' in html
    assert "newsletter-waiting" not in html and "wait for a retry" not in html
    polled = progress(comms_client, newsletter)
    assert polled["waiting"] is None and "newsletter-waiting" not in polled["html"]
    assert selectors.newsletter_waiting(newsletter=newsletter) is None


def test_the_servers_words_are_escaped(comms_client):
    newsletter = sending_newsletter(1, prefix="escape")
    hostile = '550 <script>alert("x")</script><img src=x onerror=alert(1)>'
    wait(Delivery.objects.filter(newsletter=newsletter), minutes=15, error=hostile)

    for html in (page(comms_client, newsletter), progress(comms_client, newsletter)["html"]):
        line = waiting_line(html)
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in line
        assert "<script>" not in line and "<img" not in line
        assert "<script>alert" not in html


def test_the_selector_reads_the_waiting_rows_in_two_queries_however_many_there_are(
    django_assert_max_num_queries,
):
    newsletter = sending_newsletter(40, prefix="queries")
    rows = list(Delivery.objects.filter(newsletter=newsletter).order_by("id"))
    wait(rows[:25], minutes=30, error=REFUSED)
    wait(rows[25:35], minutes=5, error="421 4.4.2 Connection dropped")
    soonest = Delivery.objects.get(pk=rows[25].pk).next_attempt_at

    with django_assert_max_num_queries(2):
        waiting = selectors.newsletter_waiting(newsletter=newsletter)
    assert waiting == selectors.Waiting(count=35, next_attempt_at=soonest, reason=REFUSED, reason_count=25)

    Newsletter.objects.filter(pk=newsletter.pk).update(status=Newsletter.Status.CANCELLED)
    newsletter.refresh_from_db()
    with django_assert_max_num_queries(0):
        assert selectors.newsletter_waiting(newsletter=newsletter) is None


def test_the_api_send_summary_says_what_waits_and_keeps_its_keys(comms_user):
    newsletter = sending_newsletter(3, prefix="summary")
    rows = list(Delivery.objects.filter(newsletter=newsletter).order_by("id"))
    wait(rows[:2], minutes=25, error=REFUSED)
    soonest = Delivery.objects.get(pk=rows[0].pk).next_attempt_at

    summary = api_client_for(comms_user).get(f"/api/v1/newsletters/{newsletter.pk}/summary/").json()
    assert summary["waiting_for_retry"] == 2 and summary["queued"] == 3
    assert summary["failed_deliveries"] == []
    assert summary["waiting"]["count"] == 2
    assert summary["waiting"]["reason"] == REFUSED and summary["waiting"]["reason_count"] == 2
    # The API speaks UTC.
    written = summary["waiting"]["next_attempt_at"]
    assert written.endswith(("Z", "+00:00")) and datetime.fromisoformat(written) == soonest

    Delivery.objects.filter(newsletter=newsletter).update(next_attempt_at=None)
    summary = api_client_for(comms_user).get(f"/api/v1/newsletters/{newsletter.pk}/summary/").json()
    assert summary["waiting_for_retry"] == 0 and summary["waiting"] is None
