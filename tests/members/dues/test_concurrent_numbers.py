"""Two invoices created at the same moment on PostgreSQL never share a number, and numbers have no gaps."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from members.dues.services import invoice_issue_for_period
from members.models import Invoice
from tests.members.factories import MembershipFactory, MembershipTierFactory

pytestmark = pytest.mark.django_db(transaction=True)

PER_THREAD = 5


def test_two_threads_issuing_invoices_at_once_take_distinct_consecutive_numbers():
    tier = MembershipTierFactory(annual_fee=Decimal("100.00"))
    memberships = [MembershipFactory(tier=tier) for _ in range(2 * PER_THREAD)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def issue(batch):
        try:
            barrier.wait(timeout=10)
            for membership in batch:
                with transaction.atomic():
                    invoice_issue_for_period(membership=membership, period_start=membership.start_date)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=issue, args=(memberships[:PER_THREAD],)),
        threading.Thread(target=issue, args=(memberships[PER_THREAD:],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 2 * PER_THREAD + 1))


def test_a_rolled_back_invoice_gives_its_number_back():
    tier = MembershipTierFactory(annual_fee=Decimal("100.00"))
    first, second = MembershipFactory(tier=tier), MembershipFactory(tier=tier)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_issue_for_period(membership=first, period_start=first.start_date)
        raise RuntimeError("the caller's transaction fails after the invoice")
    invoice = invoice_issue_for_period(membership=second, period_start=second.start_date)
    assert invoice.number == 1
