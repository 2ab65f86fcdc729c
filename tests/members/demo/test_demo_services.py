"""The demo loader writes tiers, organisations, memberships, commitments and engagements through the
services (which date the history when it happened), so the demo holds what the product itself would write."""

import datetime

import pytest

from members import demo, services
from members.models import Commitment, Engagement, MembershipTier, Organisation
from tests.conftest import record_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The names of the member services the loader calls, in order."""
    return record_calls(
        monkeypatch,
        services,
        "membership_tier_create",
        "organisation_create",
        "membership_start",
        "commitment_create",
        "commitment_update",
        "engagement_create",
    )


def test_the_first_load_writes_every_record_through_its_service(calls):
    demo.load(profile="gone")
    assert calls.count("membership_tier_create") == MembershipTier.objects.count() == len(demo.TIERS)
    assert calls.count("organisation_create") == Organisation.objects.count()
    assert calls.count("engagement_create") == Engagement.objects.count()
    assert calls.count("commitment_create") == Commitment.objects.count()
    assert calls.count("commitment_update") > 0  # the revisions are replayed
    assert calls.count("membership_start") == 3


def test_a_second_load_calls_no_service_that_writes(calls):
    demo.load(profile="gone")
    calls.clear()
    demo.load(profile="gone")
    assert calls == []


def test_denmarks_membership_history_is_the_services_dated_at_the_cop28_launch():
    demo.load(profile="gone")
    denmark = Organisation.objects.get(kind="country", country="DK")
    started = denmark.memberships.get().history.get()
    assert started.history_change_reason == "Membership started"
    assert started.history_date == datetime.datetime(2023, 12, 10, 10, tzinfo=datetime.UTC)
