"""A stranger who knows an applicant's email cannot rewrite their enquiry or learn that they applied."""

import pytest
from rest_framework.test import APIClient

from coalition.models import OutboundEmail
from members.models import Enquiry
from tests.members.enquiry_factories import OpenTierFactory, application, form_data

pytestmark = pytest.mark.django_db

URL = "/api/v1/enquiries/"


@pytest.fixture
def tier():
    return OpenTierFactory()


def _client(ip: str) -> APIClient:
    return APIClient(REMOTE_ADDR=ip)


def test_a_repeat_from_another_client_answers_like_a_first_one_and_changes_nothing(tier):
    victim = _client("198.51.100.7").post(URL, application(), format="json")
    enquiry = Enquiry.objects.get()
    enquiry.status = Enquiry.Status.UNDER_REVIEW
    enquiry.save(update_fields=["status"])
    before = {f.name: getattr(enquiry, f.name) for f in Enquiry._meta.concrete_fields}

    attacker = _client("203.0.113.66").post(
        URL,
        application(
            email="INGRID@climeworks-nordic.example.com",
            organisation_name="CLIMEWORKS nordic",
            contact_name="Mallory",
            motivation="Taken over.",
            website="https://evil.example.net",
        ),
        format="json",
    )
    stranger = _client("203.0.113.67").post(
        URL, application(email="someone-new@example.org", organisation_name="New Org"), format="json"
    )

    assert attacker.status_code == victim.status_code == stranger.status_code == 201
    assert attacker.data == victim.data == stranger.data
    assert "/join/status/" not in attacker.content.decode() and "status_url" not in attacker.data
    enquiry.refresh_from_db()
    assert {f.name: getattr(enquiry, f.name) for f in Enquiry._meta.concrete_fields} == before
    # One email to the address on record, with its link; the staff see what the repeat said.
    repeat = OutboundEmail.objects.get(kind="enquiry.repeat")
    assert repeat.to == "ingrid@climeworks-nordic.example.com" and "/join/status/" in repeat.body_text
    note = enquiry.notes.get()
    assert "Mallory" in note.body and "Taken over." in note.body


def test_many_repeats_send_the_address_on_record_one_email_a_day(tier):
    _client("198.51.100.7").post(URL, application(), format="json")
    for n in range(3):
        _client(f"203.0.113.{n + 1}").post(URL, application(motivation=f"Try {n}"), format="json")
    assert OutboundEmail.objects.filter(kind="enquiry.repeat").count() == 1
    assert Enquiry.objects.get().notes.count() == 3


def test_a_repeat_through_the_join_form_reveals_no_link_either(client, tier):
    first = client.post("/join/", form_data(tier=tier))
    first_page = client.get(first["Location"]).content.decode()
    other = type(client)(REMOTE_ADDR="203.0.113.9")
    second = other.post("/join/", form_data(tier=tier, contact_name="Mallory"))
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    second_page = other.get(second["Location"]).content.decode()
    assert "/join/status/" not in second_page and first_page == second_page
    assert Enquiry.objects.get().contact_name == "Ingrid Hansen"
