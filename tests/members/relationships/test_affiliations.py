"""People move between organisations and keep their history; focal points hold terms."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from members import selectors, services
from members.affiliations import selectors as affiliation_selectors
from members.affiliations import services as affiliation_services
from members.models import Affiliation, Organisation
from tests.members.factories import CountryFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _danish_ministry_and_agency():
    ministry = OrganisationFactory(
        name="Danish Ministry of Climate", kind=Organisation.Kind.OTHER, country="DK"
    )
    agency = OrganisationFactory(name="Danish Energy Agency", kind=Organisation.Kind.OTHER, country="DK")
    return ministry, agency


def test_a_new_contact_starts_with_one_current_primary_affiliation():
    ministry, _agency = _danish_ministry_and_agency()
    anna = services.contact_create(organisation=ministry, name="Anna Jensen", email="anna@kefm.example.dk")

    (affiliation,) = anna.affiliations.all()
    assert affiliation.organisation == ministry
    assert affiliation.is_primary and affiliation.end_on is None


def test_a_contact_moved_to_another_ministry_keeps_every_engagement_and_both_organisations_show_them():
    ministry, agency = _danish_ministry_and_agency()
    anna = services.contact_create(
        organisation=ministry, name="Anna Jensen", email="anna@kefm.example.dk", job_title="Climate adviser"
    )
    Affiliation.objects.filter(contact=anna).update(start_on=date(2024, 1, 15))
    meetings = [
        services.engagement_create(
            organisation=ministry, kind="meeting", summary=f"Meeting {n}", contacts=[anna]
        )
        for n in range(3)
    ]

    affiliation_services.affiliation_move(
        contact=anna, to_organisation=agency, on=date(2026, 4, 1), job_title="Head of unit"
    )

    anna.refresh_from_db()
    assert anna.organisation == agency
    assert anna.job_title == "Head of unit"
    assert sorted(e.pk for e in anna.engagements.all()) == sorted(m.pk for m in meetings)
    # The old organisation's engagement can still be edited with the person who has moved on.
    services.engagement_update(engagement=meetings[0], summary="Meeting 0, minutes added", contacts=[anna])

    at_ministry = affiliation_selectors.organisation_people(organisation=ministry)
    at_agency = affiliation_selectors.organisation_people(organisation=agency)
    assert [a.contact for a in at_ministry.current] == []
    assert [(a.contact, a.start_on, a.end_on) for a in at_ministry.past] == [
        (anna, date(2024, 1, 15), date(2026, 3, 31))
    ]
    assert [(a.contact, a.start_on, a.end_on) for a in at_agency.current] == [(anna, date(2026, 4, 1), None)]
    assert at_agency.past == []

    ministry_timeline = [e.title for e in selectors.organisation_timeline(organisation=ministry)]
    agency_timeline = [e.title for e in selectors.organisation_timeline(organisation=agency)]
    assert "Anna Jensen left: Staff (2024-01-15 to 2026-03-31)" in ministry_timeline
    assert "Anna Jensen started: Staff (from 2024-01-15)" in ministry_timeline
    assert sum("Meeting" in t for t in ministry_timeline) == 3
    assert agency_timeline == ["Anna Jensen started: Staff (from 2026-04-01)"]


def test_moving_a_person_to_where_they_already_are_is_refused():
    ministry, _agency = _danish_ministry_and_agency()
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    with pytest.raises(ValidationError, match="already at"):
        affiliation_services.affiliation_move(contact=anna, to_organisation=ministry)


def test_changing_a_contacts_organisation_directly_is_recorded_as_a_move():
    ministry, agency = _danish_ministry_and_agency()
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    services.contact_update(contact=anna, organisation=agency)

    current = anna.affiliations.filter(end_on__isnull=True)
    assert [a.organisation for a in current] == [agency]
    assert anna.affiliations.get(organisation=ministry).end_on is not None


def test_appointing_a_new_focal_point_ends_the_previous_term_and_keeps_it():
    denmark = CountryFactory(country="DK", name="Denmark")
    ministry, _agency = _danish_ministry_and_agency()
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    lars = services.contact_create(organisation=ministry, name="Lars Holm")

    affiliation_services.focal_point_appoint(organisation=denmark, contact=anna, start_on=date(2023, 1, 1))
    affiliation_services.focal_point_appoint(organisation=denmark, contact=lars, start_on=date(2025, 6, 1))

    terms = Affiliation.objects.filter(organisation=denmark).order_by("start_on")
    assert [(t.contact, t.start_on, t.end_on) for t in terms] == [
        (anna, date(2023, 1, 1), date(2025, 5, 31)),
        (lars, date(2025, 6, 1), None),
    ]
    assert [a.contact for a in affiliation_selectors.focal_points_current(organisation=denmark)] == [lars]


def test_a_second_current_focal_point_is_refused_with_a_clear_message():
    denmark = CountryFactory(country="DK", name="Denmark")
    ministry, _agency = _danish_ministry_and_agency()
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    lars = services.contact_create(organisation=ministry, name="Lars Holm")
    affiliation_services.affiliation_create(contact=anna, organisation=denmark, role="national_focal_point")

    with pytest.raises(ValidationError) as caught:
        affiliation_services.affiliation_create(
            contact=lars, organisation=denmark, role="national_focal_point"
        )
    assert "Anna Jensen" in caught.value.message_dict["role"][0]


def test_a_member_country_whose_focal_point_term_ended_needs_attention():
    denmark = CountryFactory(country="DK", name="Denmark")
    finland = CountryFactory(country="FI", name="Finland")
    MembershipFactory(organisation=denmark)
    MembershipFactory(organisation=finland)
    ministry, _agency = _danish_ministry_and_agency()
    anna = services.contact_create(organisation=ministry, name="Anna Jensen")
    term = affiliation_services.focal_point_appoint(
        organisation=denmark, contact=anna, start_on=date(2024, 1, 1)
    )
    mari = services.contact_create(organisation=finland, name="Mari Virtanen")
    affiliation_services.focal_point_appoint(organisation=finland, contact=mari, start_on=date(2024, 1, 1))

    assert list(affiliation_selectors.countries_without_focal_point()) == []
    affiliation_services.affiliation_end(affiliation=term, end_on=date(2026, 1, 31))

    assert list(affiliation_selectors.countries_without_focal_point()) == [denmark]
    assert Affiliation.objects.filter(organisation=denmark).count() == 1  # the ended term stays
