from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from coalition import hooks
from members import services as members_services
from members.models import Commitment
from newsletters import services, tasks
from newsletters.models import Delivery, Newsletter

from ..members.factories import CommitmentFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign_milestones():
    def collector(*, start, end):
        return [
            {
                "section": "campaigns",
                "text": "Net-negative NDCs: Denmark committed.",
                "url": "https://example.org/c/1",
            }
        ]

    hooks.register("progress_items", collector)
    yield
    hooks._handlers["progress_items"].remove(collector)


def _this_month():
    today = timezone.localdate()
    start = today.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


def test_the_draft_lists_new_members_new_and_strengthened_commitments_and_campaign_milestones(
    campaign_milestones,
):
    start, end = _this_month()
    MembershipFactory(
        organisation=OrganisationFactory(name="Bhutan", kind="country", country="BT"), joined_on=start
    )
    MembershipFactory(
        organisation=OrganisationFactory(name="Old Member Ltd"), joined_on=start - timedelta(days=400)
    )
    denmark = OrganisationFactory(name="Denmark", kind="country", country="DK")
    members_services.commitment_create(
        organisation=denmark,
        kind=Commitment.Kind.NET_NEGATIVE,
        title="110 % reduction by 2050",
        target_year=2050,
    )
    finland = OrganisationFactory(name="Finland", kind="country", country="FI")
    target = CommitmentFactory(organisation=finland, kind=Commitment.Kind.CARBON_NEUTRAL, target_year=2035)
    Commitment.history.filter(id=target.pk).update(history_date=timezone.now() - timedelta(days=60))
    Commitment.objects.filter(pk=target.pk).update(created_at=timezone.now() - timedelta(days=60))
    target.refresh_from_db()
    members_services.commitment_update(commitment=target, status=Commitment.Status.LAW)

    newsletter = services.progress_update_draft(start=start, end=end)
    body = newsletter.body_markdown
    assert newsletter.kind == Newsletter.Kind.PROGRESS_UPDATE and newsletter.status == Newsletter.Status.DRAFT
    assert "## New members" in body and "Bhutan joined" in body and "Old Member" not in body
    assert "Denmark: new commitment: 110 % reduction by 2050" in body
    assert "Finland strengthened its carbon neutral target: now in law (was declaration / pledge)" in body
    assert (
        "## Campaign milestones" in body
        and "[Net-negative NDCs: Denmark committed.](https://example.org/c/1)" in body
    )
    assert list(newsletter.topics.values_list("slug", flat=True)) == ["progress-updates"]
    assert newsletter.preheader == "1 new member, 2 commitments, 1 campaign milestone"


def test_drafting_twice_for_the_same_period_returns_the_same_draft():
    start, end = _this_month()
    assert (
        services.progress_update_draft(start=start, end=end).pk
        == services.progress_update_draft(start=start, end=end).pk
    )
    assert Newsletter.objects.count() == 1


def test_the_monthly_task_drafts_last_month_and_never_sends_it():
    from newsletters.models import Subscriber, Topic

    from .factories import SubscriberFactory

    SubscriberFactory(topics=[Topic.objects.get(slug="progress-updates")], status=Subscriber.Status.CONFIRMED)
    pk = tasks.progress_update_draft_task.apply().get()
    newsletter = Newsletter.objects.get(pk=pk)
    assert newsletter.period_end == timezone.localdate().replace(day=1)
    assert newsletter.status == Newsletter.Status.DRAFT and not Delivery.objects.exists()
    assert "Nothing to report" in newsletter.body_markdown


def test_the_beat_schedule_runs_the_sweep_every_minute_and_the_draft_monthly():
    beat = django_settings.CELERY_BEAT_SCHEDULE
    assert beat["newsletters-sweep"]["task"] == "newsletters.tasks.newsletters_sweep_task"
    assert beat["newsletters-sweep"]["schedule"] == 60.0
    assert beat["newsletters-progress-update-draft"]["task"] == "newsletters.tasks.progress_update_draft_task"
    assert beat["newsletters-progress-update-draft"]["schedule"].day_of_month == {1}
