"""Staff set a person's or organisation's language from every door: the admin, the API and the import,
each checked against the languages the coalition writes in."""

import pytest

from members.enquiries import services as enquiries
from members.imports.services import import_run
from members.models import Contact, Organisation
from newsletters.models import Subscriber
from tests.conftest import api_client_for
from tests.members.enquiry_factories import EnquiryFactory
from tests.members.factories import ContactFactory, OrganisationFactory
from tests.members.import_files import csv_bytes
from tests.newsletters.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_new_people_and_organisations_are_written_to_in_english_by_default():
    assert ContactFactory().preferred_language == "en"
    assert OrganisationFactory().preferred_language == "en"
    assert EnquiryFactory().preferred_language == "en"
    assert SubscriberFactory().preferred_language == "en"


def test_the_api_sets_a_contacts_and_an_organisations_language_and_refuses_one_we_do_not_write(admin_user):
    api = api_client_for(admin_user)
    contact = ContactFactory()
    assert (
        api.patch(f"/api/v1/contacts/{contact.pk}/", {"preferred_language": "es"}, format="json").status_code
        == 200
    )
    contact.refresh_from_db()
    assert contact.preferred_language == "es"
    refused = api.patch(f"/api/v1/contacts/{contact.pk}/", {"preferred_language": "de"}, format="json")
    assert refused.status_code == 400 and "preferred_language" in refused.json()
    organisation = OrganisationFactory()
    answer = api.patch(
        f"/api/v1/organisations/{organisation.pk}/", {"preferred_language": "fr"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["preferred_language"] == "fr"


def test_the_api_sets_a_subscribers_language(admin_user):
    subscriber = SubscriberFactory()
    api = api_client_for(admin_user)
    answer = api.patch(f"/api/v1/subscribers/{subscriber.pk}/", {"preferred_language": "fr"}, format="json")
    assert answer.status_code == 200, answer.content
    subscriber.refresh_from_db()
    assert subscriber.preferred_language == "fr"


def test_the_admin_changes_a_contacts_language_through_the_service(client, admin_user):
    contact = ContactFactory()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/members/contact/{contact.pk}/change/",
        {
            "organisation": contact.organisation_id,
            "name": contact.name,
            "email": contact.email,
            "phone": "",
            "job_title": "",
            "preferred_language": "es",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    contact.refresh_from_db()
    assert contact.preferred_language == "es"


def test_an_admin_form_without_the_language_keeps_the_one_on_record(client, admin_user):
    contact = ContactFactory(preferred_language="fr")
    client.force_login(admin_user)
    client.post(
        f"/admin/members/contact/{contact.pk}/change/",
        {"organisation": contact.organisation_id, "name": "Renamed", "email": contact.email, "_save": "Save"},
    )
    contact.refresh_from_db()
    assert (contact.name, contact.preferred_language) == ("Renamed", "fr")


def test_staff_correct_an_enquirys_language_and_the_next_email_uses_it(staff_user):
    enquiry = EnquiryFactory(preferred_language="en")
    enquiries.enquiry_set_language(enquiry=enquiry, language="es", by=staff_user)
    enquiry.refresh_from_db()
    assert enquiry.preferred_language == "es"
    with pytest.raises(Exception, match="Choose one of"):
        enquiries.enquiry_set_language(enquiry=enquiry, language="de", by=staff_user)


def test_the_organisation_and_contact_imports_read_the_language_column(admin_user):
    organisations = csv_bytes(
        [
            {"name": "Ville de Lyon", "kind": "city", "country": "FR", "preferred_language": "fr"},
            {"name": "Ciudad de Panamá", "kind": "city", "country": "PA", "preferred_language": "Español"},
            {"name": "Berlin", "kind": "city", "country": "DE", "preferred_language": "de"},
        ],
        ["name", "kind", "country", "preferred_language"],
    )
    outcome = import_run(resource="organisations", content=organisations, fmt="csv", by=admin_user)
    assert (outcome.created, outcome.error_rows) == (2, 1)
    assert outcome.errors[0].field == "preferred_language"
    assert dict(Organisation.objects.values_list("name", "preferred_language")) == {
        "Ville de Lyon": "fr",
        "Ciudad de Panamá": "es",
    }
    contacts = csv_bytes(
        [
            {
                "organisation": "Ville de Lyon",
                "name": "Claire Martin",
                "email": "claire@lyon.fr",
                "preferred_language": "fr",
            }
        ],
        ["organisation", "name", "email", "preferred_language"],
    )
    outcome = import_run(resource="contacts", content=contacts, fmt="csv", by=admin_user)
    assert outcome.created == 1, outcome.errors
    assert Contact.objects.get(email="claire@lyon.fr").preferred_language == "fr"


def test_the_subscriber_import_reads_the_language_column(admin_user):
    SubscriberFactory(email="known@example.net", preferred_language="en")
    content = csv_bytes(
        [
            {"email": "new@example.net", "name": "Nina", "preferred_language": "es"},
            {"email": "known@example.net", "name": "", "preferred_language": "fr"},
        ],
        ["email", "name", "preferred_language"],
    )
    outcome = import_run(resource="subscribers", content=content, fmt="csv", by=admin_user, mode="overwrite")
    assert (outcome.created, outcome.updated, outcome.error_rows) == (1, 1, 0), outcome.errors
    assert dict(Subscriber.objects.values_list("email", "preferred_language")) == {
        "new@example.net": "es",
        "known@example.net": "fr",
    }
