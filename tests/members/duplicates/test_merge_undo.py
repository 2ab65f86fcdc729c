"""Undoing a merge: every row the merge moved, folded, changed or deleted is as it was before, and nothing
later is overwritten without saying so."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from campaigns import services as campaign_services
from campaigns.models import CampaignAction, EventParticipant, Target, TargetStageChange
from members import services
from members.affiliations import services as affiliation_services
from members.duplicates.services import merge_undo_problems, organisations_merge, organisations_merge_undo
from members.models import (
    Affiliation,
    Commitment,
    Contact,
    Engagement,
    Enquiry,
    Invoice,
    Membership,
    Organisation,
    OrganisationMerge,
)
from newsletters.models import Subscriber
from tests.campaigns.factories import CampaignFactory, EventFactory, ParticipantFactory, TargetFactory
from tests.members.factories import (
    CommitmentFactory,
    CountryFactory,
    EngagementFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)
from tests.newsletters.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

_MODELS = (
    Organisation, Contact, Membership, Commitment, Engagement, Enquiry, Affiliation, Invoice, Target,
    TargetStageChange, CampaignAction, EventParticipant, Subscriber,
)  # fmt: skip


def _state() -> dict:
    """Every row of the tables a merge touches, without the columns every save changes, and the people of
    each engagement: what an undo must give back exactly."""
    state = {}
    for model in _MODELS:
        rows = {}
        for row in model._base_manager.values():
            row.pop("updated_at", None)
            rows[row["id"]] = row
        state[model._meta.label] = rows
    state["engagement contacts"] = {
        e.pk: sorted(e.contacts.values_list("pk", flat=True)) for e in Engagement.objects.all()
    }
    return state


def _without_undo_notes(state: dict) -> dict:
    state["members.Engagement"] = {
        pk: row for pk, row in state["members.Engagement"].items() if "merge" not in row["summary"].lower()
    }
    state["engagement contacts"] = {
        pk: people for pk, people in state["engagement contacts"].items() if pk in state["members.Engagement"]
    }
    return state


@pytest.fixture
def two_records(admin_user):
    """Two records of one organisation, each with people, memberships, money, campaigns and subscribers,
    so that a merge moves, folds, withdraws, re-parents and deletes."""
    denmark = CountryFactory(country="DK", name="Denmark")
    keep = OrganisationFactory(name="Danish Energy Agency", description="")
    gone = OrganisationFactory(
        name="Danish Energy Agency (duplicate)",
        parent=denmark,
        description="Energy authority",
        sector="energy",
    )
    unit = OrganisationFactory(name="Removals Unit", parent=gone)
    services.contact_create(organisation=keep, name="Anna Jensen", email="anna@ens.example.dk")
    anna = services.contact_create(
        organisation=gone, name="Anna Jensen", email="anna@ens.example.dk", phone="+45 33 92 67 00"
    )
    lars = services.contact_create(organisation=gone, name="Lars Holm", email="lars@ens.example.dk")
    affiliation_services.focal_point_appoint(
        organisation=gone, contact=lars, role="head_of_delegation", start_on=date(2025, 1, 1)
    )
    MembershipFactory(organisation=keep)
    tier = MembershipTierFactory(annual_fee=Decimal("500.00"))
    services.membership_start(organisation=gone, tier=tier)
    CommitmentFactory(organisation=gone, target_year=2045)
    meeting = EngagementFactory(organisation=gone, summary="Call on removals")
    meeting.contacts.add(anna, lars)
    Enquiry.objects.create(
        organisation_name="DEA", organisation_kind="intergovernmental", contact_name="Anna",
        email="a@x.example", motivation="Join", consent_to_contact=True, organisation=gone,
        suggested_organisation=gone, contact=anna,
    )  # fmt: skip
    campaign = CampaignFactory()
    TargetFactory(campaign=campaign, organisation=keep)
    folded_target = campaign_services.target_add(campaign=campaign, organisation=gone, by=admin_user)
    campaign_services.target_log_action(
        target=folded_target, kind=Engagement.Kind.CALL, summary="Called", by=admin_user
    )
    ParticipantFactory(event=EventFactory(), organisation=gone, contact=lars)
    SubscriberFactory(email="anna@ens.example.dk", contact=anna)
    services.organisation_membership_refresh(organisation_ids=[keep.pk, gone.pk])
    return keep, gone, unit


def test_undoing_a_merge_gives_back_every_row_as_it_was(two_records, admin_user):
    keep, gone, unit = two_records
    before = _state()

    summary = organisations_merge(keep=keep, gone=gone, by=admin_user, choices={"name": "gone"})
    assert not Organisation.objects.filter(pk=gone.pk).exists()
    assert Organisation.objects.get(pk=keep.pk).name == "Danish Energy Agency (duplicate)"
    assert summary.merge is not None and summary.merge.gone_pk == gone.pk
    assert _state() != before

    restored = organisations_merge_undo(merge=summary.merge, by=admin_user)

    assert restored.pk == gone.pk
    assert _without_undo_notes(_state()) == before
    merge = OrganisationMerge.objects.get()
    assert merge.undone_at is not None and merge.undone_by == admin_user
    assert Organisation.objects.get(pk=unit.pk).parent_id == gone.pk


def test_the_undo_is_in_both_histories_and_timelines(two_records, admin_user):
    keep, gone, _ = two_records
    merge = organisations_merge(keep=keep, gone=gone, by=admin_user).merge

    organisations_merge_undo(merge=merge, by=admin_user)

    reason = f"Undid the merge of {gone.name} (#{gone.pk}) into {keep.name}"
    back = Organisation.history.filter(id=gone.pk).order_by("-history_date", "-history_id").first()
    assert (back.history_type, back.history_change_reason, back.history_user) == ("+", reason, admin_user)
    assert Membership.history.filter(organisation_id=gone.pk, history_change_reason=reason).exists()
    notes = Engagement.objects.filter(kind=Engagement.Kind.NOTE).values_list("organisation_id", "summary")
    assert set(notes) == {
        (keep.pk, f"Undid the merge of {gone.name} into this record"),
        (gone.pk, f"Restored: the merge into {keep.name} was undone"),
    }


def test_a_change_made_since_the_merge_is_not_overwritten(two_records, admin_user):
    keep, gone, _ = two_records
    lars = Contact.objects.get(name="Lars Holm")
    merge = organisations_merge(keep=keep, gone=gone, by=admin_user).merge
    Contact.objects.filter(pk=lars.pk).update(organisation=gone.parent)  # moved on since
    kept = Organisation.objects.get(pk=keep.pk)
    kept.description = "Edited after the merge"
    kept.save()
    after_merge = _state()

    problems = merge_undo_problems(merge=merge)
    with pytest.raises(ValidationError) as refused:
        organisations_merge_undo(merge=merge, by=admin_user)

    assert any("description" in problem for problem in problems)
    assert any("Lars Holm" in problem and "organisation" in problem for problem in problems)
    assert sorted(refused.value.messages) == sorted(problems)
    assert _state() == after_merge  # nothing changed
    assert OrganisationMerge.objects.get().undone_at is None


def test_fields_the_merge_did_not_touch_may_change_since(two_records, admin_user):
    keep, gone, _ = two_records
    merge = organisations_merge(keep=keep, gone=gone, by=admin_user).merge
    Organisation.objects.filter(pk=keep.pk).update(website="https://ens.dk/")
    MembershipFactory(organisation=Organisation.objects.get(pk=keep.pk), status=Membership.Status.LAPSED)

    organisations_merge_undo(merge=merge, by=admin_user)

    assert Organisation.objects.get(pk=keep.pk).website == "https://ens.dk/"
    assert Organisation.objects.filter(pk=gone.pk).exists()


def test_a_later_merge_of_the_kept_record_is_undone_first(two_records, admin_user):
    keep, gone, _ = two_records
    first = organisations_merge(keep=keep, gone=gone, by=admin_user).merge
    third = OrganisationFactory(name="DEA")
    second = organisations_merge(keep=Organisation.objects.get(pk=keep.pk), gone=third, by=admin_user).merge

    assert any("undo that merge first" in problem for problem in merge_undo_problems(merge=first))
    with pytest.raises(ValidationError):
        organisations_merge_undo(merge=first, by=admin_user)

    organisations_merge_undo(merge=second, by=admin_user)
    organisations_merge_undo(merge=first, by=admin_user)
    assert Organisation.objects.filter(pk__in=[keep.pk, gone.pk, third.pk]).count() == 3
    with pytest.raises(ValidationError, match="undone already"):
        organisations_merge_undo(merge=first, by=admin_user)


def test_a_blank_the_merge_filled_is_blank_again(admin_user):
    keep = OrganisationFactory(country="", name="Ørsted", sector="")
    gone = OrganisationFactory(country="DK", name="Orsted A/S", sector="energy")
    merge = organisations_merge(keep=keep, gone=gone, by=admin_user).merge
    assert Organisation.objects.get(pk=keep.pk).country == "DK"
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("duplicates-merge-undo", args=[merge.pk])).content.decode()
    fields = page[page.index('id="undo-fields"') : page.index('id="undo-rows"')]
    assert "Denmark" in fields and "Energy" in fields  # shown as staff know them, not "DK", "energy"

    organisations_merge_undo(merge=merge, by=admin_user)

    assert (Organisation.objects.get(pk=gone.pk).country, Organisation.objects.get(pk=gone.pk).sector) == (
        "DK",
        "energy",
    )
    assert (Organisation.objects.get(pk=keep.pk).country, Organisation.objects.get(pk=keep.pk).sector) == (
        "",
        "",
    )


def test_staff_see_what_the_undo_puts_back_before_confirming(two_records, admin_user):
    keep, gone, _ = two_records
    merge = organisations_merge(keep=keep, gone=gone, by=admin_user, choices={"name": "gone"}).merge
    client = Client()
    client.force_login(admin_user)

    listing = client.get(reverse("duplicates"))
    assert reverse("duplicates-merge-undo", args=[merge.pk]) in listing.content.decode()
    preview = client.get(reverse("duplicates-merge-undo", args=[merge.pk]))
    page = preview.content.decode()
    assert preview.status_code == 200 and 'id="undo-confirm"' in page
    assert "Danish Energy Agency (duplicate)" in page and "Brought back" in page
    assert Organisation.objects.filter(pk=gone.pk).count() == 0  # the preview changed nothing

    done = client.post(reverse("duplicates-merge-undo", args=[merge.pk]), {"confirm": "yes"}, follow=True)
    assert "Undid the merge" in done.content.decode()
    assert Organisation.objects.get(pk=gone.pk).name == "Danish Energy Agency (duplicate)"
    assert Organisation.objects.get(pk=keep.pk).name == "Danish Energy Agency"

    again = client.post(reverse("duplicates-merge-undo", args=[merge.pk]), {"confirm": "yes"})
    assert again.status_code == 409 and "undone already" in again.content.decode()


def test_undo_needs_the_merge_permissions(two_records, admin_user, staff_user):
    keep, gone, _ = two_records
    merge = organisations_merge(keep=keep, gone=gone, by=admin_user).merge
    client = Client()
    client.force_login(staff_user)
    response = client.post(reverse("duplicates-merge-undo", args=[merge.pk]), {"confirm": "yes"})
    assert response.status_code == 403
    assert not Organisation.objects.filter(pk=gone.pk).exists()


def test_a_moved_row_deleted_since_stays_deleted_and_the_rest_comes_back(two_records, admin_user):
    keep, gone, _ = two_records
    lars = Contact.objects.get(name="Lars Holm")
    merge = organisations_merge(keep=keep, gone=gone, by=admin_user).merge
    Contact.objects.filter(pk=lars.pk).delete()

    assert merge_undo_problems(merge=merge) == []
    organisations_merge_undo(merge=merge, by=admin_user)

    assert not Contact.objects.filter(pk=lars.pk).exists()
    meeting = Engagement.objects.get(summary="Call on removals")
    assert meeting.organisation_id == gone.pk
    assert list(meeting.contacts.values_list("name", flat=True)) == ["Anna Jensen"]


def test_after_the_undo_window_a_merge_keeps_no_copies_and_cannot_be_undone(
    two_records, admin_user, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from members.duplicates.services import organisation_merges_forget
    from members.tasks import organisation_merges_forget_task

    settings.MERGE_UNDO_DAYS = 30
    keep, gone, _ = two_records
    old = organisations_merge(keep=keep, gone=gone, by=admin_user).merge
    recent = organisations_merge(
        keep=Organisation.objects.get(pk=keep.pk), gone=OrganisationFactory(name="DEA"), by=admin_user
    ).merge
    OrganisationMerge.objects.filter(pk=old.pk).update(merged_at=timezone.now() - timedelta(days=31))
    assert "anna@ens.example.dk" in str(OrganisationMerge.objects.get(pk=old.pk).changes)  # a folded contact

    assert organisation_merges_forget_task() == 1
    assert organisation_merges_forget() == 0  # the next night finds nothing more

    old.refresh_from_db()
    assert old.changes == {} and old.changes_dropped_at is not None and old.summary
    assert "can no longer be undone" in merge_undo_problems(merge=old)[0]
    assert OrganisationMerge.objects.get(pk=recent.pk).changes_dropped_at is None
    client = Client()
    client.force_login(admin_user)
    assert "Too old to undo" in client.get(reverse("duplicates")).content.decode()
    organisations_merge_undo(merge=recent, by=admin_user)  # a recent merge still can be


def test_every_merge_in_the_undo_window_is_reachable_by_name_and_page(
    admin_user, settings, viewer_user, monkeypatch
):
    from members.duplicates import views

    settings.LANGUAGE_CODE = "en"
    merges = [
        organisations_merge(
            keep=OrganisationFactory(name=f"Kept body {i:02d}"),
            gone=OrganisationFactory(name=f"Folded body {i:02d}"),
            by=admin_user,
        ).merge
        for i in range(views.RECENT_MERGES + 3)
    ]
    oldest = merges[0]
    client = Client()
    client.force_login(admin_user)

    listing = client.get(reverse("duplicates")).content.decode()
    undo_oldest = reverse("duplicates-merge-undo", args=[oldest.pk])
    assert listing.count('class="recent-merge"') == views.RECENT_MERGES and undo_oldest not in listing
    assert f"All merges ({len(merges)})" in listing and reverse("duplicates-merges") in listing

    found = client.get(reverse("duplicates-merges"), {"q": "folded BODY 00"}).content.decode()
    assert found.count('class="recent-merge"') == 1 and undo_oldest in found
    assert "1 merge naming “folded BODY 00”" in found

    monkeypatch.setattr(views, "MERGES_PER_PAGE", 10)
    first = client.get(reverse("duplicates-merges")).content.decode()
    last = client.get(reverse("duplicates-merges"), {"page": "3"}).content.decode()
    beyond = client.get(reverse("duplicates-merges"), {"page": "99"})  # past the end: the last page
    assert first.count('class="recent-merge"') == 10 and "Page 1 of 3" in first and 'rel="next"' in first
    assert last.count('class="recent-merge"') == 3 and undo_oldest in last and 'rel="prev"' in last
    assert beyond.status_code == 200 and "Page 3 of 3" in beyond.content.decode()

    client.post(undo_oldest, {"confirm": "yes"})
    assert Organisation.objects.filter(name="Folded body 00").exists()
    after = client.get(reverse("duplicates-merges"), {"q": "Folded body 00"}).content.decode()
    assert "Undone on" in after and undo_oldest not in after

    viewer = Client()
    viewer.force_login(viewer_user)
    seen = viewer.get(reverse("duplicates-merges"))
    assert seen.status_code == 200 and "Undo…" not in seen.content.decode()  # seeing is not undoing
    anonymous = Client().get(reverse("duplicates-merges"))
    assert anonymous.status_code in (302, 403)
