"""Merging two organisations: everything moves to the one kept, in one transaction, and history says so."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from coalition import hooks
from members.duplicates.services import organisations_merge
from members.models import Contact, Engagement, Enquiry, Membership, Organisation
from tests.members.factories import (
    CommitmentFactory,
    ContactFactory,
    CountryFactory,
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    keep = OrganisationFactory(name="Climeworks AG", website="https://climeworks.com", description="")
    gone = OrganisationFactory(
        name="Climeworks", website="https://www.climeworks.com/", sector="energy", description="DAC pioneer"
    )
    return keep, gone


def _hook(name, handler):
    hooks.register(name, handler)
    return handler


def test_merging_moves_contacts_memberships_commitments_engagements_and_enquiries(pair, admin_user):
    keep, gone = pair
    contact = ContactFactory(organisation=gone, email="jan@climeworks.example")
    old_membership = MembershipFactory(organisation=gone, status=Membership.Status.LAPSED)
    commitment = CommitmentFactory(organisation=gone, target_year=2040)
    engagement = EngagementFactory(organisation=gone)
    enquiry = Enquiry.objects.create(
        organisation_name="Climeworks",
        organisation_kind="company",
        contact_name="Jan",
        email="jan@x.example",
        motivation="Join",
        consent_to_contact=True,
        organisation=gone,
        suggested_organisation=gone,
    )

    summary = organisations_merge(keep=keep, gone=gone, by=admin_user)

    assert not Organisation.objects.filter(pk=gone.pk).exists()
    for obj in (contact, old_membership, commitment, engagement):
        obj.refresh_from_db()
        assert obj.organisation_id == keep.pk
    enquiry.refresh_from_db()
    assert enquiry.organisation_id == enquiry.suggested_organisation_id == keep.pk
    assert (summary.contacts_moved, summary.memberships_moved, summary.commitments_moved) == (1, 1, 1)
    assert summary.engagements_moved == 1 and summary.enquiries_moved == 1
    keep.refresh_from_db()
    # keep's values win; its blanks are filled from the other record
    assert keep.name == "Climeworks AG" and keep.description == "DAC pioneer"
    assert keep.sector == "technology"


def test_the_merge_is_in_the_kept_records_history_and_timeline(pair, admin_user):
    keep, gone = pair
    commitment = CommitmentFactory(organisation=gone)

    organisations_merge(keep=keep, gone=gone, by=admin_user)

    latest = keep.history.first()
    assert latest.history_change_reason == f"Merged Climeworks (#{gone.pk}) into this record"
    assert latest.history_user == admin_user
    note = Engagement.objects.get(organisation=keep, kind=Engagement.Kind.NOTE)
    assert note.summary == "Merged Climeworks into this record"
    assert "1 commitments moved" in note.details
    assert list(note.staff.all()) == [admin_user]
    assert commitment.history.first().history_change_reason.startswith("Merged Climeworks")
    deleted = Organisation.history.filter(id=gone.pk, history_type="-").get()
    assert deleted.history_change_reason == f"Merged into Climeworks AG (#{keep.pk})"


def test_a_contact_with_an_email_the_kept_record_has_is_folded_into_that_contact(pair):
    keep, gone = pair
    kept_contact = ContactFactory(
        organisation=keep, email="jan@climeworks.example", phone="", is_primary=True
    )
    twin = ContactFactory(
        organisation=gone, email="jan@climeworks.example", phone="+41 44 533 99 99", is_primary=True
    )
    other_primary = ContactFactory(organisation=gone, email="christoph@climeworks.example")
    meeting = EngagementFactory(organisation=gone)
    meeting.contacts.add(twin)
    enquiry = Enquiry.objects.create(
        organisation_name="Climeworks",
        organisation_kind="company",
        contact_name="Jan",
        email="jan@x.example",
        motivation="Join",
        consent_to_contact=True,
        contact=twin,
    )

    summary = organisations_merge(keep=keep, gone=gone)

    assert (summary.contacts_merged, summary.contacts_moved) == (1, 1)
    assert not Contact.objects.filter(pk=twin.pk).exists()
    kept_contact.refresh_from_db()
    assert kept_contact.phone == "+41 44 533 99 99" and kept_contact.is_primary
    assert list(meeting.contacts.all()) == [kept_contact]
    enquiry.refresh_from_db()
    assert enquiry.contact == kept_contact
    other_primary.refresh_from_db()
    assert other_primary.organisation == keep
    assert keep.contacts.filter(is_primary=True).count() == 1


def test_a_second_primary_contact_stops_being_primary_when_it_moves(pair):
    keep, gone = pair
    ContactFactory(organisation=keep, is_primary=True)
    moved = ContactFactory(organisation=gone, is_primary=True)

    organisations_merge(keep=keep, gone=gone)

    moved.refresh_from_db()
    assert moved.organisation == keep and not moved.is_primary


def test_when_both_have_a_current_membership_the_kept_one_stays_current_and_the_other_is_withdrawn(pair):
    keep, gone = pair
    kept = MembershipFactory(organisation=keep, status=Membership.Status.ACTIVE)
    other = MembershipFactory(organisation=gone, status=Membership.Status.GRACE)

    summary = organisations_merge(keep=keep, gone=gone)

    kept.refresh_from_db()
    other.refresh_from_db()
    assert kept.status == "active"
    assert other.status == "withdrawn" and other.organisation == keep
    assert "which has its own current membership" in other.notes
    assert summary.memberships_closed == 1


def test_the_other_records_current_membership_becomes_current_for_the_kept_one_if_it_has_none(pair):
    keep, gone = pair
    MembershipFactory(organisation=keep, status=Membership.Status.LAPSED)
    current = MembershipFactory(organisation=gone, status=Membership.Status.ACTIVE)

    organisations_merge(keep=keep, gone=gone)

    current.refresh_from_db()
    assert current.status == "active" and current.organisation == keep


def test_other_apps_move_their_rows_in_the_hook_before_the_record_is_deleted(pair):
    keep, gone = pair
    seen = []
    handler = _hook(
        "organisations_merged",
        lambda *, keep, gone: seen.append(
            (keep.pk, gone.pk, Organisation.objects.filter(pk=gone.pk).exists())
        ),
    )
    try:
        organisations_merge(keep=keep, gone=gone)
    finally:
        hooks._handlers["organisations_merged"].remove(handler)

    assert seen == [(keep.pk, gone.pk, True)]


def test_a_failing_hook_rolls_the_whole_merge_back(pair):
    keep, gone = pair
    contact = ContactFactory(organisation=gone)

    def broken(*, keep, gone):
        raise RuntimeError("campaign targets could not be moved")

    hooks.register("organisations_merged", broken)
    try:
        with pytest.raises(RuntimeError):
            organisations_merge(keep=keep, gone=gone)
    finally:
        hooks._handlers["organisations_merged"].remove(broken)

    contact.refresh_from_db()
    assert contact.organisation == gone
    assert Organisation.objects.filter(pk=gone.pk).exists()


def test_two_different_countries_or_one_record_with_itself_cannot_be_merged():
    denmark, norway = (
        CountryFactory(country="DK", name="Denmark"),
        CountryFactory(country="NO", name="Norway"),
    )
    with pytest.raises(ValidationError, match="different countries"):
        organisations_merge(keep=denmark, gone=norway)
    with pytest.raises(ValidationError, match="two different organisations"):
        organisations_merge(keep=denmark, gone=denmark)


def test_the_merge_page_compares_both_records_and_merges_the_one_not_kept(pair, admin_user):
    keep, gone = pair
    ContactFactory(organisation=gone)
    client = Client()
    client.force_login(admin_user)

    page = client.get(f"/staff/duplicates/merge/?first={gone.pk}&second={keep.pk}")
    assert page.status_code == 200
    assert "Climeworks AG" in page.content.decode()

    confirmation = client.post(
        "/staff/duplicates/merge/", {"first": gone.pk, "second": keep.pk, "keep": keep.pk}
    )
    assert confirmation.status_code == 200 and "will be merged into" in confirmation.content.decode()
    assert Organisation.objects.count() == 2  # nothing merged before the confirmation

    response = client.post(
        "/staff/duplicates/merge/",
        {"first": gone.pk, "second": keep.pk, "keep": keep.pk, "confirm": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Merged Climeworks into Climeworks AG" in response.content.decode()
    assert list(Organisation.objects.values_list("pk", flat=True)) == [keep.pk]
    assert keep.contacts.count() == 1


def test_the_merge_page_answers_bad_requests_with_a_reason(pair, admin_user, staff_user):
    keep, gone = pair
    staff = Client()
    staff.force_login(staff_user)
    assert staff.get(f"/staff/duplicates/merge/?first={gone.pk}&second={keep.pk}").status_code == 403

    admin = Client()
    admin.force_login(admin_user)
    assert admin.get("/staff/duplicates/merge/?first=x").status_code == 400
    assert admin.get(f"/staff/duplicates/merge/?first={keep.pk}&second=999999").status_code == 404
    response = admin.post("/staff/duplicates/merge/", {"first": gone.pk, "second": keep.pk, "keep": 123})
    assert (
        response.status_code == 400
        and "Choose which of the two records to keep." in response.content.decode()
    )
    assert Organisation.objects.count() == 2


def test_the_merge_guard_names_rows_that_still_point_at_the_record_to_be_deleted(pair):
    from members.duplicates.services import _remaining_references

    keep, gone = pair
    ContactFactory(organisation=gone)
    MembershipFactory(organisation=gone)

    assert sorted(_remaining_references(gone)) == ["1 contacts", "1 memberships"]
    assert _remaining_references(keep) == []
