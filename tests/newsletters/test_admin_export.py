"""Exporting the filtered subscriber and newsletter lists from the admin as CSV."""

import csv
import io

import pytest
from django.test import Client

from newsletters.models import Newsletter, Subscriber
from newsletters.resources import NewsletterResource, SubscriberResource

from .factories import NewsletterFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

CSV_FORMAT = "0"


def _form(resource_class) -> dict[str, str]:
    """What the export page posts with every column ticked (its default)."""
    data = {"format": CSV_FORMAT, "resource": "0"}
    for name in resource_class().get_export_order():
        data[f"{resource_class.__name__.lower()}_{name}"] = "on"
    return data


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_filtered_subscriber_list_exports_only_its_rows_as_csv(viewer_user):
    policy = TopicFactory(slug="removals-policy", name="Carbon removal policy")
    SubscriberFactory(email="ana@climeworks.example", name="Ana", topics=[policy])
    SubscriberFactory(email="bo@dac.example", name="Bo")
    SubscriberFactory(email="cy@ocean.example", status=Subscriber.Status.UNSUBSCRIBED, topics=[policy])

    response = _login(viewer_user).post(
        "/admin/newsletters/subscriber/export/?status__exact=confirmed&topics__id__exact=" + str(policy.pk),
        _form(SubscriberResource),
    )

    rows = _rows(response)
    assert [(r["email"], r["name"], r["topics"], r["status"]) for r in rows] == [
        ("ana@climeworks.example", "Ana", "removals-policy", "confirmed")
    ]


def test_an_exported_subscriber_sheet_imports_back_without_changing_anything(admin_user):
    from members.imports.services import import_run

    policy = TopicFactory(slug="removals-policy", name="Carbon removal policy")
    SubscriberFactory(email="ana@climeworks.example", topics=[policy])
    SubscriberFactory(email="left@ngo.example", status=Subscriber.Status.UNSUBSCRIBED)

    response = _login(admin_user).post("/admin/newsletters/subscriber/export/", _form(SubscriberResource))
    outcome = import_run(resource="subscribers", content=response.content, fmt="csv", by=admin_user)

    assert (outcome.created, outcome.updated, outcome.skipped, outcome.error_rows) == (0, 0, 2, 0)


def test_the_subscriber_export_costs_the_same_queries_for_5_and_50_rows(
    admin_user, django_assert_max_num_queries
):
    policy = TopicFactory(slug="removals-policy", name="Carbon removal policy")
    for _ in range(5):
        SubscriberFactory(topics=[policy])
    client = _login(admin_user)
    with django_assert_max_num_queries(20) as small:
        client.post("/admin/newsletters/subscriber/export/", _form(SubscriberResource))
    for _ in range(45):
        SubscriberFactory(topics=[policy])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.post("/admin/newsletters/subscriber/export/", _form(SubscriberResource))
    assert len(_rows(response)) == 50


def test_the_filtered_newsletter_list_exports_with_topics_and_delivery_counts(comms_user):
    policy = TopicFactory(slug="removals-policy", name="Carbon removal policy")
    NewsletterFactory(subject="Removals briefing: May", topics=[policy], status=Newsletter.Status.SENT)
    NewsletterFactory(subject="Draft for June", topics=[policy])

    response = _login(comms_user).post(
        "/admin/newsletters/newsletter/export/?status__exact=sent", _form(NewsletterResource)
    )

    rows = _rows(response)
    assert [(r["subject"], r["status"], r["topics"], r["recipients"]) for r in rows] == [
        ("Removals briefing: May", "sent", "removals-policy", "0")
    ]


def test_people_without_view_permission_cannot_export_subscribers(outsider_user, client):
    assert (
        _login(outsider_user)
        .post("/admin/newsletters/subscriber/export/", {"format": CSV_FORMAT})
        .status_code
        == 302
    )
    assert client.post("/admin/newsletters/subscriber/export/", {"format": CSV_FORMAT}).status_code == 302


def test_a_subscriber_s_own_data_export_still_answers_at_its_address(admin_user):
    subscriber = SubscriberFactory(email="gdpr@example.org")

    response = _login(admin_user).get(f"/admin/newsletters/subscriber/{subscriber.pk}/export/")
    page = _login(admin_user).get(f"/admin/newsletters/subscriber/{subscriber.pk}/change/")

    assert response.json()["email"] == "gdpr@example.org"
    assert f"/admin/newsletters/subscriber/{subscriber.pk}/export/" in page.content.decode()
