"""A model's check constraints are validated in one query, with exactly Django's errors."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from members.models import Commitment, Membership
from tests.campaigns.factories import CampaignFactory, EventFactory
from tests.members.factories import CommitmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _errors(validate) -> tuple[dict | None, int]:
    """What ``validate()`` raises (messages and codes by field) and how many queries it made."""
    with CaptureQueriesContext(connection) as queries:
        try:
            validate()
        except ValidationError as error:
            found = {
                field: [(e.message % (e.params or {}), e.code) for e in errors]
                for field, errors in error.error_dict.items()
            }
        else:
            found = None
    return found, len(queries.captured_queries)


COMMITMENT_VALUES = [
    {},  # breaks nothing
    {"reduction_percent": 300},
    {"target_year": 1980, "baseline_year": 1990},  # two at once: before its baseline, and out of range
    {"reduction_percent": -1, "target_year": 2200, "baseline_year": 2000},  # all three
    {"reduction_percent": None, "target_year": None, "baseline_year": 1990},  # NULL meets a check
]


@pytest.mark.parametrize("values", COMMITMENT_VALUES)
@pytest.mark.parametrize("exclude", [None, {"target_year"}, {"reduction_percent", "baseline_year"}])
def test_commitment_checks_give_djangos_errors_in_one_query(values, exclude):
    commitment = CommitmentFactory.build(organisation=CommitmentFactory().organisation, **values)

    ours, our_queries = _errors(lambda: commitment.validate_constraints(exclude=exclude))
    djangos, djangos_queries = _errors(lambda: models.Model.validate_constraints(commitment, exclude=exclude))

    assert ours == djangos
    asked = sum(
        1
        for c in Commitment._meta.constraints
        if isinstance(c, models.CheckConstraint)
        and not (exclude and c.condition.referenced_base_fields & exclude)
    )
    # Django: a savepoint, the query and its release for each check asked; here three in all.
    assert djangos_queries == 3 * asked
    assert our_queries == (3 if asked else 0)


def test_full_clean_reports_check_errors_beside_field_errors():
    commitment = CommitmentFactory.build(
        organisation=CommitmentFactory().organisation, reduction_percent=250, kind="no such kind"
    )
    with pytest.raises(ValidationError) as raised:
        commitment.full_clean()
    assert "kind" in raised.value.message_dict
    assert raised.value.message_dict["__all__"] == ["The reduction must be between 0 and 200 percent."]


def test_checks_comparing_two_fields_and_other_constraints_keep_their_errors():
    campaign = CampaignFactory.build(start_date=date(2026, 5, 1), deadline=date(2026, 4, 1))
    event = EventFactory.build()
    event.ends_at = event.starts_at - timedelta(hours=1)
    for record in (campaign, event):
        ours, _ = _errors(record.validate_constraints)
        assert ours == _errors(lambda r=record: models.Model.validate_constraints(r))[0]
        assert ours and ours["__all__"][0][0].startswith("The ")

    # A model with unique constraints as well: those are still Django's own queries and errors.
    membership = MembershipFactory()
    twin = Membership(
        organisation=membership.organisation, tier=membership.tier, start_date=membership.start_date
    )
    ours, _ = _errors(lambda: twin.validate_constraints())
    assert ours == _errors(lambda: models.Model.validate_constraints(twin))[0]


def test_a_check_the_database_cannot_answer_falls_back_to_djangos_own(monkeypatch, caplog):
    from coalition import models as coalition_models

    monkeypatch.setattr(coalition_models, "_failing_checks", lambda *args, **kwargs: None)
    commitment = CommitmentFactory.build(organisation=CommitmentFactory().organisation, reduction_percent=300)
    ours, queries = _errors(commitment.validate_constraints)
    assert ours == {"__all__": [("The reduction must be between 0 and 200 percent.", None)]}
    assert queries == 9
