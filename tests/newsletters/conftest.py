"""Helpers for the newsletter tests: running the send pipeline in-process, and dedicated workers.

Dedicated workers consume a queue of their own (``NEWSLETTER_CELERY_QUEUE``), so a session worker
started by other test folders never takes part in a kill or double-send test.
"""

import pytest

from newsletters import tasks
from newsletters.models import Newsletter, SendBatch
from newsletters.sending import batches
from newsletters.sending import services as sending
from tests.conftest import RUN_ID, WorkerProcess, worker_env

# Per run, like the run's default queue (tests/conftest.py).
TEST_QUEUE = f"newsletters-test-{RUN_ID}"
NEWSLETTER_TASKS = (tasks.send_batch_task, tasks.newsletters_sweep_task, tasks.progress_update_draft_task)


def run_send_in_process(newsletter: Newsletter) -> int:
    """Run every batch of a sending newsletter in this process (what the workers do), until done."""
    sent = 0
    for _ in range(100):
        newsletter.refresh_from_db()
        if newsletter.status != Newsletter.Status.SENDING:
            break
        SendBatch.objects.filter(newsletter=newsletter).exclude(status=SendBatch.Status.DONE).update(
            status=SendBatch.Status.DISPATCHED
        )
        for batch_id in SendBatch.objects.filter(
            newsletter=newsletter, status=SendBatch.Status.DISPATCHED
        ).values_list("pk", flat=True):
            sent += batches.send_batch_run(batch_id=batch_id)
        sending.newsletter_advance(newsletter_id=newsletter.pk)
    return sent


@pytest.fixture
def newsletter_queue():
    """Route this process's newsletter tasks to the dedicated test queue."""
    saved = [(t, getattr(t, "queue", None)) for t in NEWSLETTER_TASKS]
    for task in NEWSLETTER_TASKS:
        task.queue = TEST_QUEUE
        task._exec_options = None  # celery caches the routing options
    yield TEST_QUEUE
    for task, queue in saved:
        task.queue = queue
        task._exec_options = None


@pytest.fixture
def start_worker(smtp_server, newsletter_queue, settings):
    """Start dedicated workers on the newsletter test queue: ``start_worker(name, **env)``.

    NEWSLETTER_* values in ``env`` apply to this process too: sending starts here (batch sizes).
    """
    started: list[WorkerProcess] = []
    with_queue_purged(TEST_QUEUE)

    def start(name: str = "nl", concurrency: int = 2, **extra: str) -> WorkerProcess:
        for key, value in extra.items():
            if key.startswith("NEWSLETTER_"):
                setattr(settings, key, type(getattr(settings, key))(value))
        env = worker_env(smtp=smtp_server, extra={"NEWSLETTER_CELERY_QUEUE": TEST_QUEUE, **extra})
        worker = WorkerProcess(env, ["-P", "prefork", "-c", str(concurrency), "-Q", TEST_QUEUE], name=name)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
    with_queue_purged(TEST_QUEUE)


def with_queue_purged(queue: str) -> None:
    from coalition.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
