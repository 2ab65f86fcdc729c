"""The admin is one more door to the services: it cannot walk around a rule the API keeps."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members import services
from members.models import Contact, Engagement, Membership, Organisation
from tests.conftest import record_calls
from tests.members.factories import (
    ContactFactory,
    CountryFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _change(model, pk) -> str:
    return reverse(f"admin:members_{model._meta.model_name}_change", args=[pk])


def _membership_form(membership: Membership, **changes) -> dict:
    data = {
        "tier": membership.tier_id,
        "start_date": membership.start_date.isoformat(),
        "end_date": membership.end_date.isoformat() if membership.end_date else "",
        "notes": membership.notes,
    }
    data.update(changes)
    return data


def _expired_membership() -> Membership:
    today = timezone.localdate()
    tier = MembershipTierFactory(grace_days=0, period_months=12)
    return MembershipFactory(
        tier=tier,
        status=Membership.Status.LAPSED,
        joined_on=today - datetime.timedelta(days=800),
        start_date=today - datetime.timedelta(days=800),
        end_date=today - datetime.timedelta(days=435),
    )


def test_the_membership_change_form_has_no_status_field_so_a_post_cannot_set_one(staff_client):
    membership = _expired_membership()
    page = staff_client.get(_change(Membership, membership.pk))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert not {"status", "status_override", "override_reason"} & set(form.fields)

    response = staff_client.post(
        _change(Membership, membership.pk),
        _membership_form(membership, status="active", status_override="on", notes="Chased."),
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.status, membership.status_override, membership.notes) == ("lapsed", False, "Chased.")


def test_the_override_action_calls_the_service_and_keeps_the_reason(staff_client, admin_user):
    membership = _expired_membership()
    changelist = reverse("admin:members_membership_changelist")
    form_page = staff_client.post(
        changelist,
        {"action": "set_status_override", "_selected_action": [membership.pk], "_back_to_object": "1"},
    )
    assert form_page.status_code == 200 and b"Set a status override" in form_page.content

    response = staff_client.post(
        changelist,
        {
            "action": "set_status_override",
            "_selected_action": [membership.pk],
            "_back_to_object": "1",
            "apply": "1",
            "status": "active",
            "reason": "Dues paid by bank transfer, awaiting the statement.",
        },
    )
    assert response.status_code == 302 and response["Location"] == _change(Membership, membership.pk)
    membership.refresh_from_db()
    assert (membership.status, membership.status_override) == ("active", True)
    assert membership.override_reason == "Dues paid by bank transfer, awaiting the statement."
    latest = membership.history.first()
    assert latest.history_user == admin_user
    assert "Dues paid by bank transfer" in latest.history_change_reason


def test_an_override_without_a_reason_is_refused_and_changes_nothing(staff_client):
    membership = _expired_membership()
    response = staff_client.post(
        reverse("admin:members_membership_changelist"),
        {
            "action": "set_status_override",
            "_selected_action": [membership.pk],
            "apply": "1",
            "status": "active",
        },
    )
    assert response.status_code == 200  # the form again, with the field's message
    assert b"This field is required" in response.content
    membership.refresh_from_db()
    assert (membership.status, membership.status_override) == ("lapsed", False)


def test_the_membership_page_offers_the_actions_as_buttons(staff_client):
    membership = _expired_membership()
    page = staff_client.get(_change(Membership, membership.pk)).content.decode()
    for label in ("Renew for one period", "Set a status override", "Suspend", "Withdraw", "Reinstate"):
        assert label in page


def test_a_refused_action_says_why_for_that_membership(staff_client):
    membership = MembershipFactory(status=Membership.Status.ACTIVE)
    response = staff_client.post(
        reverse("admin:members_membership_changelist"),
        {"action": "reinstate_memberships", "_selected_action": [membership.pk], "apply": "1"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("Only a suspended or withdrawn membership can be reinstated" in m for m in messages)
    membership.refresh_from_db()
    assert membership.status == "active"


def test_a_second_country_record_is_refused_on_the_field_by_the_organisation_service(staff_client):
    CountryFactory(country="DK", name="Denmark")
    response = staff_client.post(
        reverse("admin:members_organisation_add"),
        {
            "name": "Kingdom of Denmark",
            "kind": "country",
            "country": "DK",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
            "engagements-TOTAL_FORMS": "0",
            "engagements-INITIAL_FORMS": "0",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "There is already a record for this country: Denmark." in errors["country"]
    assert Organisation.objects.filter(kind="country").count() == 1


def test_a_contact_added_in_the_admin_goes_through_the_service(staff_client):
    organisation = OrganisationFactory()
    ContactFactory(organisation=organisation, email="focal@example.org")
    response = staff_client.post(
        reverse("admin:members_contact_add"),
        {"organisation": organisation.pk, "name": "Second", "email": "FOCAL@example.org"},
    )
    assert response.status_code == 200
    assert (
        "This organisation already has a contact with this email."
        in (response.context["adminform"].form.errors["email"])
    )
    response = staff_client.post(
        reverse("admin:members_contact_add"),
        {"organisation": organisation.pk, "name": "Third", "email": "  Third@Example.org "},
    )
    assert response.status_code == 302
    assert Contact.objects.get(name="Third").email == "third@example.org"


def test_an_engagement_changed_in_the_admin_keeps_the_service_rules(staff_client):
    organisation = OrganisationFactory()
    stranger = ContactFactory()
    engagement = Engagement.objects.create(
        organisation=organisation, kind="call", summary="Call", occurred_at=timezone.now()
    )
    response = staff_client.post(
        _change(Engagement, engagement.pk),
        {
            "organisation": organisation.pk,
            "kind": "call",
            "summary": "Call about the NDC",
            "occurred_at_0": "2025-11-12",
            "occurred_at_1": "14:00",
            "contacts": [stranger.pk],
        },
    )
    assert response.status_code == 200
    assert (
        f"Not contacts of {organisation}: {stranger.name}."
        in response.context["adminform"].form.errors["contacts"]
    )
    engagement.refresh_from_db()
    assert engagement.summary == "Call"
    colleague = ContactFactory(organisation=organisation)
    response = staff_client.post(
        _change(Engagement, engagement.pk),
        {
            "organisation": organisation.pk,
            "kind": "call",
            "summary": "Call about the NDC",
            "occurred_at_0": "2025-11-12",
            "occurred_at_1": "14:00",
            "contacts": [colleague.pk],
        },
    )
    assert response.status_code == 302
    engagement.refresh_from_db()
    assert engagement.summary == "Call about the NDC"
    assert list(engagement.contacts.all()) == [colleague]


def test_deleting_an_organisation_keeps_who_did_it_in_its_history_from_the_admin(staff_client, admin_user):
    organisation = OrganisationFactory(name="Entered twice")
    page = reverse("admin:members_organisation_delete", args=[organisation.pk])
    assert staff_client.post(page, {"post": "yes"}).status_code == 302
    assert not Organisation.objects.filter(pk=organisation.pk).exists()
    deletion = Organisation.history.filter(id=organisation.pk, history_type="-").get()
    assert deletion.history_user == admin_user


def test_deleting_a_parent_through_the_api_says_what_still_refers_to_it(admin_api):
    region = OrganisationFactory(name="Nordic Region")
    OrganisationFactory(name="Aalborg", parent=region)
    OrganisationFactory(name="Tampere", parent=region)
    response = admin_api.delete(f"/api/v1/organisations/{region.pk}/")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This cannot be deleted while other records refer to it: 2 organisations. Delete or move those first."
    )
    assert Organisation.objects.filter(pk=region.pk).exists()
    french = admin_api.delete(f"/api/v1/organisations/{region.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert french.status_code == 409 and french.json()["detail"].startswith("Impossible de supprimer")


def test_a_contact_removed_on_the_organisation_form_is_deleted_through_the_service(staff_client, monkeypatch):
    from members import services

    calls = record_calls(monkeypatch, services, "contact_delete")
    contact = ContactFactory(name="Left the team")
    organisation = contact.organisation
    page = staff_client.get(_change(Organisation, organisation.pk) + "?edit=1")
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list | dict)
    }
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name, field in management.fields.items():
            data[f"{formset.formset.prefix}-{name}"] = management.initial.get(name, field.initial) or 0
        for form in formset.formset.forms:
            for name in form.fields:
                value = form.initial.get(name, form.fields[name].initial)
                if value not in (None, "") and not isinstance(value, list | dict):
                    data[f"{form.prefix}-{name}"] = getattr(value, "pk", value)
            if form.instance.pk == contact.pk:
                data[f"{form.prefix}-DELETE"] = "on"
    response = staff_client.post(_change(Organisation, organisation.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert calls == ["contact_delete"]


def test_a_records_history_is_to_read_its_revert_is_off_and_a_post_is_refused(staff_client):
    """The history's "Revert" put back only what the change form edits and said it had reverted the rest:
    a membership stayed active after "reverting" to pending."""
    membership = MembershipFactory(status=Membership.Status.PENDING)
    services.membership_update(membership=membership, notes="Board approved")
    record = membership.history.order_by("history_id").first()
    url = reverse("admin:members_membership_simple_history", args=[membership.pk, record.history_id])

    page = staff_client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = staff_client.post(url, _membership_form(membership, notes=""))
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.notes == "Board approved"


def test_a_history_address_naming_no_record_is_a_404_not_a_500(staff_client):
    organisation = OrganisationFactory()
    base = reverse("admin:members_organisation_history", args=[organisation.pk])
    assert staff_client.get(base).status_code == 200
    assert (
        staff_client.get(base.replace(f"/{organisation.pk}/", f"/{organisation.pk}/change/")).status_code
        == 404
    )
    assert staff_client.get(base.replace(f"/{organisation.pk}/", "/999999/")).status_code == 404
    gone = OrganisationFactory()
    gone_pk = gone.pk
    services.organisation_delete(organisation=gone)
    assert staff_client.get(base.replace(f"/{organisation.pk}/", f"/{gone_pk}/")).status_code == 200


INLINES = ("contacts", "commitments", "engagements", "memberships")


def test_a_countrys_record_stays_a_country(staff_client):
    """Set to "company" by mistake, Denmark's record was no longer the country: the next tracker import
    created a second Denmark."""
    denmark = CountryFactory(country="DK", name="Denmark")
    response = staff_client.post(
        _change(Organisation, denmark.pk),
        {
            "name": "Denmark",
            "kind": "company",
            "country": "DK",
            **{f"{inline}-{count}": "0" for inline in INLINES for count in ("TOTAL_FORMS", "INITIAL_FORMS")},
        },
    )
    assert response.status_code == 200
    assert "stays a country" in str(response.context["adminform"].form.errors["kind"])
    denmark.refresh_from_db()
    assert denmark.kind == "country"
    with pytest.raises(ValidationError):
        services.organisation_update(organisation=denmark, kind="company")
