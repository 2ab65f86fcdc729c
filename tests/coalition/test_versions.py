"""Content stamps: bumped at each write, and once more per transaction when it commits."""

import pytest
from django.db import connection, transaction

from coalition import versions
from coalition.versions import PUBLIC_CONTENT, content_changed, content_version


def _stamp_hooks() -> int:
    return sum(1 for _sids, func, _robust in connection.run_on_commit if func.__module__ == versions.__name__)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_of_many_writes_queues_one_bump_for_its_commit():
    with transaction.atomic():
        before = content_version(PUBLIC_CONTENT)
        for _ in range(200):
            content_changed(PUBLIC_CONTENT)
            content_changed(PUBLIC_CONTENT, "dashboard")
        assert content_version(PUBLIC_CONTENT) > before  # each write bumps at once, for its own reads
        assert _stamp_hooks() == 2  # one per set of stamps, not 400
        inside = content_version(PUBLIC_CONTENT)
    assert content_version(PUBLIC_CONTENT) > inside  # and the commit bumped it again

    with transaction.atomic():
        content_changed(PUBLIC_CONTENT)
        assert _stamp_hooks() == 1  # a new transaction queues its own


@pytest.mark.django_db(transaction=True)
def test_a_bump_queued_in_a_savepoint_rolled_back_is_queued_again():
    with transaction.atomic():
        try:
            with transaction.atomic():
                content_changed(PUBLIC_CONTENT)
                assert _stamp_hooks() == 1
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        assert _stamp_hooks() == 0  # Django dropped the savepoint's hook with it
        content_changed(PUBLIC_CONTENT)
        assert _stamp_hooks() == 1
        inside = content_version(PUBLIC_CONTENT)
    assert content_version(PUBLIC_CONTENT) > inside


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_each_write_bumps_twice_at_once():
    before = content_version(PUBLIC_CONTENT)
    content_changed(PUBLIC_CONTENT)
    first = content_version(PUBLIC_CONTENT)
    content_changed(PUBLIC_CONTENT)
    assert before < first < content_version(PUBLIC_CONTENT)
    assert connection.run_on_commit == []
