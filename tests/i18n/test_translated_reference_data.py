"""Reference data the public reads, in its language: membership tier names (join form, welcome, invoices,
reminders) and topic descriptions (sign-up and preferences pages, confirmation email); staff translate
them in the admin, one box per language; the seeded rows come translated."""

import pytest
from django.test import Client

from coalition.models import OutboundEmail
from members.enquiries import services
from members.models import MembershipTier
from newsletters.models import Topic
from newsletters.subscriptions import services as subscriptions
from tests.members.enquiry_factories import EnquiryFactory, OpenTierFactory, started_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def tier():
    return OpenTierFactory(name="Member", name_translations={"fr": "Membre", "es": "Miembro"})


def _option(page: str, tier: MembershipTier) -> str:
    start = page.index(f'<option value="{tier.pk}"')
    return page[start : page.index("</option>", start)]


def test_the_join_form_names_the_tiers_in_the_language_of_the_page(client, tier):
    untranslated = OpenTierFactory(slug="partner", name="Partner")
    french = client.get("/fr/join/").content.decode()
    assert _option(french, tier).endswith(">Membre")
    assert _option(french, untranslated).endswith(">Partner")  # no translation: the English name
    assert _option(client.get("/es/join/").content.decode(), tier).endswith(">Miembro")
    assert _option(client.get("/join/").content.decode(), tier).endswith(">Member")


def test_the_welcome_names_the_tier_in_the_applicants_language(staff_user, tier):
    enquiry = EnquiryFactory(preferred_language="fr", organisation_name="Ville de Lyon", requested_tier=tier)
    services.enquiry_approve(enquiry=enquiry, by=staff_user, create_organisation=True)
    welcome = OutboundEmail.objects.get(kind="enquiry.welcome")
    assert "au sein de Group of Negative Emitters en tant que Membre." in welcome.body_text
    assert "en tant que Membre." in welcome.body_html
    assert "Member." not in welcome.body_text


def test_the_seeded_topic_is_described_in_the_language_of_the_page(client):
    topic = Topic.objects.get(slug="progress-updates")  # seeded by a migration, translated by another
    assert topic.description_in("es").startswith("Un resumen mensual")
    spanish = client.get("/es/subscribe/").content.decode()
    assert '<span class="topic-description">Un resumen mensual: nuevos miembros' in spanish
    english = client.get("/subscribe/").content.decode()
    assert '<span class="topic-description">A monthly round-up: new members' in english


def test_a_description_without_a_translation_is_shown_in_english(client):
    Topic.objects.create(name="Events", slug="events", description="Side events at the COPs.", public=True)
    french = client.get("/fr/subscribe/").content.decode()
    assert '<span class="topic-description">Side events at the COPs.</span>' in french


def test_the_confirmation_email_describes_the_chosen_topics_in_the_subscribers_language():
    subscriptions.subscription_request(
        email="lucia@example.org",
        name="Lucía",
        topics=list(Topic.objects.filter(slug="progress-updates")),
        method="form",
        language="es",
    )
    email = OutboundEmail.objects.get(kind="newsletters.confirmation")
    assert "- Informes de avance: Un resumen mensual: nuevos miembros" in email.body_text
    assert "<li>Informes de avance: Un resumen mensual: nuevos miembros" in email.body_html


def test_the_french_confirmation_puts_a_no_break_space_before_the_colon(client):
    client.post("/fr/subscribe/", {"email": "claire@example.fr", "form_started": started_token()})
    email = OutboundEmail.objects.get(kind="newsletters.confirmation")
    assert "- Points d'étape\xa0: Un point mensuel\xa0: nouveaux membres" in email.body_text


def _change_form_data(page) -> dict:
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = value.pk if hasattr(value, "pk") else value
    return data


def test_staff_translate_a_tier_name_in_the_admin_one_box_per_language(admin_user, tier):
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/members/membershiptier/{tier.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="name_translations_fr"' in content and 'value="Membre"' in content
    data = _change_form_data(page)
    data.update(name_translations_fr="Membre à part entière", name_translations_es="")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    tier.refresh_from_db()
    # An emptied box removes the translation: Spanish readers see the English name again.
    assert tier.name_translations == {"fr": "Membre à part entière"}
    assert tier.name_in("es") == "Member"


def test_staff_translate_a_topic_description_in_the_admin(admin_user):
    topic = Topic.objects.get(slug="progress-updates")
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/newsletters/topic/{topic.pk}/change/"
    page = client.get(url)
    data = _change_form_data(page)
    assert data["description_translations_fr"].startswith("Un point mensuel")
    data["description_translations_es"] = "Cada mes: miembros nuevos, compromisos y campañas."
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    topic.refresh_from_db()
    assert topic.description_in("es") == "Cada mes: miembros nuevos, compromisos y campañas."
    assert topic.name_in("fr") == "Points d'étape"  # the other boxes keep what was there


def test_the_migration_translates_the_demo_tiers_staff_have_not_renamed():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("members.migrations.0018_tier_name_translations")
    kept = OpenTierFactory(slug="member", name="Member")
    renamed = OpenTierFactory(slug="observer", name="Friend of the coalition")
    own = OpenTierFactory(slug="partner", name="Partner", name_translations={"fr": "Partenaire associé"})
    migration.translate_tier_names(apps, None)
    for row in (kept, renamed, own):
        row.refresh_from_db()
    assert kept.name_translations == {"fr": "Membre", "es": "Miembro"}
    assert renamed.name_translations == {}  # a name staff wrote is theirs to translate
    assert own.name_translations == {"fr": "Partenaire associé", "es": "Socio"}  # staff's own kept


def test_staff_translate_tiers_and_topics_through_the_api_in_languages_we_write_only(admin_api, tier):
    url = f"/api/v1/membership-tiers/{tier.pk}/"
    response = admin_api.patch(
        url, {"name_translations": {"fr": " Membre titulaire ", "es": ""}}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name_translations"] == {"fr": "Membre titulaire"}  # an empty text: none
    refused = admin_api.patch(url, {"name_translations": {"de": "Mitglied"}}, format="json")
    assert refused.status_code == 400 and "name_translations" in refused.json()
    tier.refresh_from_db()
    assert tier.name_translations == {"fr": "Membre titulaire"}

    topic = Topic.objects.get(slug="progress-updates")
    response = admin_api.patch(
        f"/api/v1/newsletter-topics/{topic.pk}/",
        {"description_translations": {"es": "Cada mes, lo esencial."}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    topic.refresh_from_db()
    assert topic.description_in("es") == "Cada mes, lo esencial."


def test_the_invoice_pdf_names_the_tier_in_the_language_it_is_written_in():
    import io
    from decimal import Decimal

    from django.utils import translation
    from pypdf import PdfReader

    from members.dues.pdf import invoice_pdf
    from members.models import Invoice
    from members.services import membership_start
    from tests.members.factories import ContactFactory, OrganisationFactory

    tier = OpenTierFactory(
        slug="fee", name="Paying member", annual_fee=Decimal("900.00"), name_translations={"es": "Miembro"}
    )
    organisation = OrganisationFactory()
    ContactFactory(organisation=organisation, is_primary=True)
    invoice = Invoice.objects.get(membership=membership_start(organisation=organisation, tier=tier))
    with translation.override("es"):
        spanish = PdfReader(io.BytesIO(invoice_pdf(invoice=invoice))).pages[0].extract_text()
    english = PdfReader(io.BytesIO(invoice_pdf(invoice=invoice))).pages[0].extract_text()
    assert "Miembro" in spanish and "Paying member" not in spanish
    assert "Paying member" in english
