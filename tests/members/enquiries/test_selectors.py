"""Dashboard figures: enquiries per stage and median days from receipt to decision."""

from datetime import UTC, date, datetime, timedelta

import pytest

from members.enquiries.selectors import enquiries_per_stage, enquiry_median_days_to_decision
from members.models import Enquiry
from tests.members.enquiry_factories import EnquiryFactory

pytestmark = pytest.mark.django_db
S = Enquiry.Status


def _decided(status, received: datetime, days: float) -> Enquiry:
    enquiry = EnquiryFactory(status=status)
    Enquiry.objects.filter(pk=enquiry.pk).update(
        created_at=received, decided_at=received + timedelta(days=days)
    )
    return enquiry


def test_enquiries_per_stage_lists_every_stage_in_order_with_zeros(django_assert_num_queries):
    EnquiryFactory.create_batch(2)
    EnquiryFactory(status=S.SPAM)
    with django_assert_num_queries(1):
        figures = enquiries_per_stage()
    assert list(figures) == [s.value for s in S]
    assert figures["received"] == 2 and figures["spam"] == 1 and figures["approved"] == 0


def test_the_median_days_to_decision_counts_approvals_and_declines_decided_in_the_period(
    django_assert_num_queries,
):
    march = datetime(2026, 3, 1, 9, tzinfo=UTC)
    _decided(S.APPROVED, march, 2)
    _decided(S.DECLINED, march, 4)
    _decided(S.APPROVED, march, 10)
    _decided(S.APPROVED, march, 40)  # decided in April: outside the period
    withdrawn = EnquiryFactory(status=S.WITHDRAWN)  # not a decision
    Enquiry.objects.filter(pk=withdrawn.pk).update(decided_at=march + timedelta(days=1))
    with django_assert_num_queries(1):
        median = enquiry_median_days_to_decision(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert median == 4.0


def test_the_median_of_an_even_count_is_the_midpoint():
    march = datetime(2026, 3, 1, tzinfo=UTC)
    _decided(S.APPROVED, march, 1)
    _decided(S.APPROVED, march, 3)
    assert enquiry_median_days_to_decision(start=date(2026, 3, 1), end=date(2026, 3, 31)) == 2.0


def test_the_median_is_none_when_nothing_was_decided():
    assert enquiry_median_days_to_decision(start=date(2026, 1, 1), end=date(2026, 1, 31)) is None
