"""A newsletter that went to subscribers keeps its record of who received it: neither the admin (its page,
its list's "Delete selected") nor the API deletes it, nor its deliveries, nor the bounces that suppressed an
address. One that never went to anyone (a draft, a scheduled or held one, one cancelled before its first
delivery) is deleted through ``newsletter_delete`` from every door."""

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletters.models import BounceEvent, Delivery, Newsletter, NewsletterTranslation
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

S = Newsletter.Status


def _sent_newsletter(status=S.SENT, delivery_status=Delivery.Status.SENT, attempts=1) -> Newsletter:
    topic = TopicFactory()
    newsletter = NewsletterFactory(topics=[topic], status=status)
    for subscriber in (SubscriberFactory(topics=[topic]), SubscriberFactory(topics=[topic])):
        Delivery.objects.create(
            newsletter=newsletter, subscriber=subscriber, status=delivery_status, attempts=attempts
        )
    return newsletter


@pytest.mark.parametrize("status", [S.SENT, S.SENDING, S.PAUSED])
def test_the_api_refuses_to_delete_a_newsletter_that_went_out_and_keeps_its_deliveries(admin_api, status):
    newsletter = _sent_newsletter(status=status)
    response = admin_api.delete(f"/api/v1/newsletters/{newsletter.pk}/")
    assert response.status_code == 409
    assert "its deliveries are the record of who received it" in response.json()["detail"]
    assert Newsletter.objects.filter(pk=newsletter.pk).exists()
    assert Delivery.objects.filter(newsletter=newsletter).count() == 2


def test_a_newsletter_cancelled_after_it_went_out_is_kept_one_cancelled_before_is_deleted(admin_api):
    went_out = _sent_newsletter(status=S.CANCELLED)
    response = admin_api.delete(f"/api/v1/newsletters/{went_out.pk}/")
    assert response.status_code == 409
    assert "cancelled after going out to 2 subscribers" in response.json()["detail"]
    never = _sent_newsletter(status=S.CANCELLED, delivery_status=Delivery.Status.CANCELLED, attempts=0)
    assert admin_api.delete(f"/api/v1/newsletters/{never.pk}/").status_code == 204
    assert not Newsletter.objects.filter(pk=never.pk).exists()
    assert Newsletter.objects.filter(pk=went_out.pk).exists()


@pytest.mark.parametrize("status", [S.DRAFT, S.SCHEDULED, S.HELD])
def test_a_newsletter_that_never_went_out_is_deleted_with_its_versions(admin_api, status):
    newsletter = NewsletterFactory(status=status)
    NewsletterTranslation.objects.create(newsletter=newsletter, language="fr", subject="Bulletin")
    assert admin_api.delete(f"/api/v1/newsletters/{newsletter.pk}/").status_code == 204
    assert not Newsletter.objects.exists() and not NewsletterTranslation.objects.exists()


def test_the_admin_delete_page_of_a_sent_newsletter_says_why_and_a_forged_post_deletes_nothing(admin_client):
    newsletter = _sent_newsletter()
    url = reverse("admin:newsletters_newsletter_delete", args=[newsletter.pk])
    page = admin_client.get(url).content.decode()
    assert "its deliveries are the record of who received it" in page
    assert "Yes, I’m sure" not in page
    admin_client.post(url, {"post": "yes"})
    assert Newsletter.objects.filter(pk=newsletter.pk).exists()
    assert Delivery.objects.filter(newsletter=newsletter).count() == 2


def test_delete_selected_in_the_admin_list_deletes_drafts_and_stops_at_a_sent_newsletter(admin_client):
    changelist = reverse("admin:newsletters_newsletter_changelist")
    draft, other = NewsletterFactory(), NewsletterFactory()
    admin_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [draft.pk, other.pk], "post": "yes"},
    )
    assert not Newsletter.objects.exists()
    sent, draft = _sent_newsletter(), NewsletterFactory()
    page = admin_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [sent.pk, draft.pk], "post": "yes"},
    ).content.decode()
    assert "its deliveries are the record of who received it" in page
    assert set(Newsletter.objects.values_list("pk", flat=True)) == {sent.pk, draft.pk}


def test_delete_selected_of_versions_goes_through_the_service(admin_client):
    sent = _sent_newsletter()
    version = NewsletterTranslation.objects.create(newsletter=sent, language="es", subject="Boletín")
    admin_client.post(
        reverse("admin:newsletters_newslettertranslation_changelist"),
        {"action": "delete_selected", "_selected_action": [version.pk], "post": "yes"},
    )
    # The version of a sent newsletter is what its Spanish readers received: it stays.
    assert NewsletterTranslation.objects.filter(pk=version.pk).exists()


def test_deliveries_and_bounces_are_read_only_in_the_admin(admin_client):
    newsletter = _sent_newsletter()
    delivery = Delivery.objects.filter(newsletter=newsletter).first()
    bounce = BounceEvent.objects.create(
        subscriber=delivery.subscriber,
        kind=BounceEvent.Kind.HARD_BOUNCE,
        provider="smtp",
        description="550",
        occurred_at=timezone.now(),
    )
    for url in (
        reverse("admin:newsletters_delivery_delete", args=[delivery.pk]),
        reverse("admin:newsletters_bounceevent_delete", args=[bounce.pk]),
    ):
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
    for changelist, pk in (
        (reverse("admin:newsletters_delivery_changelist"), delivery.pk),
        (reverse("admin:newsletters_bounceevent_changelist"), bounce.pk),
    ):
        admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    response = admin_client.post(
        reverse("admin:newsletters_bounceevent_change", args=[bounce.pk]),
        {
            "subscriber": delivery.subscriber.pk,
            "kind": "soft_bounce",
            "provider": "x",
            "description": "edited",
        },
    )
    assert response.status_code in (200, 403)
    assert Delivery.objects.filter(pk=delivery.pk).exists()
    bounce.refresh_from_db()
    assert bounce.kind == BounceEvent.Kind.HARD_BOUNCE and bounce.description == "550"


def test_the_delete_page_of_a_sent_newsletters_version_says_why_instead_of_failing(admin_client):
    version = NewsletterTranslation.objects.create(
        newsletter=_sent_newsletter(), language="fr", subject="Bulletin"
    )
    url = reverse("admin:newsletters_newslettertranslation_delete", args=[version.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "this version is what its readers received" in page.content.decode()
    assert admin_client.post(url, {"post": "yes"}).status_code == 200
    assert NewsletterTranslation.objects.filter(pk=version.pk).exists()


def test_a_subscriber_with_bounces_is_still_erased_from_the_admin(admin_client):
    subscriber = SubscriberFactory()
    BounceEvent.objects.create(
        subscriber=subscriber, kind=BounceEvent.Kind.SOFT_BOUNCE, provider="smtp", occurred_at=timezone.now()
    )
    url = reverse("admin:newsletters_subscriber_delete", args=[subscriber.pk])
    assert "permission to delete" not in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert not BounceEvent.objects.exists()
    assert not type(subscriber).objects.filter(email=subscriber.email).exists()


def test_a_draft_cancelled_before_its_first_delivery_is_deleted_from_its_admin_page(admin_client):
    never = _sent_newsletter(status=S.CANCELLED, delivery_status=Delivery.Status.CANCELLED, attempts=0)
    url = reverse("admin:newsletters_newsletter_delete", args=[never.pk])
    assert "permission to delete" not in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert not Newsletter.objects.exists() and not Delivery.objects.exists()
