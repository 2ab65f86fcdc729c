"""Records entered after the fact (the demo data, say) can date their history when the change happened:
the services take ``history_date`` and default to now."""

import datetime

import pytest
from django.utils import timezone

from members import services
from members.models import Commitment, Organisation
from tests.members.factories import MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

ON = datetime.datetime(2021, 4, 22, 9, tzinfo=datetime.UTC)
LATER = datetime.datetime(2023, 6, 1, 9, tzinfo=datetime.UTC)


def test_an_organisation_created_and_changed_with_history_dates_has_them_in_its_history():
    organisation = services.organisation_create(
        name="Norway", kind=Organisation.Kind.COUNTRY, country="NO", history_date=ON
    )
    services.organisation_update(organisation=organisation, description="Nordic", history_date=LATER)
    assert [h.history_date for h in organisation.history.order_by("history_date")] == [ON, LATER]


def test_a_commitment_and_its_revision_are_dated_when_they_happened():
    organisation = OrganisationFactory()
    commitment = services.commitment_create(
        organisation=organisation, kind=Commitment.Kind.NET_ZERO, target_year=2050, history_date=ON
    )
    services.commitment_update(commitment=commitment, target_year=2045, history_date=LATER)
    history = list(commitment.history.order_by("history_date").values_list("history_date", "target_year"))
    assert history == [(ON, 2050), (LATER, 2045)]


def test_a_membership_started_and_corrected_with_history_dates_keeps_them():
    membership = services.membership_start(
        organisation=OrganisationFactory(),
        tier=MembershipTierFactory(period_months=None),
        start_date=ON.date(),
        history_date=ON,
    )
    services.membership_update(membership=membership, tier=MembershipTierFactory(), history_date=LATER)
    history = list(
        membership.history.order_by("history_date").values_list("history_date", "history_change_reason")
    )
    assert history == [(ON, "Membership started"), (LATER, "Membership details changed")]


def test_without_a_history_date_the_history_is_dated_now():
    before = timezone.now()
    organisation = services.organisation_create(name="Acme", kind=Organisation.Kind.COMPANY)
    assert organisation.history.get().history_date >= before
