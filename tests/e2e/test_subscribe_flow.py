"""Subscribe, confirm from the emailed link, change preferences, unsubscribe."""

import pytest

from newsletters.models import Subscriber, Topic
from tests.e2e.conftest import first_link, local_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_visitor_subscribes_confirms_changes_preferences_and_unsubscribes(
    page, live_server, worker, mailbox, settings
):
    settings.SPAM_MIN_FORM_SECONDS = 1
    progress, _ = Topic.objects.get_or_create(
        slug="progress-updates", defaults={"name": "Progress updates", "public": True}
    )
    Topic.objects.filter(pk=progress.pk).update(public=True)
    Topic.objects.create(slug="events", name="Events and webinars", public=True)

    page.goto(f"{live_server.url}/subscribe/")
    page.shots("subscribe-form")
    page.fill("[name=email]", "lena@example.org")
    page.fill("[name=name]", "Lena")
    page.get_by_label("Progress updates").check()
    page.wait_for_timeout(1200)
    page.click("form button[type=submit]")
    page.wait_for_url("**/subscribe/thanks/**")
    page.shots("subscribe-thanks")
    assert Subscriber.objects.get(email="lena@example.org").status == Subscriber.Status.PENDING

    (confirmation,) = mailbox.wait_for(1)
    page.goto(local_link(first_link(confirmation, "/subscribe/confirm/"), live_server))
    page.shots("confirm")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=You are subscribed")
    page.shots("confirmed")
    assert Subscriber.objects.get(email="lena@example.org").status == Subscriber.Status.CONFIRMED

    page.click("text=Choose your topics")
    page.shots("preferences")
    page.fill("[name=name]", "Lena Berg")
    page.get_by_label("Events and webinars").check()
    page.click("form button[type=submit]")
    page.wait_for_selector("text=Your preferences are saved")
    page.shots("preferences-saved")
    subscriber = Subscriber.objects.get(email="lena@example.org")
    assert subscriber.name == "Lena Berg"
    assert set(subscriber.topics.values_list("slug", flat=True)) == {"progress-updates", "events"}

    page.click("text=Unsubscribe from all emails")
    page.shots("unsubscribe")
    assert (
        Subscriber.objects.get(email="lena@example.org").status == Subscriber.Status.CONFIRMED
    )  # GET: no change
    page.click("form button[type=submit]")
    page.shots("unsubscribed")
    assert Subscriber.objects.get(email="lena@example.org").status == Subscriber.Status.UNSUBSCRIBED
