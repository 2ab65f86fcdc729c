"""What a subscriber import does to a known subscriber's topics, and that the preview says so first.

A topics cell adds the listed topics in "fill" mode (the default) and sets exactly the listed topics in
"overwrite" mode; a blank cell removes nothing unless "blank cells clear fields" is ticked; "skip" leaves
them alone. The preview lists the topics before → after like any other field, and warns that a subscriber
import cannot be reverted. Nobody who left is subscribed again.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from coalition.models import OutboundEmail
from members.imports import services as imports
from members.imports.services import import_preview, import_run
from members.models import ImportJob
from newsletters import selectors
from newsletters.models import Subscriber, Topic
from newsletters.subscriptions import services as subscriptions
from tests.members.import_files import csv_bytes

from .factories import NewsletterFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

COLUMNS = ["email", "name", "topics"]


@pytest.fixture
def policy():
    return TopicFactory(slug="removals-policy", name="Carbon removal policy")


@pytest.fixture
def progress():
    return Topic.objects.get(slug="progress-updates")


@pytest.fixture
def events():
    return TopicFactory(slug="events", name="Events")


@pytest.fixture
def rita(policy, progress):
    return SubscriberFactory(email="rita@ocean.example", name="Rita", topics=[policy, progress])


def _csv(*rows: tuple[str, str, str]) -> bytes:
    return csv_bytes([dict(zip(COLUMNS, row, strict=True)) for row in rows], COLUMNS)


def _slugs(subscriber) -> set[str]:
    return set(subscriber.topics.values_list("slug", flat=True))


def _changes(outcome) -> list[list[str]]:
    (entry,) = [e for e in outcome.preview if e["action"] == "update"]
    return entry["changes"]


def test_the_preview_of_an_overwrite_lists_the_topics_before_and_after_and_writes_nothing(admin_user, rita):
    outcome = import_preview(
        resource="subscribers",
        content=_csv(("rita@ocean.example", "", "progress-updates")),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert (outcome.updated, outcome.skipped) == (1, 0)
    assert _changes(outcome) == [["topics", "progress-updates, removals-policy", "progress-updates"]]
    assert _slugs(rita) == {"progress-updates", "removals-policy"}


def test_an_overwrite_sets_exactly_the_listed_topics(admin_user, rita):
    import_run(
        resource="subscribers",
        content=_csv(("rita@ocean.example", "", "progress-updates")),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert _slugs(rita) == {"progress-updates"}


def test_fill_adds_the_listed_topics_and_removes_none(admin_user, rita, events):
    content = _csv(("rita@ocean.example", "", "Events"))

    preview = import_preview(resource="subscribers", content=content, fmt="csv", by=admin_user)
    outcome = import_run(resource="subscribers", content=content, fmt="csv", by=admin_user)

    assert _changes(preview) == [
        ["topics", "progress-updates, removals-policy", "events, progress-updates, removals-policy"]
    ]
    assert outcome.updated == 1
    assert _slugs(rita) == {"events", "progress-updates", "removals-policy"}


def test_fill_with_topics_the_subscriber_already_has_changes_nothing(admin_user, rita):
    outcome = import_run(
        resource="subscribers",
        content=_csv(("rita@ocean.example", "", "progress-updates")),
        fmt="csv",
        by=admin_user,
    )

    assert (outcome.updated, outcome.skipped) == (0, 1)
    assert _slugs(rita) == {"progress-updates", "removals-policy"}


def test_skip_leaves_a_known_subscribers_topics_alone(admin_user, rita, events):
    outcome = import_run(
        resource="subscribers",
        content=_csv(("rita@ocean.example", "Rita Changed", "events")),
        fmt="csv",
        by=admin_user,
        mode="skip",
    )

    assert (outcome.updated, outcome.skipped) == (0, 1)
    rita.refresh_from_db()
    assert (rita.name, _slugs(rita)) == ("Rita", {"progress-updates", "removals-policy"})


@pytest.mark.parametrize("mode", ["fill", "overwrite"])
def test_a_blank_topics_cell_removes_no_topic(admin_user, rita, mode):
    outcome = import_run(
        resource="subscribers",
        content=_csv(("rita@ocean.example", "", "")),
        fmt="csv",
        by=admin_user,
        mode=mode,
    )

    assert outcome.skipped == 1
    assert _slugs(rita) == {"progress-updates", "removals-policy"}


def test_a_blank_topics_cell_clears_them_only_when_blank_cells_clear_fields(admin_user, rita):
    content = _csv(("rita@ocean.example", "Rita", ""))
    options = {"resource": "subscribers", "content": content, "fmt": "csv", "by": admin_user}

    preview = import_preview(**options, mode="overwrite", clear_blanks=True)
    import_run(**options, mode="overwrite", clear_blanks=True)

    assert _changes(preview) == [["topics", "progress-updates, removals-policy", ""]]
    assert _slugs(rita) == set()


@pytest.mark.parametrize("mode", ["fill", "overwrite"])
@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained"])
def test_someone_who_left_is_never_subscribed_again_by_an_import(admin_user, policy, mode, status):
    gone = SubscriberFactory(email="left@ngo.example", status=status, topics=[policy])

    import_run(
        resource="subscribers",
        content=_csv(("left@ngo.example", "Left", "progress-updates")),
        fmt="csv",
        by=admin_user,
        mode=mode,
    )

    gone.refresh_from_db()
    assert gone.status == status
    assert not gone.consents.exists() and not OutboundEmail.objects.exists()
    assert selectors.newsletter_audience_count(newsletter=NewsletterFactory(topics=[policy])) == 0


def test_an_erased_address_imported_again_is_refused_and_sent_nothing(admin_user, policy):
    """Erasure keeps a keyed hash of the address, so an import refuses it (a row error): only the person
    can sign up again. More in test_erased_reimport.py."""
    gone = SubscriberFactory(email="erased@ngo.example", topics=[policy])
    subscriptions.subscriber_erase(subscriber=gone)

    outcome = import_run(
        resource="subscribers",
        content=_csv(("erased@ngo.example", "Erased", "removals-policy")),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert (outcome.created, outcome.error_rows) == (0, 1)
    assert not Subscriber.objects.exists() and not OutboundEmail.objects.exists()
    assert selectors.newsletter_audience_count(newsletter=NewsletterFactory(topics=[policy])) == 0


def test_subscriber_imports_cannot_be_reverted(admin_user, rita):
    job = imports.import_job_create(
        resource="subscribers",
        upload=SimpleUploadedFile("s.csv", _csv(("rita@ocean.example", "", "progress-updates"))),
        by=admin_user,
        mode="overwrite",
    )
    job = imports.import_job_process(job_id=job.pk)
    job = imports.import_job_process(job_id=imports.import_job_confirm(job=job, by=admin_user).pk)

    assert job.status == "done" and not imports.importable_get("subscribers").revertable
    assert not imports.import_job_revertable(job)


def test_staff_see_the_topics_change_and_the_no_revert_warning_before_confirming(comms_user, rita):
    client = Client()
    client.force_login(comms_user)
    upload = SimpleUploadedFile("subscribers.csv", _csv(("rita@ocean.example", "", "progress-updates")))

    page = client.post(
        "/staff/imports/", {"resource": "subscribers", "file": upload, "mode": "overwrite"}, follow=True
    ).content.decode()

    change = re.search(r'<li class="change"><code>topics</code>:(.*?)</li>', page)
    assert change, page
    assert "<del>progress-updates, removals-policy</del>" in change.group(1)
    assert "<ins>progress-updates</ins>" in change.group(1)
    assert 'id="no-revert"' in page and "cannot be reverted" in page
    assert _slugs(rita) == {"progress-updates", "removals-policy"}  # a preview writes nothing

    job = ImportJob.objects.get()
    done = client.post(f"/staff/imports/{job.pk}/confirm/", follow=True).content.decode()

    assert "What the import did" in done and "Revert this import" not in done
    assert _slugs(rita) == {"progress-updates"}
