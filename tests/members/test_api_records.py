"""Contacts, tiers, memberships, commitments and engagements through /api/v1/: writes and their 400s."""

import datetime

import pytest
from django.utils import timezone

from members.models import Commitment, Contact, Membership

from .factories import (
    CommitmentFactory,
    ContactFactory,
    EngagementFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


# --- Contacts ---------------------------------------------------------------------------------------------


def test_a_contact_created_through_the_api_has_a_lower_case_email(staff_api):
    organisation = OrganisationFactory()
    response = staff_api.post(
        "/api/v1/contacts/",
        {"organisation": organisation.pk, "name": "Anna Berg", "email": "Anna@Example.ORG"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "anna@example.org"
    assert Contact.objects.get().email == "anna@example.org"


def test_a_contact_email_already_at_the_organisation_answers_400_on_the_email(staff_api):
    existing = ContactFactory(email="anna@example.org")
    response = staff_api.post(
        "/api/v1/contacts/",
        {"organisation": existing.organisation_id, "name": "Anna", "email": "ANNA@example.org"},
    )
    assert response.status_code == 400
    assert response.json() == {"email": ["This organisation already has a contact with this email."]}


def test_a_second_primary_contact_answers_400_on_the_flag(staff_api):
    existing = ContactFactory(is_primary=True)
    response = staff_api.post(
        "/api/v1/contacts/", {"organisation": existing.organisation_id, "name": "Ben", "is_primary": True}
    )
    assert response.status_code == 400
    assert "is_primary" in response.json()


def test_an_invalid_email_answers_400_on_the_email(staff_api):
    response = staff_api.post(
        "/api/v1/contacts/",
        {"organisation": OrganisationFactory().pk, "name": "Ben", "email": "not an email"},
    )
    assert response.status_code == 400
    assert "email" in response.json()


def test_contacts_are_found_by_email_whatever_its_case(staff_api):
    ContactFactory(email="anna@example.org", name="Anna")
    ContactFactory(email="ben@example.org", name="Ben")
    response = staff_api.get("/api/v1/contacts/", {"email": "ANNA@example.org"})
    assert [c["name"] for c in response.json()["results"]] == ["Anna"]


# --- Tiers --------------------------------------------------------------------------------------------


def test_an_admin_creates_a_tier_and_a_duplicate_name_answers_400(admin_api):
    payload = {"name": "Observer", "slug": "observer", "period_months": 12, "grace_days": 30}
    assert admin_api.post("/api/v1/membership-tiers/", payload).status_code == 201
    response = admin_api.post("/api/v1/membership-tiers/", payload)
    assert response.status_code == 400
    assert set(response.json()) == {"name", "slug"}


# --- Memberships -----------------------------------------------------------------------------------------


def test_starting_a_membership_through_the_api_computes_its_status_and_end(staff_api):
    organisation = OrganisationFactory()
    tier = MembershipTierFactory(period_months=12)
    response = staff_api.post("/api/v1/memberships/", {"organisation": organisation.pk, "tier": tier.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active"
    assert body["start_date"] == timezone.localdate().isoformat()
    assert body["end_date"] is not None


def _zone_where_today_is_not_utcs() -> str:
    """A time zone whose date differs from UTC's at this moment (UTC-12 before noon UTC, UTC+14 after)."""
    return "Etc/GMT+12" if datetime.datetime.now(datetime.UTC).hour < 12 else "Pacific/Kiritimati"


def test_the_api_starts_a_membership_on_the_secretariats_today_not_utcs(staff_api, settings):
    settings.TIME_ZONE = _zone_where_today_is_not_utcs()
    secretariat_today = timezone.localdate(timezone=timezone.get_default_timezone())
    assert secretariat_today != datetime.datetime.now(datetime.UTC).date()  # the case this test is about
    organisation = OrganisationFactory()
    tier = MembershipTierFactory(period_months=12)

    response = staff_api.post("/api/v1/memberships/", {"organisation": organisation.pk, "tier": tier.pk})

    assert response.status_code == 201, response.content
    assert response.json()["start_date"] == secretariat_today.isoformat()
    assert Membership.objects.get().joined_on == secretariat_today


def test_a_second_current_membership_answers_400_on_the_organisation(staff_api):
    current = MembershipFactory()
    response = staff_api.post(
        "/api/v1/memberships/", {"organisation": current.organisation_id, "tier": current.tier_id}
    )
    assert response.status_code == 400
    assert "already has a current membership" in response.json()["organisation"][0]


def test_an_end_date_before_the_start_answers_400_on_the_end_date(staff_api):
    response = staff_api.post(
        "/api/v1/memberships/",
        {
            "organisation": OrganisationFactory().pk,
            "tier": MembershipTierFactory().pk,
            "start_date": "2026-03-01",
            "end_date": "2026-02-01",
        },
    )
    assert response.status_code == 400
    assert "end_date" in response.json()


def test_the_status_cannot_be_written_directly(staff_api):
    membership = MembershipFactory()
    response = staff_api.patch(f"/api/v1/memberships/{membership.pk}/", {"status": "lapsed", "notes": "x"})
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.notes == "x"


def test_renewing_twice_through_the_api_extends_only_once(staff_api):
    end = timezone.localdate() + 10 * DAY
    membership = MembershipFactory(end_date=end)
    url = f"/api/v1/memberships/{membership.pk}/renew/"
    first = staff_api.post(url, {"for_end_date": end.isoformat()})
    second = staff_api.post(url, {"for_end_date": end.isoformat()})
    assert first.status_code == second.status_code == 200
    assert first.json()["end_date"] == second.json()["end_date"]
    membership.refresh_from_db()
    assert membership.end_date > end
    assert membership.history.filter(history_change_reason__startswith="Renewed").count() == 1


def test_renewing_without_the_end_date_seen_answers_400(staff_api):
    membership = MembershipFactory()
    response = staff_api.post(f"/api/v1/memberships/{membership.pk}/renew/", {})
    assert response.status_code == 400
    assert "for_end_date" in response.json()


def test_renewing_a_suspended_membership_answers_409(staff_api):
    membership = MembershipFactory(status=Membership.Status.SUSPENDED)
    response = staff_api.post(
        f"/api/v1/memberships/{membership.pk}/renew/", {"for_end_date": membership.end_date.isoformat()}
    )
    assert response.status_code == 409
    assert "cannot be renewed" in response.json()["detail"]


def test_a_staff_override_freezes_the_status_and_records_who(staff_api, staff_user):
    membership = MembershipFactory()
    response = staff_api.post(
        f"/api/v1/memberships/{membership.pk}/override/",
        {"override": True, "status": "grace", "reason": "Invoice sent late"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "grace"
    assert response.json()["status_override"] is True
    assert membership.history.order_by("-history_id").first().history_user == staff_user


def test_an_override_without_a_reason_answers_400_on_the_reason(staff_api):
    membership = MembershipFactory()
    response = staff_api.post(f"/api/v1/memberships/{membership.pk}/override/", {"override": True})
    assert response.status_code == 400
    assert "reason" in response.json()


def test_suspend_and_reinstate_through_the_api(staff_api):
    membership = MembershipFactory()
    url = f"/api/v1/memberships/{membership.pk}/"
    assert staff_api.post(f"{url}suspend/", {"reason": "Dues"}).json()["status"] == "suspended"
    assert staff_api.post(f"{url}reinstate/").json()["status"] == "active"
    assert staff_api.post(f"{url}withdraw/").json()["status"] == "withdrawn"
    assert staff_api.post(f"{url}withdraw/").status_code == 409


def test_a_long_reason_is_kept_whole_in_the_membership_history(staff_api):
    # The API accepts reasons of 250-300 characters; the history's change reason used to hold 100 (a 500).
    membership = MembershipFactory()
    url = f"/api/v1/memberships/{membership.pk}/"
    override_reason = ("Board decision: " + "the invoice was disputed in good faith. " * 7)[:300].strip()
    suspend_reason = ("Dues unpaid: " + "reminders were sent by post and email. " * 6)[:250].strip()
    assert len(override_reason) > 250 and len(suspend_reason) > 200

    frozen = staff_api.post(f"{url}override/", {"override": True, "reason": override_reason})
    lifted = staff_api.post(f"{url}override/", {"override": False, "reason": ""})
    suspended = staff_api.post(f"{url}suspend/", {"reason": suspend_reason})

    assert [frozen.status_code, lifted.status_code, suspended.status_code] == [200, 200, 200]
    reasons = list(membership.history.values_list("history_change_reason", flat=True))
    assert f"Suspended: {suspend_reason}" in reasons
    assert f"Status frozen at active: {override_reason}" in reasons


# --- Commitments -----------------------------------------------------------------------------------------


def test_denmarks_110_percent_target_is_accepted(staff_api):
    denmark = OrganisationFactory(name="Denmark", kind="country", country="DK")
    response = staff_api.post(
        "/api/v1/commitments/",
        {
            "organisation": denmark.pk,
            "kind": "net_negative",
            "target_year": 2050,
            "reduction_percent": "110",
            "baseline_year": 1990,
            "status": "law",
        },
    )
    assert response.status_code == 201, response.content
    assert Commitment.objects.get().reduction_percent == 110


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reduction_percent": "200.5"}, "reduction_percent"),
        ({"reduction_percent": "-1"}, "reduction_percent"),
        ({"target_year": 2030, "baseline_year": 2030}, "target_year"),
        ({"target_year": 2010, "baseline_year": 2020}, "target_year"),
        ({"target_year": 2101}, "target_year"),
        ({"kind": "wishful_thinking"}, "kind"),
    ],
)
def test_a_commitment_breaking_a_rule_answers_400_on_the_field(staff_api, payload, field):
    body = {"organisation": OrganisationFactory().pk, "kind": "net_zero", **payload}
    response = staff_api.post("/api/v1/commitments/", body)
    assert response.status_code == 400
    assert field in response.json()


def test_a_partial_update_is_checked_against_the_stored_baseline(staff_api):
    commitment = CommitmentFactory(target_year=2050, baseline_year=2005)
    response = staff_api.patch(f"/api/v1/commitments/{commitment.pk}/", {"target_year": 2000})
    assert response.status_code == 400
    assert "target_year" in response.json()


def test_every_revision_of_a_commitment_is_listed_newest_first(staff_api, staff_user):
    commitment = CommitmentFactory(target_year=2050)
    staff_api.patch(f"/api/v1/commitments/{commitment.pk}/", {"target_year": 2045})
    staff_api.patch(f"/api/v1/commitments/{commitment.pk}/", {"status": "law"})

    revisions = staff_api.get(f"/api/v1/commitments/{commitment.pk}/revisions/").json()

    assert [(r["history_type"], r["target_year"], r["status"]) for r in revisions] == [
        ("~", 2045, "law"),
        ("~", 2045, "pledge"),
        ("+", 2050, "pledge"),
    ]
    assert revisions[0]["history_user"] == staff_user.username


# --- Engagements -----------------------------------------------------------------------------------------


def test_an_engagement_records_who_took_part(staff_api, staff_user):
    contact = ContactFactory()
    response = staff_api.post(
        "/api/v1/engagements/",
        {
            "organisation": contact.organisation_id,
            "kind": "meeting",
            "summary": "Side event at COP",
            "contacts": [contact.pk],
            "staff": [staff_user.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["contacts"] == [contact.pk]
    assert response.json()["staff"] == [staff_user.pk]


def test_an_engagement_naming_another_organisations_contact_answers_400(staff_api):
    stranger = ContactFactory()
    response = staff_api.post(
        "/api/v1/engagements/",
        {
            "organisation": OrganisationFactory().pk,
            "kind": "call",
            "summary": "Call",
            "contacts": [stranger.pk],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "contacts" in response.json()


def test_an_engagement_without_a_summary_answers_400_on_the_summary(staff_api):
    response = staff_api.post(
        "/api/v1/engagements/", {"organisation": OrganisationFactory().pk, "kind": "call"}
    )
    assert response.status_code == 400
    assert "summary" in response.json()


def test_engagements_filter_by_period_whatever_the_offset_of_the_bounds(staff_api):
    EngagementFactory(summary="Then", occurred_at=datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC))
    for after, expected in [("2026-01-10T00:00:00-21:56", []), ("0001-01-01T00:00:00+00:00", ["Then"])]:
        response = staff_api.get("/api/v1/engagements/", {"occurred_at_after": after})
        assert response.status_code == 200
        assert [e["summary"] for e in response.json()["results"]] == expected
    response = staff_api.get("/api/v1/engagements/", {"occurred_at_after": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
