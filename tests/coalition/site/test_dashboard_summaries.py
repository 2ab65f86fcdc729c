"""The dashboard's whole-table figures are summaries: cached until a service changes the records they
count, recomputed by the scheduled refresh, and the same figures as computed afresh."""

import pytest
from django.conf import settings

from coalition.site import dashboard
from coalition.site.tasks import dashboard_summaries_refresh_task
from members import services
from members.models import Commitment
from tests.members.factories import MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

SUMMARIES = [
    lambda **kw: dashboard.members_over_time(months=12, **kw),
    dashboard.commitments_by_kind,
    dashboard.commitments_by_target_year,
    dashboard.members_with_net_negative_targets,
    dashboard.enquiry_funnel,
]


def _member(name: str, kind: str = Commitment.Kind.NET_ZERO):
    organisation = OrganisationFactory(name=name)
    services.membership_start(organisation=organisation, tier=MembershipTierFactory())
    services.commitment_create(organisation=organisation, kind=kind, target_year=2040)
    return organisation


@pytest.mark.parametrize("summary", SUMMARIES)
def test_a_summary_read_again_costs_no_query(summary, django_assert_num_queries):
    _member("Aalborg Removals")
    first = summary()
    with django_assert_num_queries(0):
        assert summary() == first


def test_a_new_commitment_shows_in_the_summaries_at_once():
    organisation = _member("Aalborg Removals")
    before = dashboard.commitments_by_kind()
    share_before = dashboard.members_with_net_negative_targets()
    services.commitment_create(organisation=organisation, kind=Commitment.Kind.NET_NEGATIVE, target_year=2045)
    after = dashboard.commitments_by_kind()
    assert after != before
    assert dict(after)["Net negative"] == 1
    assert dashboard.members_with_net_negative_targets().part == share_before.part + 1


def test_a_cached_summary_equals_the_figures_computed_afresh():
    _member("Aalborg Removals", Commitment.Kind.NET_NEGATIVE)
    _member("Bergen Biochar")
    for summary in SUMMARIES:
        assert summary() == summary(fresh=True)


def test_the_schedule_refreshes_the_summaries_every_ten_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-summaries-refresh"]
    assert entry["task"] == "coalition.site.tasks.dashboard_summaries_refresh_task"
    assert entry["schedule"] == 600.0
    _member("Aalborg Removals")
    assert "members_over_time" in dashboard_summaries_refresh_task.apply().get()
