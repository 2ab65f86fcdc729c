"""Journeys in other languages: a Spanish-speaking applicant and a French-speaking subscriber, with a real
worker and the loopback SMTP server."""

import re

import pytest

from members.models import Enquiry, MembershipTier
from newsletters.models import ConsentRecord, Subscriber, Topic
from tests.e2e.conftest import Shots, first_link, local_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_in(browser, request):
    """A page whose browser asks for ``locale`` (its Accept-Language header)."""
    contexts = []

    def open_page(locale: str):
        context = browser.new_context(viewport={"width": 1100, "height": 900}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.shots = Shots(page, re.sub(r"[^a-z0-9_]+", "-", request.node.name.lower()))
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_a_spanish_speaking_applicant_is_answered_in_spanish_from_home_page_to_status_page(
    page_in, live_server, worker, mailbox, settings
):
    settings.SPAM_MIN_FORM_SECONDS = 1
    MembershipTier.objects.create(name="Member", slug="member", period_months=12, open_to_applicants=True)
    page = page_in("es-PA")

    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/es/")
    page.shots("home-es")
    assert page.get_attribute("html", "lang") == "es"
    page.click("text=Solicitar la adhesión >> nth=0")
    page.wait_for_url("**/es/join/")
    page.shots("join-form-es")
    assert "Nombre de la organización o del país" in page.inner_text("main")
    page.fill("[name=organisation_name]", "Ministerio de Ambiente de Panamá")
    page.select_option("[name=organisation_kind]", "country")
    page.select_option("[name=country]", "PA")
    page.fill("[name=contact_name]", "Lucía Herrera")
    page.fill("[name=email]", "lucia@miambiente.example.pa")
    page.fill("[name=motivation]", "Panamá ya es negativo en carbono y quiere que otros lo sigan.")
    page.check("[name=consent_to_contact]")
    page.wait_for_timeout(1200)
    page.click("form button[type=submit]")
    page.wait_for_url("**/es/join/thanks/")
    page.shots("thanks-es")
    assert "Gracias: hemos recibido su solicitud" in page.inner_text("main")
    assert Enquiry.objects.get().preferred_language == "es"

    mailbox.wait_for(2)  # the acknowledgement and the secretariat's notification
    (ack,) = mailbox.to("lucia@miambiente.example.pa")
    # A long non-ASCII subject is folded by Django's header encoding: compare it unfolded.
    assert str(ack["Subject"]) == "Hemos recibido su solicitud de adhesión a Group of Negative Emitters"
    assert "Hola, Lucía Herrera:" in ack.get_body(("plain",)).get_content()
    (notification,) = mailbox.to(settings.SECRETARIAT_EMAIL)
    assert str(notification["Subject"]).startswith("New enquiry to join")  # the secretariat reads English

    status_link = first_link(ack, "/es/join/status/")
    page.goto(local_link(status_link, live_server))
    page.shots("status-es")
    main = page.inner_text("main")
    assert "Su solicitud de adhesión" in main and "Recibida" in main
    assert "¿Ha cambiado de opinión?" in main


def test_a_french_speaking_visitor_subscribes_confirms_chooses_topics_and_leaves_in_french(
    page_in, live_server, worker, mailbox, settings
):
    settings.SPAM_MIN_FORM_SECONDS = 1
    progress, _ = Topic.objects.get_or_create(
        slug="progress-updates", defaults={"name": "Progress updates", "public": True}
    )
    Topic.objects.filter(pk=progress.pk).update(
        public=True, name_translations={"fr": "Points d'étape", "es": "Informes de avance"}
    )
    Topic.objects.create(slug="events", name="Events and webinars", public=True)
    page = page_in("fr-FR")

    page.goto(f"{live_server.url}/subscribe/")
    page.wait_for_url("**/fr/subscribe/")
    page.shots("subscribe-fr")
    assert "Recevez nos points d'étape" in page.inner_text("main")
    assert "Je souhaite recevoir par e-mail" in page.inner_text("main")
    page.fill("[name=email]", "claire@example.fr")
    page.fill("[name=name]", "Claire")
    page.get_by_label("Points d'étape").check()  # the topic's French name
    page.wait_for_timeout(1200)
    page.click("form button[type=submit]")
    page.wait_for_url("**/fr/subscribe/thanks/")
    page.shots("thanks-fr")
    consent = ConsentRecord.objects.get(subscriber__email="claire@example.fr")
    assert consent.language == "fr" and consent.wording_text.startswith("Je souhaite recevoir")

    (confirmation,) = mailbox.wait_for(1)
    assert str(confirmation["Subject"]).startswith("Merci de confirmer votre abonnement")
    page.goto(local_link(first_link(confirmation, "/fr/subscribe/confirm/"), live_server))
    page.shots("confirm-fr")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=Vous êtes abonné(e)")
    page.shots("confirmed-fr")
    subscriber = Subscriber.objects.get(email="claire@example.fr")
    assert subscriber.status == Subscriber.Status.CONFIRMED and subscriber.preferred_language == "fr"

    page.click("text=Choisir vos thèmes")
    page.wait_for_url("**/fr/subscription/preferences/**")
    page.shots("preferences-fr")
    page.get_by_label("Events and webinars").check()
    page.click("form button[type=submit]")
    page.wait_for_selector("text=Vos préférences sont enregistrées.")
    assert set(subscriber.topics.values_list("slug", flat=True)) == {"progress-updates", "events"}

    page.click("a:has-text('Se désabonner de tous les e-mails')")
    page.wait_for_url("**/fr/subscription/unsubscribe/**")
    page.shots("unsubscribe-fr")
    assert "Vous ne recevrez plus de lettres d'information" in page.inner_text("main")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=Vous êtes désabonné(e)")
    page.shots("unsubscribed-fr")
    assert Subscriber.objects.get(email="claire@example.fr").status == Subscriber.Status.UNSUBSCRIBED


def test_the_switcher_takes_a_visitor_to_the_same_page_in_another_language(page_in, live_server):
    page = page_in("en-GB")
    page.goto(f"{live_server.url}/commitments/")
    page.click(".language-switcher >> text=Español")
    page.wait_for_url(f"{live_server.url}/es/commitments/")
    assert "Seguimiento de compromisos" in page.inner_text("main")
    page.goto(f"{live_server.url}/members/")  # the choice is remembered
    page.wait_for_url(f"{live_server.url}/es/members/")
    page.click(".language-switcher >> text=English")
    page.wait_for_url(f"{live_server.url}/members/")
    assert "Our members" in page.inner_text("main")
