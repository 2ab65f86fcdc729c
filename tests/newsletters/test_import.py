"""Importing subscribers from CSV and XLSX through the shared import machinery (members.imports.services)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coalition.models import OutboundEmail
from members.imports import services as imports
from members.imports.services import import_preview, import_run, importables_for
from newsletters import selectors
from newsletters.models import ConsentRecord, Subscriber, Topic
from newsletters.subscriptions import services as subscriptions
from tests.members.import_files import csv_bytes, xlsx_bytes

from .factories import NewsletterFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

COLUMNS = ["email", "name", "topics"]


@pytest.fixture
def policy():
    return TopicFactory(slug="removals-policy", name="Carbon removal policy")


@pytest.fixture
def progress():
    return Topic.objects.get(slug="progress-updates")


def _csv(*rows: tuple[str, str, str]) -> bytes:
    return csv_bytes([dict(zip(COLUMNS, row, strict=True)) for row in rows], COLUMNS)


def _confirmations(email: str | None = None):
    emails = OutboundEmail.objects.filter(kind="newsletters.confirmation")
    return emails.filter(to=email) if email else emails


def test_a_dry_run_previews_every_row_and_changes_nothing(admin_user, policy):
    content = _csv(
        ("ana@climeworks.example", "Ana", "removals-policy"),
        ("not-an-email", "Bo", ""),
    )

    preview = import_preview(resource="subscribers", content=content, fmt="csv", by=admin_user)

    assert (preview.created, preview.updated, preview.error_rows) == (1, 0, 1)
    assert preview.preview[0] == {"row": 2, "action": "new", "record": "ana@climeworks.example"}
    assert [(e.row, e.field) for e in preview.errors] == [(3, "email")]
    assert not Subscriber.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert not _confirmations().exists()


def test_a_file_with_good_and_bad_rows_imports_exactly_the_good_ones_and_reports_each_bad_one(
    admin_user, policy, progress
):
    content = _csv(
        ("ana@climeworks.example", "Ana Lund", "removals-policy"),  # row 2: good
        ("not-an-email", "Bo", ""),  # row 3: invalid email
        ("cy@ocean.example", "C" * 201, ""),  # row 4: name too long
        ("ANA@climeworks.example", "Ana again", ""),  # row 5: same address as row 2, other case
        ("dee@biochar.example", "Dee", "Carbon removal policy, space tourism"),  # row 6: unknown topic
        ("eli@biochar.example", "", "Progress updates, REMOVALS-POLICY"),  # row 7: good, names and slugs
    )

    outcome = import_run(resource="subscribers", content=content, fmt="csv", by=admin_user)

    assert (outcome.created, outcome.updated, outcome.error_rows) == (2, 0, 4)
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "ana@climeworks.example",
        "eli@biochar.example",
    }
    errors = {(e.row, e.field): e.message for e in outcome.errors}
    assert set(errors) == {(3, "email"), (4, "name"), (5, "email"), (6, "topics")}
    assert errors[(3, "email")] == "Enter a valid email address."
    assert "at most 200 characters" in errors[(4, "name")]
    assert errors[(5, "email")] == "The email ana@climeworks.example already appears on row 2 of this file."
    assert errors[(6, "topics")].startswith("No topic is called “space tourism”")
    eli = Subscriber.objects.get(email="eli@biochar.example")
    assert set(eli.topics.values_list("slug", flat=True)) == {"progress-updates", "removals-policy"}


def test_a_new_address_becomes_a_pending_subscriber_with_an_import_consent_and_one_confirmation_email(
    admin_user, policy
):
    wording = subscriptions.consent_wording_publish(text="Send me the coalition's removal policy briefings.")

    import_run(
        resource="subscribers",
        content=_csv(("ana@climeworks.example", "Ana Lund", "removals-policy")),
        fmt="csv",
        by=admin_user,
    )

    ana = Subscriber.objects.get(email="ana@climeworks.example")
    assert (ana.status, ana.name) == (Subscriber.Status.PENDING, "Ana Lund")
    assert list(ana.topics.all()) == [policy]
    consent = ana.consents.get()
    assert (consent.method, consent.wording, consent.confirmed_at) == ("import", wording, None)
    confirmation = _confirmations("ana@climeworks.example").get()
    assert confirmation.dedupe_key == f"newsletters.confirm.{consent.pk}"
    assert "/subscribe/confirm/" in confirmation.body_text
    # Pending until the link is followed: a newsletter to the topic does not reach them.
    assert selectors.newsletter_audience_count(newsletter=NewsletterFactory(topics=[policy])) == 0


def test_a_new_address_without_topics_gets_the_default_topics_like_any_sign_up(admin_user, progress):
    import_run(resource="subscribers", content=_csv(("bo@dac.example", "Bo", "")), fmt="csv", by=admin_user)

    assert list(Subscriber.objects.get(email="bo@dac.example").topics.all()) == [progress]


def test_importing_the_same_file_again_creates_nothing_and_sends_no_second_confirmation(admin_user, policy):
    content = _csv(
        ("ana@climeworks.example", "Ana Lund", "removals-policy"),
        ("bo@dac.example", "Bo", ""),
    )
    import_run(resource="subscribers", content=content, fmt="csv", by=admin_user)
    ids = set(Subscriber.objects.values_list("pk", flat=True))

    again = import_run(resource="subscribers", content=content, fmt="csv", by=admin_user)

    assert (again.created, again.updated, again.skipped, again.error_rows) == (0, 0, 2, 0)
    assert set(Subscriber.objects.values_list("pk", flat=True)) == ids
    assert ConsentRecord.objects.count() == 2
    assert _confirmations().count() == 2
    assert _confirmations("ana@climeworks.example").count() == 1


def test_an_unsubscribed_person_stays_unsubscribed_and_gets_no_email_when_imported_again(admin_user, policy):
    gone = SubscriberFactory(email="left@ngo.example", name="Old name", status=Subscriber.Status.UNSUBSCRIBED)

    outcome = import_run(
        resource="subscribers",
        content=_csv(("Left@NGO.example", "New name", "removals-policy")),
        fmt="csv",
        by=admin_user,
        mode="overwrite",
    )

    assert (outcome.created, outcome.updated) == (0, 1)
    gone.refresh_from_db()
    assert (gone.status, gone.name) == (Subscriber.Status.UNSUBSCRIBED, "New name")
    assert list(gone.topics.all()) == [policy]
    assert Subscriber.objects.count() == 1
    assert not gone.consents.exists()
    assert not OutboundEmail.objects.exists()


def test_a_confirmed_subscriber_keeps_their_status_and_blank_cells_keep_their_name_and_topics(
    admin_user, policy, progress
):
    reader = SubscriberFactory(email="reader@ocean.example", name="Rita", topics=[policy, progress])

    outcome = import_run(
        resource="subscribers", content=_csv(("reader@ocean.example", "", "")), fmt="csv", by=admin_user
    )

    assert (outcome.created, outcome.updated, outcome.skipped) == (0, 0, 1)
    reader.refresh_from_db()
    assert (reader.status, reader.name) == (Subscriber.Status.CONFIRMED, "Rita")
    assert set(reader.topics.all()) == {policy, progress}
    assert not OutboundEmail.objects.exists()


def test_an_xlsx_file_goes_through_a_preview_job_and_its_confirmation_like_other_imports(comms_user, policy):
    content = xlsx_bytes(
        [
            {"email": "ana@climeworks.example", "name": "Ana", "topics": "removals-policy"},
            {"email": "broken@", "name": "Bo", "topics": ""},
        ],
        COLUMNS,
    )
    upload = SimpleUploadedFile("subscribers.xlsx", content)
    job = imports.import_job_create(resource="subscribers", upload=upload, by=comms_user)

    job = imports.import_job_process(job_id=job.pk)
    assert (job.status, job.created_count, job.error_count) == ("done", 1, 1)
    assert not Subscriber.objects.exists() and not OutboundEmail.objects.exists()

    job = imports.import_job_process(job_id=imports.import_job_confirm(job=job, by=comms_user).pk)

    assert (job.status, job.created_count, job.error_count) == ("done", 1, 1)
    assert job.errors == [{"row": 3, "field": "email", "message": "Enter a valid email address."}]
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert _confirmations("ana@climeworks.example").count() == 1


def test_communications_staff_may_import_subscribers_and_viewers_may_not(comms_user, viewer_user):
    assert "subscribers" in {spec.name for spec in importables_for(comms_user)}
    assert "subscribers" not in {spec.name for spec in importables_for(viewer_user)}


def test_a_file_without_an_email_column_is_refused_before_any_row_is_read(admin_user):
    content = csv_bytes([{"name": "Ana"}], ["name"])

    with pytest.raises(Exception) as refused:
        import_run(resource="subscribers", content=content, fmt="csv", by=admin_user)

    assert "no email column" in str(refused.value)


def test_a_mailing_tool_export_with_first_and_last_names_names_each_subscriber(admin_user, policy):
    content = xlsx_bytes(
        [
            {"Email Address": "ana@climeworks.example", "First Name": "Ana", "Last Name": "Lund"},
            {"Email Address": "bo@dac.example", "First Name": "Bo", "Last Name": None},
        ],
        ["Email Address", "First Name", "Last Name"],
    )
    # The address column has another name: the mapping saved for this source reads it as "email".
    from members.climate import mapping

    mapping.column_mapping_save(source="subscribers", mappings={"email_address": "email"}, known=["email"])

    outcome = import_run(resource="subscribers", content=content, fmt="xlsx", by=admin_user)

    assert (outcome.created, outcome.error_rows) == (2, 0), outcome.errors
    assert dict(Subscriber.objects.values_list("email", "name")) == {
        "ana@climeworks.example": "Ana Lund",
        "bo@dac.example": "Bo",
    }
