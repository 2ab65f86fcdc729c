"""The tracker never overwrites a recorded target: a disagreement is raised once, and staff accept it (a new
revision naming the tracker) or keep ours (not raised again until the tracker changes)."""

import pytest
from django.core.exceptions import ValidationError

from members import demo
from members.climate import discrepancies, tracker
from members.models import Commitment, Discrepancy, Organisation

from .samples import read, tracker_rows_csv

pytestmark = pytest.mark.django_db

DENMARK_ROW = {
    "ID_Code": "COU-0042", "Name": "Denmark", "Country": "DNK", "Entity_type": "Country",
    "End_target": "Climate neutral(ity)", "End_target_year": "2050", "Status_of_end_target": "In law",
    "Published_plan": "Yes", "Reporting_mechanism": "Annual reporting",
}  # fmt: skip


def _denmark_net_negative() -> Commitment:
    return Commitment.objects.get(
        organisation__country="DK", organisation__kind="country", kind="net_negative"
    )


def test_demo_denmark_and_the_tracker_raise_one_discrepancy_accepted_once_as_a_revision_from_the_tracker(
    staff_user,
):
    demo.load(profile="gone")
    ours = _denmark_net_negative()
    revisions_before = ours.history.count()

    first = tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.NONE)
    raised = Discrepancy.objects.get(organisation__country="DK", commitment=ours)
    assert raised.status == "open"
    assert raised.summary == (
        "Denmark: Net Zero Tracker says climate neutral 2050, in law; "
        "we record net negative 110.0 % 2050, in law"
    )
    assert raised.fields == ["kind"]
    assert first.discrepancies >= 1
    ours.refresh_from_db()
    assert ours.kind == "net_negative"  # not overwritten
    assert ours.history.count() == revisions_before

    again = tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.NONE)
    assert again.discrepancies == 0
    assert Discrepancy.objects.filter(commitment=ours).count() == 1

    discrepancies.discrepancy_accept(discrepancy=raised, by=staff_user, reason="The Climate Act's wording.")
    with pytest.raises(ValidationError, match="already accepted"):
        discrepancies.discrepancy_accept(discrepancy=raised, by=staff_user)
    ours.refresh_from_db()
    assert (ours.kind, ours.target_year, ours.status) == ("climate_neutral", 2050, "law")
    assert ours.reduction_percent is not None  # the tracker stated none: ours stays
    assert ours.source_identifier == "COU-0042:end"
    revision = ours.history.latest()
    assert revision.history_user == staff_user
    assert (
        revision.history_change_reason
        == "Source: Net Zero Tracker (COU-0042:end). The Climate Act's wording."
    )
    assert ours.history.count() == revisions_before + 1

    after = tracker.tracker_import(content=read("tracker.csv"), fmt="csv", create=tracker.Create.NONE)
    assert Discrepancy.objects.filter(commitment=ours).count() == 1
    assert after.discrepancies == 0


def test_keeping_ours_is_remembered_until_the_tracker_changes(staff_user):
    denmark = Organisation.objects.create(name="Denmark", kind="country", country="DK")
    ours = Commitment.objects.create(
        organisation=denmark, kind="net_negative", target_year=2050, status="law"
    )
    tracker.tracker_import(content=tracker_rows_csv([DENMARK_ROW]), fmt="csv")
    raised = Discrepancy.objects.get(commitment=ours)
    discrepancies.discrepancy_keep(
        discrepancy=raised, by=staff_user, reason="Our record follows the 2022 law."
    )

    tracker.tracker_import(content=tracker_rows_csv([DENMARK_ROW]), fmt="csv")
    assert Discrepancy.objects.filter(commitment=ours).count() == 1
    ours.refresh_from_db()
    assert ours.kind == "net_negative"

    changed = {**DENMARK_ROW, "Status_of_end_target": "In policy document"}
    outcome = tracker.tracker_import(content=tracker_rows_csv([changed]), fmt="csv")
    assert outcome.discrepancies == 1
    assert Discrepancy.objects.filter(commitment=ours, status="open").count() == 1


def test_a_newer_disagreement_supersedes_an_open_one():
    denmark = Organisation.objects.create(name="Denmark", kind="country", country="DK")
    ours = Commitment.objects.create(
        organisation=denmark, kind="net_negative", target_year=2050, status="law"
    )
    tracker.tracker_import(content=tracker_rows_csv([DENMARK_ROW]), fmt="csv")
    changed = {**DENMARK_ROW, "Status_of_end_target": "Declaration / pledge"}
    tracker.tracker_import(content=tracker_rows_csv([changed]), fmt="csv")
    statuses = sorted(Discrepancy.objects.filter(commitment=ours).values_list("status", flat=True))
    assert statuses == ["open", "superseded"]


def test_a_commitment_the_tracker_created_is_not_overwritten_when_the_tracker_changes():
    tracker.tracker_import(content=tracker_rows_csv([DENMARK_ROW]), fmt="csv")
    created = Commitment.objects.get(source_identifier="COU-0042:end")
    changed = {**DENMARK_ROW, "End_target_year": "2045"}
    outcome = tracker.tracker_import(content=tracker_rows_csv([changed]), fmt="csv")
    created.refresh_from_db()
    assert created.target_year == 2050
    assert outcome.discrepancies == 1
    assert Discrepancy.objects.get(commitment=created).fields == ["target_year"]


def test_the_tracker_refreshes_the_integrity_indicators_of_a_commitment_it_agrees_with():
    tracker.tracker_import(content=tracker_rows_csv([DENMARK_ROW]), fmt="csv")
    changed = {**DENMARK_ROW, "Accountability_delivery": "Yes"}
    outcome = tracker.tracker_import(content=tracker_rows_csv([changed]), fmt="csv")
    assert (outcome.updated, outcome.discrepancies) == (1, 0)
    assert Commitment.objects.get(source_identifier="COU-0042:end").accountability == "yes"


def test_merging_organisations_takes_their_discrepancies_and_ndc_submissions_along(staff_user):
    from members.duplicates.services import organisations_merge
    from members.models import NdcSubmission

    tracker.tracker_import(content=tracker_rows_csv([DENMARK_ROW]), fmt="csv")
    created = Commitment.objects.get(source_identifier="COU-0042:end")
    tracker.tracker_import(content=tracker_rows_csv([{**DENMARK_ROW, "End_target_year": "2045"}]), fmt="csv")
    gone = created.organisation
    NdcSubmission.objects.create(
        party_code="DNK", party="Denmark", organisation=gone, title="Denmark NDC", round="first",
        status="archived", url="https://unfccc.int/d.pdf",
    )  # fmt: skip
    keep = Organisation.objects.create(name="Kingdom of Denmark", kind="other", country="DK")
    organisations_merge(keep=keep, gone=gone, by=staff_user)
    assert Discrepancy.objects.get().organisation == keep
    assert NdcSubmission.objects.get().organisation == keep
