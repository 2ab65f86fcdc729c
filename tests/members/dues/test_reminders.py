"""Renewal reminders per tier, over a simulated year: each membership gets each reminder exactly once.

Dates are frozen by passing ``today`` to the services, one day at a time, as the daily beat task would.
"""

from collections import Counter
from datetime import date, timedelta

import pytest

from coalition.models import OutboundEmail
from members.dues.services import renewal_reminders_send
from members.services import membership_renew, memberships_recompute_statuses
from tests.members.factories import (
    ContactFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

YEAR_START = date(2026, 1, 1)


def _member(name: str, tier, end: date):
    organisation = OrganisationFactory(name=name)
    ContactFactory(organisation=organisation, email=f"{name.lower()}@example.org", is_primary=True)
    start = date(end.year - 1, end.month, 1)
    return MembershipFactory(
        organisation=organisation, tier=tier, joined_on=start, start_date=start, end_date=end
    )


def test_over_a_simulated_year_each_membership_gets_each_reminder_exactly_once():
    standard = MembershipTierFactory(slug="standard", first_reminder_days=60, second_reminder_days=14)
    light = MembershipTierFactory(
        slug="light", first_reminder_days=30, second_reminder_days=None, grace_reminder=False
    )
    _member("March", standard, date(2026, 3, 31))
    _member("August", standard, date(2026, 8, 15))
    _member("October", light, date(2026, 10, 31))
    _member("December", standard, date(2026, 12, 31))
    renewed = _member("Renewed", standard, date(2026, 5, 31))
    _member("Quiet", standard, date(2028, 1, 31))  # nothing due this year

    day = YEAR_START
    while day.year == 2026:
        memberships_recompute_statuses(today=day)
        renewal_reminders_send(today=day)
        renewal_reminders_send(today=day)  # a second run the same day (a retried task) sends nothing
        if day == date(2026, 5, 20):
            renewed.refresh_from_db()
            membership_renew(membership=renewed, for_end_date=date(2026, 5, 31), today=day)
        day += timedelta(days=1)

    sent = Counter(
        OutboundEmail.objects.filter(kind__startswith="dues.renewal_reminder").values_list("to", "kind")
    )
    assert all(n == 1 for n in sent.values()), sent
    reminders = {(to.split("@")[0], kind.rsplit(".", 1)[1]) for to, kind in sent}
    assert reminders == {
        ("march", "first"), ("march", "second"), ("march", "grace"),
        ("august", "first"), ("august", "second"), ("august", "grace"),
        ("october", "first"),
        ("december", "first"), ("december", "second"),
        ("renewed", "first"), ("renewed", "second"),
    }  # fmt: skip


def test_each_reminder_is_sent_on_the_day_its_window_opens():
    tier = MembershipTierFactory(slug="standard", first_reminder_days=60, second_reminder_days=14)
    membership = _member("Dated", tier, date(2026, 8, 15))
    day = date(2026, 6, 1)
    first_seen = {}
    while day <= date(2026, 9, 30):
        renewal_reminders_send(today=day)
        for kind in OutboundEmail.objects.values_list("kind", flat=True):
            first_seen.setdefault(kind, day)
        day += timedelta(days=1)
    assert first_seen == {
        "dues.renewal_reminder.first": date(2026, 6, 16),
        "dues.renewal_reminder.second": date(2026, 8, 1),
        # The dates say grace from the day after the end, even though no recompute ran in this test.
        "dues.renewal_reminder.grace": date(2026, 8, 16),
    }
    assert membership.status == "active"


def test_a_membership_that_starts_inside_the_first_window_gets_only_the_later_reminder():
    tier = MembershipTierFactory(slug="standard", first_reminder_days=60, second_reminder_days=14)
    _member("Late", tier, date(2026, 3, 10))
    renewal_reminders_send(today=date(2026, 3, 1))
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == ["dues.renewal_reminder.second"]


def test_the_reminder_goes_to_the_primary_contact_with_the_end_date_and_a_link_for_the_secretariat(settings):
    tier = MembershipTierFactory(slug="standard", first_reminder_days=60)
    membership = _member("Linked", tier, date(2026, 8, 15))
    ContactFactory(organisation=membership.organisation, email="someone.else@example.org")
    renewal_reminders_send(today=date(2026, 6, 20))
    (email,) = OutboundEmail.objects.all()
    assert email.to == "linked@example.org"
    assert email.reply_to == settings.SECRETARIAT_EMAIL
    assert "15 August 2026" in email.subject
    assert "in 56 days" in email.body_text
    assert f"/admin/members/membership/{membership.pk}/change/" in email.body_text
