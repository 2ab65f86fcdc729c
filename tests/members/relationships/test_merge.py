"""Merging two records of one organisation carries its people, its parts and its invoices along."""

from datetime import date
from decimal import Decimal

import pytest

from members import services
from members.affiliations import services as affiliation_services
from members.duplicates.services import organisations_merge
from members.models import Affiliation, Invoice, Organisation
from tests.members.factories import CountryFactory, MembershipTierFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_merging_moves_affiliations_children_and_invoices_to_the_kept_record(admin_user):
    denmark = CountryFactory(country="DK", name="Denmark")
    keep = OrganisationFactory(name="Danish Energy Agency")
    gone = OrganisationFactory(name="Danish Energy Agency (duplicate)", parent=denmark)
    unit = OrganisationFactory(name="Energy Agency, Removals Unit", parent=gone)
    anna = services.contact_create(organisation=gone, name="Anna Jensen", email="anna@ens.example.dk")
    twin_of_anna = services.contact_create(organisation=keep, name="Anna Jensen", email="anna@ens.example.dk")
    lars = services.contact_create(organisation=gone, name="Lars Holm", email="lars@ens.example.dk")
    affiliation_services.focal_point_appoint(
        organisation=gone, contact=lars, role="head_of_delegation", start_on=date(2025, 1, 1)
    )
    tier = MembershipTierFactory(annual_fee=Decimal("500.00"))
    services.membership_start(organisation=gone, tier=tier)

    organisations_merge(keep=keep, gone=gone, by=admin_user)

    assert not Organisation.objects.filter(pk=gone.pk).exists()
    assert not Affiliation.objects.filter(contact_id=anna.pk).exists()  # folded into the twin
    assert set(Affiliation.objects.filter(organisation=keep).values_list("contact__name", flat=True)) == {
        "Anna Jensen",
        "Lars Holm",
    }
    assert Affiliation.objects.filter(contact=twin_of_anna, is_primary=True, end_on__isnull=True).count() == 1
    assert Affiliation.objects.get(contact=lars, role="head_of_delegation").organisation == keep
    unit.refresh_from_db()
    keep.refresh_from_db()
    assert unit.parent == keep
    assert keep.parent == denmark
    assert Invoice.objects.get().organisation == keep
