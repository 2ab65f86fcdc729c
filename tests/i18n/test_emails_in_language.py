"""Emails go out in the recipient's language, with links to the pages in that language; English where the
person has no language we write, and always for the secretariat."""

import base64
import re

import pytest
from django.test import Client

from campaigns.models import EventParticipant
from campaigns.services.events import participant_invite
from coalition.models import OutboundEmail
from members.dues.services import renewal_reminder_queue
from members.enquiries import services
from members.models import Contact, Enquiry
from newsletters.models import ConsentRecord, Subscriber
from newsletters.subscriptions import services as subscriptions
from tests.campaigns.factories import EventFactory, ParticipantFactory
from tests.members.enquiry_factories import (
    EnquiryFactory,
    OpenTierFactory,
    application,
    form_data,
    started_token,
)
from tests.members.factories import ContactFactory, MembershipFactory
from tests.newsletters.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def _one(kind: str) -> OutboundEmail:
    return OutboundEmail.objects.get(kind=kind)


def test_an_application_in_spanish_is_acknowledged_in_spanish_with_a_spanish_status_link(client):
    OpenTierFactory()
    response = client.post("/es/join/", form_data())
    assert response.status_code == 302 and response["Location"] == "/es/join/thanks/"
    enquiry = Enquiry.objects.get()
    assert enquiry.preferred_language == "es"
    email = _one("enquiry.acknowledgement")
    assert email.subject == "Hemos recibido su solicitud de adhesión a Group of Negative Emitters"
    assert "Hola, Ingrid Hansen:" in email.body_text
    assert '<html lang="es">' in email.body_html
    link = re.search(r"http://127\.0\.0\.1:8000(/es/join/status/[^/\s]+/)", email.body_text)
    assert link, email.body_text
    page = Client().get(link.group(1))
    assert page.status_code == 200
    assert "Su solicitud de adhesión" in page.content.decode()
    assert "Recibida" in page.content.decode()


def test_the_secretariat_is_notified_in_english_of_an_application_made_in_french(client):
    OpenTierFactory()
    client.post("/fr/join/", form_data())
    notification = _one("enquiry.notification")
    assert notification.subject.startswith("New enquiry to join: Climeworks Nordic")
    assert _one("enquiry.acknowledgement").subject.startswith("Nous avons bien reçu votre demande")


def test_an_api_application_may_name_its_language_and_a_language_we_do_not_write_is_refused(anon_api):
    OpenTierFactory()
    ok = anon_api.post("/api/v1/enquiries/", application(preferred_language="fr"), format="json")
    assert ok.status_code == 201, ok.content
    assert Enquiry.objects.get().preferred_language == "fr"
    refused = anon_api.post(
        "/api/v1/enquiries/", application(email="other@example.com", preferred_language="de"), format="json"
    )
    assert refused.status_code == 400 and "preferred_language" in refused.json()


def test_questions_declines_and_the_welcome_follow_the_applicants_language(staff_user):
    asked = EnquiryFactory(preferred_language="fr")
    services.enquiry_information_request(enquiry=asked, by=staff_user, message="Quels gaz sont couverts ?")
    question = _one("enquiry.information_request")
    assert question.subject.startswith("Une question sur votre demande")
    assert "/fr/join/status/" in question.body_text

    declined = EnquiryFactory(preferred_language="es")
    services.enquiry_decline(enquiry=declined, by=staff_user, reason="Fuera de nuestro ámbito.")
    assert _one("enquiry.declined").subject == "Su solicitud de adhesión a Group of Negative Emitters"

    welcomed = EnquiryFactory(preferred_language="fr", organisation_name="Ville de Lyon")
    services.enquiry_approve(enquiry=welcomed, by=staff_user, create_organisation=True)
    welcome = _one("enquiry.welcome")
    assert welcome.subject == "Bienvenue au sein de Group of Negative Emitters, Ville de Lyon"
    assert "Nous sommes ravis d'accueillir Ville de Lyon" in welcome.body_text
    # The contact created from the enquiry keeps the language.
    assert Contact.objects.get(email=welcomed.email).preferred_language == "fr"


def test_a_stored_language_we_do_not_write_falls_back_to_english(staff_user):
    enquiry = EnquiryFactory()
    Enquiry.objects.filter(pk=enquiry.pk).update(preferred_language="de")
    enquiry.refresh_from_db()
    services.enquiry_information_request(enquiry=enquiry, by=staff_user, message="Which gases?")
    email = _one("enquiry.information_request")
    assert email.subject.startswith("A question about your enquiry")
    assert "http://127.0.0.1:8000/join/status/" in email.body_text


def test_a_french_subscriber_gets_the_confirmation_and_the_wording_in_french(client):
    page = client.get("/fr/subscribe/")
    assert "Je souhaite recevoir par e-mail" in page.content.decode()
    assert "Points d&#x27;étape" in page.content.decode()  # the seeded topic, named in French
    client.post(
        "/fr/subscribe/", {"email": "claire@example.fr", "name": "Claire", "form_started": started_token()}
    )
    subscriber = Subscriber.objects.get(email="claire@example.fr")
    assert subscriber.preferred_language == "fr"
    consent = ConsentRecord.objects.get(subscriber=subscriber)
    assert consent.language == "fr"
    assert consent.wording_text.startswith("Je souhaite recevoir par e-mail")
    email = _one("newsletters.confirmation")
    assert email.subject == "Merci de confirmer votre abonnement aux actualités de Group of Negative Emitters"
    assert "Bonjour Claire," in email.body_text
    assert "Je souhaite recevoir par e-mail" in email.body_text
    assert "sur les thèmes suivants\xa0: Points d'étape." in email.body_text  # the topic's French name
    assert re.search(r"http://127\.0\.0\.1:8000/fr/subscribe/confirm/\S+/", email.body_text)


def test_confirming_makes_the_language_of_the_sign_up_the_subscribers_language():
    subscriber = SubscriberFactory(preferred_language="en", status=Subscriber.Status.UNSUBSCRIBED)
    subscriptions.subscription_request(email=subscriber.email, method="form", language="es")
    subscriber.refresh_from_db()
    assert subscriber.preferred_language == "en"  # a request alone changes nothing
    consent = ConsentRecord.objects.get(subscriber=subscriber)
    token = re.search(r"/subscribe/confirm/([^/\s]+)/", _one("newsletters.confirmation").body_text).group(1)
    subscriptions.subscription_confirm(token=token)
    subscriber.refresh_from_db()
    assert subscriber.preferred_language == "es" and consent.wording_text.startswith("Deseo recibir")


def test_an_event_invitation_and_its_calendar_file_are_in_the_contacts_language():
    event = EventFactory(title="Eliminaciones en las CDN")
    participant = ParticipantFactory(
        event=event, role=EventParticipant.Role.SPEAKER, contact=ContactFactory(preferred_language="es")
    )
    assert participant_invite(participant=participant)
    email = _one("campaigns.event_invitation")
    assert email.subject.startswith("Invitación: Eliminaciones en las CDN, ")
    assert "le invita a Eliminaciones en las CDN como ponente." in email.body_text
    assert "Aceptar: http://127.0.0.1:8000/es/events/rsvp/" in email.body_text
    ics = base64.b64decode(email.attachments[0]["content_b64"]).decode()
    assert "SUMMARY;LANGUAGE=es:Eliminaciones en las CDN" in ics
    assert "Invitación de Group of Negative Emitters" in ics.replace("\r\n ", "")


def test_a_renewal_reminder_goes_to_the_primary_contact_in_their_language():
    membership = MembershipFactory()
    ContactFactory(organisation=membership.organisation, is_primary=True, preferred_language="fr")
    renewal_reminder_queue(membership=membership, kind="first", today=membership.end_date.replace(day=1))
    email = OutboundEmail.objects.get(kind="dues.renewal_reminder.first")
    assert email.subject.startswith(f"L'adhésion de {membership.organisation.name} prend fin le")
