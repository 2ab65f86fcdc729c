"""Fixtures shared by the members tests: the demo's two tiers that dues tests build on."""

from decimal import Decimal

import pytest

from tests.members.factories import MembershipTierFactory


@pytest.fixture
def partner():
    """The demo's Partner tier: a fee-first tier with 24-month periods (a new membership waits, pending,
    until its first invoice is paid in full)."""
    return MembershipTierFactory(
        name="Partner", slug="partner", period_months=24, annual_fee=Decimal("1200.00"), fee_first=True
    )


@pytest.fixture
def member():
    """The demo's Member tier: 12-month periods, no fee."""
    return MembershipTierFactory(name="Member", slug="member", period_months=12, annual_fee=None)
