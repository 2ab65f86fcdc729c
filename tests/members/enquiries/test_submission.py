"""Applying through the public form and the API: validation, abuse checks, resubmission, duplicates."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from coalition import hooks
from coalition.models import OutboundEmail
from members.enquiries import services
from members.models import Enquiry, EnquiryTransition
from tests.members.enquiry_factories import OpenTierFactory, application, form_data, started_token
from tests.members.factories import ContactFactory, CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/enquiries/"


@pytest.fixture
def tier():
    return OpenTierFactory()


@pytest.fixture
def hook_calls():
    calls = []

    def handler(enquiry):
        calls.append(enquiry.pk)

    hooks.register("enquiry_submitted", handler)
    yield calls
    hooks._handlers["enquiry_submitted"].remove(handler)


# --- The join page -----------------------------------------------------------------------------------


def test_the_join_page_shows_a_labelled_form_with_a_hidden_honeypot(client, tier):
    response = client.get("/join/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_organisation_name">' in html and '<label for="id_email">' in html
    assert 'class="hp-field" aria-hidden="true"' in html
    assert 'name="form_started"' in html and 'name="viewport"' in html
    assert '<option value="net_negative">' in html and '<option value="DK">Denmark</option>' in html
    assert tier.name in html


def test_the_join_form_saves_an_enquiry_and_thanks_without_the_status_link(client, tier, hook_calls):
    response = client.post("/join/", form_data(tier=tier))
    assert response.status_code == 302 and response["Location"] == reverse("join:thanks")
    enquiry = Enquiry.objects.get()
    assert enquiry.status == Enquiry.Status.RECEIVED and enquiry.source == Enquiry.Source.FORM
    assert enquiry.requested_tier == tier and enquiry.target_year == 2040
    assert enquiry.submitted_ip == "127.0.0.1"
    assert EnquiryTransition.objects.get().by_applicant
    kinds = sorted(OutboundEmail.objects.values_list("kind", flat=True))
    assert kinds == ["enquiry.acknowledgement", "enquiry.notification"]
    assert hook_calls == [enquiry.pk]
    thanks = client.get(response["Location"])
    # The link goes to the mailbox only (see tests/reliability/test_hostile_enquiries.py).
    assert "/join/status/" not in thanks.content.decode() and "email" in thanks.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"consent_to_contact": False}, "consent_to_contact", "Please agree to be contacted"),
        ({"email": "not-an-email"}, "email", "name@example.org"),
        ({"motivation": "x" * 5001}, "motivation", "at most 5000 characters"),
        ({"organisation_name": "x" * 201}, "organisation_name", "at most 200 characters"),
        ({"organisation_kind": "city", "country": ""}, "country", "Please choose the country"),
        ({"target_year": 2300}, "target_year", "between 1990 and 2100"),
        ({"website": "not a url"}, "website", "web address"),
    ],
)
def test_the_join_form_explains_each_problem_and_saves_nothing(client, tier, change, field, message):
    response = client.post("/join/", form_data(tier=tier, **change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert 'id="error-summary"' in response.content.decode()
    assert not Enquiry.objects.exists() and not OutboundEmail.objects.exists()


def test_a_filled_honeypot_on_the_form_is_refused(client, tier):
    response = client.post("/join/", form_data(tier=tier, homepage="http://spam.example"))
    assert response.status_code == 400 and "looks automated" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_a_form_sent_faster_than_a_person_can_type_is_refused(client, tier):
    response = client.post("/join/", form_data(tier=tier, form_started=started_token(seconds_ago=0)))
    assert response.status_code == 400 and "faster than a person" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_too_many_form_submissions_from_one_address_get_429_with_retry_after(client, tier):
    # The default rate is 5 an hour per address (THROTTLE_ENQUIRIES).
    for n in range(5):
        response = client.post(
            "/join/", form_data(tier=tier, email=f"p{n}@example.org", organisation_name=f"O{n}")
        )
        assert response.status_code == 302
    response = client.post("/join/", form_data(tier=tier, email="p9@example.org"))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "try again in about" in response.content.decode()
    assert Enquiry.objects.count() == 5


# --- The API -----------------------------------------------------------------------------------------


def test_anyone_can_apply_through_the_api_and_the_status_link_goes_by_email(anon_api, tier, hook_calls):
    response = anon_api.post(URL, application(), format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "received" and "/join/status/" not in str(response.data)
    enquiry = Enquiry.objects.get()
    assert enquiry.source == Enquiry.Source.API and enquiry.requested_tier == tier
    assert hook_calls == [enquiry.pk]
    assert OutboundEmail.objects.filter(dedupe_key=f"enquiry:{enquiry.pk}:ack").exists()


def test_api_clients_may_leave_out_the_form_timestamp(anon_api, tier):
    response = anon_api.post(URL, application(form_started=...), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"consent_to_contact": ...}, "consent_to_contact", "Please agree to be contacted"),
        ({"consent_to_contact": False}, "consent_to_contact", "Please agree to be contacted"),
        ({"email": "ingrid@@example"}, "email", "name@example.org"),
        ({"motivation": "m" * 5001}, "motivation", "at most 5000 characters"),
        ({"job_title": "j" * 201}, "job_title", "at most 200 characters"),
        ({"intended_commitments": "c" * 5001}, "intended_commitments", "at most 5000 characters"),
        ({"requested_tier": "platinum"}, "requested_tier", "open to applicants"),
        ({"homepage": "http://bot.example"}, "non_field_errors", "looks automated"),
        ({"form_started": "FRESH"}, "non_field_errors", "faster than a person"),
        ({"form_started": "forged"}, "non_field_errors", "reload the page"),
        ({"target_year": 2050, "target_kind": ""}, "target_kind", "what kind of target"),
    ],
)
def test_bad_applications_get_400_with_a_message_and_create_nothing(anon_api, tier, change, field, message):
    if change.get("form_started") == "FRESH":
        change = {"form_started": started_token(seconds_ago=0)}
    response = anon_api.post(URL, application(**change), format="json")
    assert response.status_code == 400
    assert field in response.data and message in str(response.data[field])
    assert not Enquiry.objects.exists() and not OutboundEmail.objects.exists()


def test_too_many_api_applications_from_one_address_get_429_with_retry_after(anon_api, tier):
    # The default rate is 5 an hour per address; failed attempts count too.
    for n in range(5):
        anon_api.post(
            URL, application(email=f"n{n}@example.org", organisation_name=f"Org {n}"), format="json"
        )
    response = anon_api.post(URL, application(email="late@example.org"), format="json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "throttled" in str(response.data["detail"]).lower() or "available" in str(response.data["detail"])
    assert Enquiry.objects.count() == 5


def test_anonymous_clients_cannot_read_the_pipeline(anon_api, outsider_user):
    from tests.conftest import api_client_for

    assert anon_api.get(URL).status_code in (401, 403)
    assert api_client_for(outsider_user).get(URL).status_code == 403


# --- The same applicant again ------------------------------------------------------------------------


def test_the_same_applicant_sending_again_within_a_day_changes_nothing_and_is_noted(
    anon_api, tier, hook_calls
):
    first = anon_api.post(URL, application(), format="json")
    second = anon_api.post(
        URL,
        application(
            email="INGRID@climeworks-nordic.example.com",
            organisation_name="Climeworks  Nordic Ltd",
            motivation="Updated.",
        ),
        format="json",
    )
    assert first.status_code == second.status_code == 201 and first.data == second.data
    enquiry = Enquiry.objects.get()
    assert enquiry.motivation != "Updated." and "Updated." in enquiry.notes.get().body
    assert OutboundEmail.objects.filter(kind="enquiry.acknowledgement").count() == 1
    assert OutboundEmail.objects.filter(kind="enquiry.repeat", to=enquiry.email).count() == 1
    assert hook_calls == [enquiry.pk]


def test_after_a_day_the_same_applicant_starts_a_new_enquiry(anon_api, tier):
    from datetime import timedelta

    from django.utils import timezone

    anon_api.post(URL, application(), format="json")
    Enquiry.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert anon_api.post(URL, application(), format="json").status_code == 201
    assert Enquiry.objects.count() == 2


def test_a_closed_enquiry_is_not_reopened_by_a_new_submission(anon_api, tier):
    anon_api.post(URL, application(), format="json")
    Enquiry.objects.update(status=Enquiry.Status.WITHDRAWN)
    assert anon_api.post(URL, application(), format="json").status_code == 201
    assert Enquiry.objects.count() == 2


# --- Duplicates --------------------------------------------------------------------------------------


def test_a_submission_suggests_the_organisation_with_the_same_website_domain(anon_api, tier):
    existing = OrganisationFactory(
        name="Something Else", website="https://www.climeworks-nordic.example.com/about"
    )
    anon_api.post(URL, application(), format="json")
    assert Enquiry.objects.get().suggested_organisation == existing


def test_a_submission_suggests_the_organisation_with_the_same_normalised_name(anon_api, tier):
    existing = OrganisationFactory(name="Climeworks-Nordic", website="")
    anon_api.post(URL, application(organisation_name="climeworks nordic ltd.", website=""), format="json")
    assert Enquiry.objects.get().suggested_organisation == existing


@pytest.mark.parametrize(
    "existing, typed",
    [("Société Générale", "Societe Generale SA"), ("Ørsted A/S", "orsted"), ("Łódź Energia", "Lodz energia")],
)
def test_a_name_typed_without_its_accents_still_suggests_the_organisation(anon_api, tier, existing, typed):
    organisation = OrganisationFactory(name=existing, website="")
    anon_api.post(URL, application(organisation_name=typed, website=""), format="json")
    assert Enquiry.objects.get().suggested_organisation == organisation


def test_a_country_is_matched_to_its_country_record(anon_api, tier):
    denmark = CountryFactory(name="Denmark", country="DK")
    anon_api.post(
        URL,
        application(organisation_name="Kingdom of Denmark", organisation_kind="country", website=""),
        format="json",
    )
    assert Enquiry.objects.get().suggested_organisation == denmark


def test_a_submission_suggests_the_contact_with_the_same_email(anon_api, tier):
    contact = ContactFactory(email="ingrid@climeworks-nordic.example.com")
    anon_api.post(URL, application(website="", organisation_name="Brand New Name"), format="json")
    enquiry = Enquiry.objects.get()
    assert enquiry.suggested_contact == contact and enquiry.suggested_organisation == contact.organisation


def test_no_match_suggests_nothing(anon_api, tier):
    OrganisationFactory(name="Unrelated Org", website="https://unrelated.example.com")
    anon_api.post(URL, application(), format="json")
    enquiry = Enquiry.objects.get()
    assert enquiry.suggested_organisation is None and enquiry.suggested_contact is None


def test_name_normalisation_drops_case_punctuation_accents_and_legal_suffixes():
    assert services.normalise_name("  Ørsted  A/S ") == services.normalise_name("orsted")
    assert services.normalise_name("Acme Ltd.") == "acme"
    assert services.normalise_name("Acme Removals") != services.normalise_name("Acme")


# --- The secretariat's notification ------------------------------------------------------------------


def test_the_notification_goes_to_every_member_of_a_configured_staff_group(
    anon_api, tier, settings, staff_user
):
    from coalition.groups import SECRETARIAT_STAFF

    settings.ENQUIRY_SECRETARIAT_RECIPIENTS = [f"group:{SECRETARIAT_STAFF}", "desk@example.org"]
    anon_api.post(URL, application(), format="json")
    recipients = sorted(
        OutboundEmail.objects.filter(kind="enquiry.notification").values_list("to", flat=True)
    )
    assert recipients == ["desk@example.org", staff_user.email]


def test_an_existing_organisation_with_a_legal_suffix_is_suggested_for_the_bare_name(anon_api, tier):
    existing = OrganisationFactory(name="Climeworks Nordic A/S", website="")
    OrganisationFactory(name="Climeworks Nordic Removals", website="")
    anon_api.post(URL, application(organisation_name="Climeworks Nordic", website=""), format="json")
    assert Enquiry.objects.get().suggested_organisation == existing


_form_values = st.one_of(
    st.text(max_size=300),
    st.text(min_size=5001, max_size=5200),
    st.sampled_from(
        ["on", "", "DK", "country", "2050", "99999999999999999999999", "-1", "https://x", "a\x00b"]
    ),
)
_form_fields = st.sampled_from(list(form_data().keys()) + ["requested_tier", "homepage"])


@hsettings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.dictionaries(_form_fields, _form_values, max_size=6), removed=st.sets(_form_fields, max_size=4)
)
def test_no_form_post_makes_the_join_page_fail(client, changes, removed):
    from django.core.cache import cache

    cache.clear()
    data = {k: v for k, v in form_data().items() if k not in removed} | changes
    response = client.post("/join/", data)
    assert response.status_code in (302, 400), (response.status_code, data)
