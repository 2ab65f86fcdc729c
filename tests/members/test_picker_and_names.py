"""The engagement form's contact picker offers the organisation's people only, and the engagement service
refuses anyone else at every door; organisation names are stored on one line, whatever door they come in
by, and a control character in one is a clear 400 or form error, not a 500."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import services
from members.imports.services import import_run
from members.models import Affiliation, Contact, Engagement, Organisation
from tests.members.factories import ContactFactory, OrganisationFactory
from tests.members.import_files import ORGANISATION_COLUMNS, csv_bytes

pytestmark = pytest.mark.django_db

PICKER = "/admin/autocomplete/"
ENGAGEMENT_CONTACTS = {"app_label": "members", "model_name": "engagement", "field_name": "contacts"}
INLINES = ("contacts", "commitments", "engagements", "memberships")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def people():
    """Kelp Co's people (Alice, its contact; Carol, a delegate from elsewhere), someone who left it (Dan)
    and someone of another organisation (Bob)."""
    kelp = OrganisationFactory(name="Kelp Co")
    other = OrganisationFactory(name="Peat Trust")
    alice = ContactFactory(organisation=kelp, name="Alice Kelpworth")
    bob = ContactFactory(organisation=other, name="Bob Peatman")
    carol = ContactFactory(organisation=other, name="Carol Delegate")
    dan = ContactFactory(organisation=other, name="Dan Formerly")
    start = datetime.date(2023, 1, 1)
    Affiliation.objects.create(
        contact=carol, organisation=kelp, role=Affiliation.Role.DELEGATE, start_on=start
    )
    Affiliation.objects.create(
        contact=dan, organisation=kelp, start_on=start, end_on=datetime.date(2024, 6, 30)
    )
    return kelp, other, alice, bob, carol, dan


def _offered(client, **params) -> list[str]:
    response = client.get(PICKER, {"term": "", **ENGAGEMENT_CONTACTS, **params})
    assert response.status_code == 200, response.content
    return sorted(row["text"].split(" (")[0] for row in response.json()["results"])


def _engagement_form(organisation, contacts, **changes) -> dict:
    data = {
        "organisation": organisation.pk,
        "kind": "call",
        "summary": "Call about the kelp farm",
        "occurred_at_0": "2025-11-12",
        "occurred_at_1": "14:00",
        "contacts": [c.pk for c in contacts],
    }
    data.update(changes)
    return data


def _organisation_form(**fields) -> dict:
    data = {"kind": "company", "preferred_language": "en", **fields}
    for prefix in INLINES:
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


# --- The contact picker ----------------------------------------------------------------------------------


def test_the_engagement_contact_picker_offers_only_the_organisations_current_people(staff_client, people):
    kelp, other, alice, bob, carol, dan = people

    assert _offered(staff_client, organisation=kelp.pk) == ["Alice Kelpworth", "Carol Delegate"]
    # By name, as before.
    assert _offered(staff_client, organisation=kelp.pk, term="carol") == ["Carol Delegate"]
    assert _offered(staff_client, organisation=kelp.pk, term="bob") == []
    assert _offered(staff_client, organisation=other.pk) == ["Bob Peatman", "Carol Delegate", "Dan Formerly"]
    # No organisation chosen yet, or not a record's id: nobody is offered.
    assert _offered(staff_client) == []
    assert _offered(staff_client, organisation="abc") == []
    assert _offered(staff_client, organisation="9" * 40) == []

    # The other contact pickers still find everyone (an affiliation links a person to any organisation).
    response = staff_client.get(
        PICKER, {"term": "", "app_label": "members", "model_name": "affiliation", "field_name": "contact"}
    )
    assert len(response.json()["results"]) == 4


def test_the_engagement_form_sends_the_chosen_organisation_with_each_contact_search(staff_client, people):
    kelp, *_ = people
    for url in (
        reverse("admin:members_engagement_add"),
        reverse(
            "admin:members_engagement_change",
            args=[services.engagement_create(organisation=kelp, kind="call", summary="Call").pk],
        ),
    ):
        page = staff_client.get(url).content.decode()
        [picker] = [tag for tag in page.split("<select")[1:] if 'name="contacts"' in tag.split(">")[0]]
        assert 'data-limit-by="organisation"' in picker.split(">")[0]
        assert 'src="/static/members/engagement_contacts.js"' in page


# --- The service refuses another organisation's contact, at every door ------------------------------------


def test_the_staff_form_refuses_another_organisations_contact_and_saves_nothing(staff_client, people):
    kelp, other, alice, bob, carol, dan = people

    response = staff_client.post(
        reverse("admin:members_engagement_add"), _engagement_form(kelp, [alice, bob])
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["contacts"] == [f"Not contacts of Kelp Co: {bob.name}."]
    assert not Engagement.objects.exists()

    response = staff_client.post(
        reverse("admin:members_engagement_add"), _engagement_form(kelp, [alice, carol, dan])
    )
    assert response.status_code == 302
    assert sorted(Engagement.objects.get().contacts.values_list("name", flat=True)) == [
        "Alice Kelpworth",
        "Carol Delegate",
        "Dan Formerly",  # people who moved on keep their place in the organisation's history
    ]


def test_the_api_refuses_another_organisations_contact_and_saves_nothing(staff_api, people):
    kelp, other, alice, bob, carol, dan = people

    response = staff_api.post(
        "/api/v1/engagements/",
        {"organisation": kelp.pk, "kind": "call", "summary": "Call", "contacts": [alice.pk, bob.pk]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["contacts"] == [f"Not contacts of Kelp Co: {bob.name}."]
    assert not Engagement.objects.exists()
    with pytest.raises(ValidationError) as refused:
        services.engagement_create(organisation=kelp, kind="call", summary="Call", contacts=[bob])
    assert refused.value.message_dict == {"contacts": [f"Not contacts of Kelp Co: {bob.name}."]}
    assert not Engagement.objects.exists()


# --- Organisation names on one line --------------------------------------------------------------------


def test_the_api_stores_an_organisation_name_on_one_line(staff_api):
    response = staff_api.post(
        "/api/v1/organisations/",
        {"name": " Kelp\nRemoval \t\tCo\r\n", "kind": "company"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Kelp Removal Co"
    organisation = Organisation.objects.get()
    assert (organisation.name, organisation.name_key) == ("Kelp Removal Co", "kelpremoval")

    response = staff_api.patch(
        f"/api/v1/organisations/{organisation.pk}/", {"name": "Kelp\u2028Removal\tWorks"}, format="json"
    )

    assert response.status_code == 200, response.content
    organisation.refresh_from_db()
    assert organisation.name == "Kelp Removal Works"
    assert organisation.history.first().name == "Kelp Removal Works"


def test_the_admin_stores_an_organisation_name_on_one_line(staff_client):
    response = staff_client.post(
        reverse("admin:members_organisation_add"), _organisation_form(name="Sea\r\nGrass\tLtd")
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    organisation = Organisation.objects.get()
    assert organisation.name == "Sea Grass Ltd"

    response = staff_client.post(
        reverse("admin:members_organisation_change", args=[organisation.pk]) + "?edit=1",
        _organisation_form(name="Sea\tGrass\n\nRestoration"),
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    organisation.refresh_from_db()
    assert organisation.name == "Sea Grass Restoration"


def test_an_import_stores_an_organisation_name_on_one_line_and_refuses_other_control_characters(admin_user):
    rows = [
        {"name": "Kelp\nRemoval\tCo", "kind": "company"},
        {"name": "Escape\x1bCo", "kind": "company"},
    ]

    outcome = import_run(
        resource="organisations", content=csv_bytes(rows, ORGANISATION_COLUMNS), fmt="csv", by=admin_user
    )

    assert list(Organisation.objects.values_list("name", flat=True)) == ["Kelp Removal Co"]
    assert [(e.row, e.field) for e in outcome.errors] == [(3, "name")]
    assert "one line of plain text" in outcome.errors[0].message


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x07", "\x7f"])
def test_a_control_character_in_an_organisation_name_is_a_400_not_a_500(staff_api, character):
    organisation = OrganisationFactory(name="Kelp Co")

    created = staff_api.post(
        "/api/v1/organisations/", {"name": f"Kelp{character}Farm", "kind": "company"}, format="json"
    )
    renamed = staff_api.patch(
        f"/api/v1/organisations/{organisation.pk}/", {"name": f"Kelp{character}Co"}, format="json"
    )

    for response in (created, renamed):
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["name"]
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Kelp Co"]


@pytest.mark.parametrize("character", ["\x00", "\x1b"])
def test_the_organisation_service_refuses_a_control_character_on_the_name_field(character):
    # What every door reaches in the end: a field message, never a database error.
    with pytest.raises(ValidationError) as refused:
        services.organisation_create(name=f"Kelp{character}Farm", kind="company")
    assert list(refused.value.message_dict) == ["name"]
    assert "one line of plain text" in refused.value.message_dict["name"][0]
    assert not Organisation.objects.exists()


def test_the_admin_refuses_a_control_character_in_an_organisation_or_contact_name(staff_client):
    response = staff_client.post(
        reverse("admin:members_organisation_add"), _organisation_form(name="Kelp\x1bCo")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "one line of plain text" in errors["name"][0]
    assert not Organisation.objects.exists()

    organisation = OrganisationFactory()
    response = staff_client.post(
        reverse("admin:members_contact_add"),
        {
            "organisation": organisation.pk,
            "name": "Eve\r\nBcc: victim@example.net",
            "preferred_language": "en",
        },
    )

    assert response.status_code == 200
    assert "one line of plain text" in response.context["adminform"].form.errors["name"][0]
    assert not Contact.objects.exists()
