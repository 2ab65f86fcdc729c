"""Who may read, create and delete what in the members API, group by group (coalition/groups.py)."""

import pytest

from tests.conftest import api_client_for

from .factories import (
    CommitmentFactory,
    ContactFactory,
    EngagementFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


def _organisation():
    return {"name": "New Body", "kind": "ngo"}, OrganisationFactory()


def _contact():
    return {"organisation": OrganisationFactory().pk, "name": "Anna"}, ContactFactory()


def _tier():
    return {"name": "Observer", "slug": "observer"}, MembershipTierFactory()


def _membership():
    return {"organisation": OrganisationFactory().pk, "tier": MembershipTierFactory().pk}, MembershipFactory()


def _commitment():
    return {"organisation": OrganisationFactory().pk, "kind": "net_zero"}, CommitmentFactory()


def _engagement():
    return {"organisation": OrganisationFactory().pk, "kind": "note", "summary": "Noted"}, EngagementFactory()


ENDPOINTS = {
    "organisations": _organisation,
    "contacts": _contact,
    "membership-tiers": _tier,
    "memberships": _membership,
    "commitments": _commitment,
    "engagements": _engagement,
}

# Per group: endpoints it may read, create, delete (Secretariat staff edits everything in members but
# deletes only contacts and engagements; communications and viewers read).
ALL = set(ENDPOINTS)
RIGHTS = {
    "admin_user": {"read": ALL, "create": ALL, "delete": ALL},
    "staff_user": {"read": ALL, "create": ALL, "delete": {"contacts", "engagements"}},
    "comms_user": {"read": ALL, "create": set(), "delete": set()},
    "viewer_user": {"read": ALL, "create": set(), "delete": set()},
    "outsider_user": {"read": set(), "create": set(), "delete": set()},
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("who", RIGHTS)
def test_each_staff_group_reads_creates_and_deletes_only_what_its_group_allows(who, endpoint, request):
    client = api_client_for(request.getfixturevalue(who))
    payload, existing = ENDPOINTS[endpoint]()
    rights = RIGHTS[who]
    url = f"/api/v1/{endpoint}/"

    read = client.get(url)
    assert read.status_code == (200 if endpoint in rights["read"] else 403)
    detail = client.get(f"{url}{existing.pk}/")
    assert detail.status_code == (200 if endpoint in rights["read"] else 403)

    created = client.post(url, payload, format="json")
    assert created.status_code == (201 if endpoint in rights["create"] else 403), created.content

    deleted = client.delete(f"{url}{existing.pk}/")
    assert deleted.status_code == (204 if endpoint in rights["delete"] else 403)
    assert type(existing).objects.filter(pk=existing.pk).exists() != (endpoint in rights["delete"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_visitors_are_asked_to_authenticate_everywhere(endpoint, anon_api):
    payload, existing = ENDPOINTS[endpoint]()
    url = f"/api/v1/{endpoint}/"
    assert anon_api.get(url).status_code == 401
    assert anon_api.get(f"{url}{existing.pk}/").status_code == 401
    assert anon_api.post(url, payload, format="json").status_code == 401
    assert anon_api.delete(f"{url}{existing.pk}/").status_code == 401
    assert type(existing).objects.filter(pk=existing.pk).exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("admin_user", True),
        ("staff_user", True),
        ("comms_user", False),
        ("viewer_user", False),
        ("outsider_user", False),
    ],
)
def test_only_groups_that_change_memberships_may_renew_suspend_or_override(who, allowed, request):
    client = api_client_for(request.getfixturevalue(who))
    membership = MembershipFactory()
    url = f"/api/v1/memberships/{membership.pk}/"
    expected = 200 if allowed else 403
    assert (
        client.post(f"{url}renew/", {"for_end_date": membership.end_date.isoformat()}).status_code == expected
    )
    assert client.post(f"{url}override/", {"override": True, "reason": "Waived"}).status_code == expected
    assert client.post(f"{url}suspend/", {}).status_code == expected


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("viewer_user", True), ("comms_user", True), ("outsider_user", False), (None, False)],
)
def test_the_timeline_and_revisions_are_for_staff_who_may_read(who, allowed, request):
    client = api_client_for(request.getfixturevalue(who) if who else None)
    commitment = CommitmentFactory()
    timeline = client.get(f"/api/v1/organisations/{commitment.organisation_id}/timeline/")
    revisions = client.get(f"/api/v1/commitments/{commitment.pk}/revisions/")
    for response in (timeline, revisions):
        assert response.status_code == 200 if allowed else response.status_code in (401, 403)


def test_a_tier_in_use_cannot_be_deleted_through_the_api(admin_api):
    membership = MembershipFactory()
    response = admin_api.delete(f"/api/v1/membership-tiers/{membership.tier_id}/")
    assert response.status_code == 409
    assert "Memberships of this tier exist" in response.json()["detail"]
