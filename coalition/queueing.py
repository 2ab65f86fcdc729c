"""Queueing background work: a leaf module every service may import.

Services name the task they want run (its registered Celery name) rather than importing the task module,
so imports go one way only: a task module imports its services, never the reverse.
"""

import logging
import time

from django.db import transaction

log = logging.getLogger(__name__)

#: After the broker fails to take a task, this process does not ask it again for this long: a broker that
#: hangs (accepts connections, never answers) would otherwise cost every task of a request its timeouts,
#: and a public form its visitor's patience. The work is not lost either way: its row waits for the sweep.
BROKER_DOWN_SECONDS = 15.0
_broker_down_until = 0.0


def _broker_known_down() -> bool:
    return time.monotonic() < _broker_down_until


def _broker_failed() -> None:
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_DOWN_SECONDS


def _task(name: str):
    from coalition.celery import app

    task = app.tasks.get(name)
    if task is None:
        # A web process has not imported the task modules yet: autodiscovery runs on this signal.
        app.loader.import_default_modules()
        task = app.tasks[name]
    return task


def enqueue(task_name: str, *args, **kwargs) -> bool:
    """Queue a task, surviving a broker outage: the caller's database row stays the record of the work,
    and a periodic sweep queues it again. Returns False if the broker could not be reached (or failed
    moments ago: ``BROKER_DOWN_SECONDS``)."""
    return _publish(task_name, args, kwargs=kwargs)


def enqueue_after_commit(task_name: str, *args, **kwargs) -> None:
    """Queue the task once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: enqueue(task_name, *args, **kwargs))


def enqueue_in(seconds: float, task_name: str, *args) -> bool:
    """Queue a task to run in ``seconds`` (a retry after backoff). Like ``enqueue``, it survives a broker
    outage by returning False: the row that records the work is found again by its periodic sweep."""
    return _publish(task_name, args, countdown=max(0.0, seconds))


#: On the embedded default (no broker: tasks run in the process that queues them), the long tasks named
#: in ``settings.EMBEDDED_SCHEDULER_TASKS`` are not run inside a web request: they are left to the process
#: that runs the schedule (``manage.py run_schedule``), which this flag marks, and which is woken at once.
_in_scheduler = False
SCHEDULER_NUDGE_KEY = "coalition:scheduler-nudge"


def run_in_scheduler() -> None:
    """Mark this process as the embedded default's scheduler: it runs the long tasks itself."""
    global _in_scheduler
    _in_scheduler = True


def _left_to_scheduler(task_name: str) -> bool:
    from django.conf import settings

    if not settings.CELERY_TASK_ALWAYS_EAGER or _in_scheduler:
        return False
    if task_name not in getattr(settings, "EMBEDDED_SCHEDULER_TASKS", ()):
        return False
    from django.core.cache import caches

    # The scheduler looks at this every second and runs the sweep that picks the work up from its rows.
    caches["shared"].set(SCHEDULER_NUDGE_KEY, time.time(), timeout=None)
    return True


def _publish(task_name: str, args: tuple, **options) -> bool:
    """Hand the task to the broker unless it failed moments ago; False (logged) if it cannot take it."""
    task = _task(task_name)  # a misspelt task name is a bug, not an outage: KeyError
    if _left_to_scheduler(task_name):
        log.info("%s%r left to the scheduler process", task_name, args)
        return False
    if _broker_known_down():
        log.warning("broker down: %s%r left for the periodic sweep", task_name, args)
        return False
    try:
        task.apply_async(args=args, **options)
    except Exception:  # noqa: BLE001 - kombu raises many kinds of connection error
        _broker_failed()
        log.warning("could not queue %s%r; the periodic sweep will retry", task_name, args, exc_info=True)
        return False
    return True
