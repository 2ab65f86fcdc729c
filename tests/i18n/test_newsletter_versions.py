"""Newsletters in several languages: one version per language, the default where a reader's language has
none, chosen when sending starts and recorded on the delivery; preview, test send and audience per
language; and the whole send through a real worker."""

import collections

import pytest
from django.db import transaction

from coalition.exceptions import InvalidTransition
from coalition.models import OutboundEmail
from newsletters import services
from newsletters.models import Delivery, Newsletter, NewsletterTranslation
from newsletters.sending import rendering
from newsletters.sending import services as sending
from tests.conftest import api_client_for
from tests.newsletters.conftest import run_send_in_process
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory
from tests.waiting import wait_until

FRENCH_BODY = "Bonjour {{ name }},\n\n## Nouvelles\n\nLe Danemark vise **110 %** d'ici 2050.\n"


def _newsletter_with_french(topic, **fields) -> Newsletter:
    newsletter = NewsletterFactory(topics=[topic], subject="Removals briefing", **fields)
    services.newsletter_translation_save(
        newsletter=newsletter,
        language="fr",
        subject="Point sur les éliminations",
        preheader="Les objectifs nets négatifs progressent",
        body_markdown=FRENCH_BODY,
    )
    return newsletter


def _readers(topic):
    return {
        "en": SubscriberFactory(email="ann@example.net", name="Ann", preferred_language="en", topics=[topic]),
        "fr": SubscriberFactory(
            email="claire@example.net", name="Claire", preferred_language="fr", topics=[topic]
        ),
        # A language the coalition does not write (an older import): the default version.
        "de": SubscriberFactory(
            email="jonas@example.net", name="Jonas", preferred_language="de", topics=[topic]
        ),
        "es": SubscriberFactory(
            email="lucia@example.net", name="Lucía", preferred_language="es", topics=[topic]
        ),
    }


@pytest.mark.django_db
def test_a_reader_gets_the_version_in_their_language_or_the_default():
    topic = TopicFactory()
    newsletter = _newsletter_with_french(topic)
    assert rendering.newsletter_languages(newsletter) == ["en", "fr"]
    assert rendering.newsletter_version(newsletter, "fr").subject == "Point sur les éliminations"
    for language in ("en", "es", "de", "", None):
        version = rendering.newsletter_version(newsletter, language)
        assert (version.language, version.subject) == ("en", "Removals briefing")


@pytest.mark.django_db
def test_sending_records_each_readers_version_on_their_delivery_and_sends_it(mailbox):
    topic = TopicFactory()
    readers = _readers(topic)
    newsletter = _newsletter_with_french(topic)
    sending.newsletter_send(newsletter=newsletter)
    recorded = dict(
        Delivery.objects.filter(newsletter=newsletter).values_list("subscriber__email", "language")
    )
    assert recorded == {
        "ann@example.net": "en",
        "claire@example.net": "fr",
        "jonas@example.net": "en",
        "lucia@example.net": "en",
    }
    # Changing one's language after sending started changes nothing for this newsletter.
    readers["es"].preferred_language = "fr"
    readers["es"].save()
    run_send_in_process(newsletter)
    messages = mailbox.settle(quiet=0.5)
    subjects = {str(m["To"].addresses[0].addr_spec): str(m["Subject"]) for m in messages}
    assert subjects["claire@example.net"] == "Point sur les éliminations"
    assert subjects["lucia@example.net"] == subjects["ann@example.net"] == "Removals briefing"
    french = next(m for m in messages if "claire@" in str(m["To"]))
    text = french.get_body(("plain",)).get_content()
    assert "Bonjour Claire," in text and "Le Danemark vise 110 %" in text
    assert "Modifier vos préférences: http://127.0.0.1:8000/fr/subscription/preferences/" in text
    assert french["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/fr/subscription/unsubscribe/")
    html = french.get_body(("html",)).get_content()
    assert '<html lang="fr">' in html and "Les objectifs nets négatifs progressent" in html


@pytest.mark.django_db
def test_a_version_can_no_longer_be_changed_once_sending_started():
    topic = TopicFactory()
    SubscriberFactory(topics=[topic])
    newsletter = _newsletter_with_french(topic)
    sending.newsletter_send(newsletter=newsletter)
    with pytest.raises(InvalidTransition):
        services.newsletter_translation_save(
            newsletter=newsletter, language="fr", subject="Trop tard", body_markdown="Non"
        )
    assert NewsletterTranslation.objects.get().subject == "Point sur les éliminations"
    assert NewsletterTranslation.objects.get().rendered_html  # frozen when sending started


@pytest.mark.django_db
def test_the_api_counts_the_audience_per_version_and_previews_and_tests_each_language(comms_user):
    topic = TopicFactory()
    _readers(topic)
    newsletter = _newsletter_with_french(topic)
    api = api_client_for(comms_user)
    audience = api.get(f"/api/v1/newsletters/{newsletter.pk}/audience/").json()
    assert audience == {"total": 4, "by_language": {"en": 3, "fr": 1}}
    preview = api.get(f"/api/v1/newsletters/{newsletter.pk}/preview/?language=fr").content.decode()
    assert "Le Danemark vise" in preview and "Modifier vos préférences" in preview
    assert "Denmark aims" in api.get(f"/api/v1/newsletters/{newsletter.pk}/preview/").content.decode()
    sent = api.post(
        f"/api/v1/newsletters/{newsletter.pk}/test-send/",
        {"to": "me@example.org", "language": "fr"},
        format="json",
    )
    assert sent.status_code == 202
    assert OutboundEmail.objects.get(kind="newsletters.test").subject == "[Test] Point sur les éliminations"
    detail = api.get(f"/api/v1/newsletters/{newsletter.pk}/").json()
    assert [v["language"] for v in detail["translations"]] == ["fr"]


@pytest.mark.django_db
def test_the_api_adds_and_removes_a_version_through_the_service(comms_user):
    topic = TopicFactory()
    newsletter = NewsletterFactory(topics=[topic])
    api = api_client_for(comms_user)
    added = api.post(
        f"/api/v1/newsletters/{newsletter.pk}/versions/",
        {"language": "es", "subject": "Informe", "body_markdown": "Hola {{ name }}"},
        format="json",
    )
    assert added.status_code == 200, added.content
    assert NewsletterTranslation.objects.get(newsletter=newsletter).subject == "Informe"
    assert (
        api.post(
            f"/api/v1/newsletters/{newsletter.pk}/versions/",
            {"language": "en", "subject": "x", "body_markdown": "y"},
            format="json",
        ).status_code
        == 400
    )
    removed = api.post(
        f"/api/v1/newsletters/{newsletter.pk}/versions/", {"language": "es", "delete": True}, format="json"
    )
    assert removed.status_code == 200 and not NewsletterTranslation.objects.exists()


@pytest.mark.django_db
def test_the_admin_page_shows_the_audience_per_version_and_links_previews(client, comms_user):
    topic = TopicFactory()
    _readers(topic)
    newsletter = _newsletter_with_french(topic)
    client.force_login(comms_user)
    page = client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/change/").content.decode()
    assert 'data-language="en">English: <strong>3</strong>' in page
    assert 'data-language="fr">Français: <strong>1</strong>' in page
    assert f"/admin/newsletters/newsletter/{newsletter.pk}/preview/?language=fr" in page
    preview = client.get(f"/admin/newsletters/newsletter/{newsletter.pk}/preview/?language=fr")
    assert "Le Danemark vise" in preview.content.decode()
    test = client.post(
        f"/admin/newsletters/newsletter/{newsletter.pk}/act/",
        {"do": "test", "to": "me@example.org", "test_language": "fr"},
        HTTP_ACCEPT="application/json",
    )
    assert test.json()["ok"], test.json()
    assert OutboundEmail.objects.get(kind="newsletters.test").subject == "[Test] Point sur les éliminations"


@pytest.mark.django_db
def test_a_version_is_added_from_the_admin_through_the_service(client, comms_user):
    topic = TopicFactory()
    newsletter = NewsletterFactory(topics=[topic])
    client.force_login(comms_user)
    response = client.post(
        "/admin/newsletters/newslettertranslation/add/",
        {
            "newsletter": newsletter.pk,
            "language": "es",
            "subject": "Informe",
            "preheader": "",
            "body_markdown": "Hola",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"/admin/newsletters/newsletter/{newsletter.pk}/change/"
    assert NewsletterTranslation.objects.get().language == "es"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_english_french_and_english_to_readers_of_en_fr_and_de_once_each(
    worker, mailbox
):
    topic = TopicFactory(slug="i18n-worker")
    SubscriberFactory(email="ann@example.net", name="Ann", preferred_language="en", topics=[topic])
    SubscriberFactory(email="claire@example.net", name="Claire", preferred_language="fr", topics=[topic])
    SubscriberFactory(email="jonas@example.net", name="Jonas", preferred_language="de", topics=[topic])
    newsletter = _newsletter_with_french(topic)
    with transaction.atomic():
        sending.newsletter_send(newsletter=newsletter)
    mailbox.wait_for(3, timeout=120)
    assert wait_until(
        lambda: Newsletter.objects.get(pk=newsletter.pk).status == Newsletter.Status.SENT, timeout=60
    )
    messages = mailbox.settle(quiet=1.5)
    per_reader = collections.Counter(str(m["To"].addresses[0].addr_spec) for m in messages)
    assert per_reader == {"ann@example.net": 1, "claire@example.net": 1, "jonas@example.net": 1}
    subjects = {str(m["To"].addresses[0].addr_spec): str(m["Subject"]) for m in messages}
    assert subjects == {
        "ann@example.net": "Removals briefing",
        "claire@example.net": "Point sur les éliminations",
        "jonas@example.net": "Removals briefing",
    }
    recorded = dict(
        Delivery.objects.filter(newsletter=newsletter).values_list("subscriber__email", "language")
    )
    assert recorded == {"ann@example.net": "en", "claire@example.net": "fr", "jonas@example.net": "en"}
