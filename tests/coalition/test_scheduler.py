"""The beat schedule without a broker (``manage.py run_schedule``) and its heartbeat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coalition import scheduler
from tests.embedded import embedded_env, manage


def test_interval_entries_are_due_at_once_and_crontab_entries_at_their_time(settings):
    now = timezone.now()
    entries = {entry.name: entry for entry in scheduler.entries(now=now)}
    assert set(entries) == set(settings.CELERY_BEAT_SCHEDULE)
    assert entries["newsletters-sweep"].schedule.is_due(entries["newsletters-sweep"].last_run_at)[0]
    assert entries["scheduler-heartbeat"].schedule.is_due(entries["scheduler-heartbeat"].last_run_at)[0]
    assert not entries["enquiry-reminders"].schedule.is_due(entries["enquiry-reminders"].last_run_at)[0]


@pytest.mark.django_db
def test_one_pass_runs_the_due_tasks_records_a_heartbeat_and_waits_for_the_next(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    schedule = [e for e in scheduler.entries(now=timezone.now()) if e.name == "scheduler-heartbeat"]
    ran, wait = scheduler.run_due(schedule, now=timezone.now())
    assert ran == ["scheduler-heartbeat"]
    assert scheduler.scheduler_running()
    assert 1.0 <= wait <= 60.0
    ran, _ = scheduler.run_due(schedule, now=timezone.now())
    assert ran == []


@pytest.mark.django_db
def test_without_a_recent_heartbeat_no_scheduler_is_running():
    scheduler.heartbeat_record(at=timezone.now() - timedelta(minutes=5))
    assert not scheduler.scheduler_running()


PROBE = r"""
from datetime import timedelta
from django.utils import timezone
from newsletters.models import Newsletter
from newsletters.sending import services as sending
from tests.newsletters.factories import NewsletterFactory, TopicFactory, bulk_subscribers

topic = TopicFactory(slug="scheduled")
bulk_subscribers(topic, 3, prefix="due")
newsletter = NewsletterFactory(topics=[topic], subject="Due now")
sending.newsletter_schedule(newsletter=newsletter, at=timezone.now() + timedelta(seconds=1))
Newsletter.objects.filter(pk=newsletter.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
"""


def test_run_schedule_sends_a_due_scheduled_newsletter_on_the_embedded_default(tmp_path):
    env = embedded_env(tmp_path, SHARED_CACHE_DIR=str(tmp_path / "cache"))
    manage("migrate", "--noinput", env=env)
    manage("shell", "-c", PROBE, env=env)
    out = manage("run_schedule", "--once", env=env)
    assert "Running the schedule in-process" in out.stdout
    check = manage(
        "shell",
        "-c",
        "from newsletters.models import Newsletter; from coalition import scheduler; "
        "print(Newsletter.objects.get(subject='Due now').status, scheduler.scheduler_running())",
        env=env,
    )
    assert check.stdout.strip().splitlines()[-1] == "sent True"
    sent = [
        line
        for path in (tmp_path / "mail").iterdir()
        for line in path.read_text().splitlines()
        if line.startswith("To: Due")
    ]
    assert len(sent) == 3


@pytest.mark.django_db
def test_the_projects_own_schedule_entries_are_paused_not_deleted_in_the_admin(admin_client):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    sweep = PeriodicTask.objects.create(
        name="outbox-sweep", task="coalition.tasks.outbox_sweep", interval=every_minute
    )
    own = PeriodicTask.objects.create(
        name="a one-off reminder", task="coalition.tasks.outbox_sweep", interval=every_minute
    )
    page = admin_client.get(f"/admin/django_celery_beat/periodictask/{sweep.pk}/delete/").content.decode()
    assert "part of the project&#x27;s own schedule" in page and "Yes, I’m sure" not in page
    admin_client.post(f"/admin/django_celery_beat/periodictask/{sweep.pk}/delete/", {"post": "yes"})
    admin_client.post(
        "/admin/django_celery_beat/periodictask/",
        {"action": "delete_selected", "_selected_action": [sweep.pk, own.pk], "post": "yes"},
    )
    assert PeriodicTask.objects.filter(pk=sweep.pk).exists()
    # Pausing it stays possible, and an entry staff added themselves can be deleted.
    admin_client.post(
        "/admin/django_celery_beat/periodictask/", {"action": "disable_tasks", "_selected_action": [sweep.pk]}
    )
    assert not PeriodicTask.objects.get(pk=sweep.pk).enabled
    admin_client.post(f"/admin/django_celery_beat/periodictask/{own.pk}/delete/", {"post": "yes"})
    assert not PeriodicTask.objects.filter(pk=own.pk).exists()


def test_every_task_can_be_queued_with_its_time_limits():
    """Celery refuses to queue a task whose soft time limit (``CELERY_TASK_SOFT_TIME_LIMIT`` unless the task
    sets its own) passes its hard one: the beat then logged "Couldn't apply scheduled task" each minute, the
    scheduler heartbeat was never recorded, and staff read "No scheduler is running"."""
    from django.conf import settings

    from coalition.celery import app

    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(ours)
    refused = {
        name: (task.soft_time_limit, task.time_limit)
        for name, task in ours.items()
        if task.soft_time_limit and task.time_limit and task.soft_time_limit > task.time_limit
    }
    assert refused == {}


@pytest.mark.django_db
def test_on_the_embedded_default_a_newsletter_batch_is_left_to_the_scheduler_which_is_woken_at_once(settings):
    from django.core.cache import caches

    from coalition import queueing, scheduler

    settings.CELERY_TASK_ALWAYS_EAGER = True
    caches["shared"].delete(queueing.SCHEDULER_NUDGE_KEY)
    # A web request does not run a newsletter's batch inline: it is left to the scheduler, which is nudged.
    assert queueing.enqueue("newsletters.tasks.send_batch_task", 0) is False
    nudge = caches["shared"].get(queueing.SCHEDULER_NUDGE_KEY)
    assert nudge is not None

    # Only the heartbeat on the schedule, and it stands for the sweep a nudge runs.
    settings.CELERY_BEAT_SCHEDULE = {
        "scheduler-heartbeat": settings.CELERY_BEAT_SCHEDULE["scheduler-heartbeat"]
    }
    settings.EMBEDDED_SCHEDULER_ENTRIES = frozenset({"scheduler-heartbeat"})
    slept: list[float] = []
    beats = []

    class Enough(Exception):
        pass

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            beats.append(scheduler.heartbeat_last())
            caches["shared"].set(queueing.SCHEDULER_NUDGE_KEY, nudge + 1)  # another request leaves work
        else:
            raise Enough

    try:
        with pytest.raises(Enough):
            scheduler.run_forever(sleep=sleep)
        assert slept[0] == 1.0  # it looks every second, not once per entry's interval
        assert scheduler.heartbeat_last() > beats[0]  # the nudged entry ran at once
        # The scheduler process itself runs the batch tasks.
        assert queueing._left_to_scheduler("newsletters.tasks.send_batch_task") is False
    finally:
        queueing._in_scheduler = False
