"""The public API answers in the language the client asks for (Accept-Language, or the language cookie),
our messages and Django REST framework's alike; without either it answers in English."""

import pytest
from django.conf import settings

from coalition.models import OutboundEmail
from members.models import Enquiry
from newsletters.models import Subscriber
from tests.members.enquiry_factories import OpenTierFactory, application

pytestmark = pytest.mark.django_db

ENQUIRIES = "/api/v1/enquiries/"
SUBSCRIPTIONS = "/api/v1/subscriptions/"


@pytest.fixture(autouse=True)
def tier():
    return OpenTierFactory()


def test_an_applicant_asking_in_french_is_told_in_french_what_is_wrong_with_their_email(anon_api):
    response = anon_api.post(
        ENQUIRIES,
        application(email="ingrid-at-example"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9",
    )
    assert response.status_code == 400
    assert response.json()["email"] == ["Envoyez une adresse e-mail du type nom@example.org."]
    assert response["Content-Language"] == "fr"
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]
    assert not Enquiry.objects.exists()


def test_without_accept_language_the_api_answers_in_english(anon_api):
    response = anon_api.post(ENQUIRIES, application(email="ingrid-at-example"), format="json")
    assert response.json()["email"] == ["Please send an email address like name@example.org."]
    assert response["Content-Language"] == "en"


def test_a_subscriber_asking_in_spanish_is_told_in_spanish_that_the_email_is_wrong(anon_api):
    response = anon_api.post(
        SUBSCRIPTIONS, {"email": "nadie@"}, format="json", HTTP_ACCEPT_LANGUAGE="es-PA,es;q=0.9,en;q=0.5"
    )
    assert response.status_code == 400
    assert response.json()["email"] == ["Envíe una dirección de correo como nombre@example.org."]
    assert not Subscriber.objects.exists()


def test_django_rest_frameworks_own_messages_come_out_translated_too(anon_api):
    data = application(target_year="pronto", preferred_language="de")
    del data["organisation_kind"]
    response = anon_api.post(ENQUIRIES, data, format="json", HTTP_ACCEPT_LANGUAGE="es")
    problems = response.json()
    assert response.status_code == 400
    assert problems["target_year"] == ["Introduzca un número entero válido."]  # DRF's catalog
    assert problems["preferred_language"] == ['"de" no es una elección válida.']  # DRF's catalog
    assert problems["organisation_kind"] == ["Este campo es obligatorio."]
    french = anon_api.post(ENQUIRIES, data, format="json", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french["target_year"] == ["Un nombre entier valide est requis."]
    assert french["organisation_kind"] == ["Ce champ est obligatoire."]


def test_the_rules_across_fields_limits_and_the_spam_check_answer_in_the_language_asked_for(anon_api):
    no_country = application(organisation_kind="country", country="")
    response = anon_api.post(ENQUIRIES, no_country, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["country"] == [
        "Choisissez le pays (un pays, une région ou une ville doit en indiquer un)."
    ]
    too_long = application(contact_name="x" * 500)
    response = anon_api.post(ENQUIRIES, too_long, format="json", HTTP_ACCEPT_LANGUAGE="es")
    assert response.json()["contact_name"] == ["Acorte este texto a 200 caracteres como máximo."]
    response = anon_api.post(
        ENQUIRIES, application(requested_tier="gold"), format="json", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.json()["requested_tier"] == [
        "Ninguna categoría de membresía abierta a solicitudes corresponde a slug=gold."
    ]
    bot = anon_api.post(
        SUBSCRIPTIONS, {"email": "x@example.org", "homepage": "y"}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert bot.status_code == 400
    assert bot.json()["detail"][0].startswith("Cet envoi semble automatisé.")


def test_a_french_application_through_the_api_is_thanked_and_written_to_in_french(anon_api):
    response = anon_api.post(ENQUIRIES, application(), format="json", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9")
    assert response.status_code == 201
    assert response.json()["detail"].startswith("Merci\xa0: nous avons bien reçu votre demande")
    enquiry = Enquiry.objects.get()
    assert enquiry.preferred_language == "fr"  # unsaid, the language of the request
    acknowledgement = OutboundEmail.objects.get(to=enquiry.email)
    assert "/fr/join/status/" in acknowledgement.body_text


def test_a_language_named_in_the_payload_wins_over_the_request_header(anon_api):
    response = anon_api.post(
        SUBSCRIPTIONS,
        {"email": "amara@example.org", "preferred_language": "es"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 202
    assert response.json()["detail"].startswith("Merci. Si cette adresse peut recevoir nos actualités")
    assert Subscriber.objects.get().preferred_language == "es"


def test_a_spanish_sign_up_through_the_api_gets_the_answer_and_the_confirmation_in_spanish(anon_api):
    response = anon_api.post(
        SUBSCRIPTIONS, {"email": "lucia@example.org"}, format="json", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 202
    assert response.json()["detail"].startswith("Gracias. Si esta dirección puede recibir nuestras novedades")
    assert Subscriber.objects.get().preferred_language == "es"


def test_the_language_chosen_on_our_pages_wins_over_the_browser_header(anon_api):
    anon_api.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = anon_api.post(SUBSCRIPTIONS, {"email": "nadie@"}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["email"] == ["Envíe una dirección de correo como nombre@example.org."]


def test_the_throttle_message_is_translated(anon_api, monkeypatch):
    from coalition.throttles import PublicRateThrottle

    rates = {**PublicRateThrottle.THROTTLE_RATES, "subscriptions": "1/hour"}
    monkeypatch.setattr(PublicRateThrottle, "THROTTLE_RATES", rates)
    answers = [
        anon_api.post(SUBSCRIPTIONS, {"email": f"r{i}@example.org"}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
        for i in range(2)
    ]
    assert [a.status_code for a in answers] == [202, 429]
    assert answers[1].json()["detail"].startswith("Requête ralentie.")


def test_the_staff_api_stays_in_english_unless_the_client_asks_otherwise(staff_api):
    from tests.members.enquiry_factories import EnquiryFactory

    enquiry = EnquiryFactory()
    url = f"{ENQUIRIES}{enquiry.pk}/assign/"
    assert staff_api.post(url, {}, format="json").json()["assignee"] == ["This field is required."]
    french = staff_api.post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert french.json()["assignee"] == ["Ce champ est obligatoire."]


def test_an_api_address_that_does_not_exist_is_explained_in_the_language_asked_for(anon_api):
    response = anon_api.get("/api/v1/no-such-endpoint/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No hay ningún punto de acceso de la API en esta dirección.")
    english = anon_api.get("/api/v1/no-such-endpoint/")
    assert english.json()["detail"].startswith("There is no API endpoint at this address.")


def test_the_openapi_schema_declares_accept_language_and_content_language_on_every_operation(admin_api):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [op for ops in schema["paths"].values() for op in ops.values() if isinstance(op, dict)]
    assert len(operations) > 50
    for operation in operations:
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [h["name"] for h in headers].count("Accept-Language") == 1, operation["operationId"]
        for response in operation["responses"].values():
            assert response["headers"]["Content-Language"]["schema"]["type"] == "string"
    enquiry = schema["paths"][ENQUIRIES]["post"]
    assert "fr" in next(p for p in enquiry["parameters"] if p["name"] == "Accept-Language")["description"]
