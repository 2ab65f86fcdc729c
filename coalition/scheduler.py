"""The beat schedule without a broker, and the heartbeat that says whether any scheduler is running.

With ``REDIS_URL`` set, ``celery beat`` reads ``CELERY_BEAT_SCHEDULE`` and workers run the tasks. The
embedded default has no broker, so ``manage.py run_schedule`` (started by ``scripts/serve.sh``) runs the
same entries on the same schedule, in its own process, calling each task in-process.

Either way the ``scheduler-heartbeat`` entry records the time it last ran in the ``shared`` cache (Redis,
or files under ``var/cache/`` on the embedded default, so the web process sees what the scheduler wrote).
Pages that depend on scheduled work (a scheduled newsletter) warn when no heartbeat was seen recently.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import current_app
from celery.schedules import BaseSchedule, maybe_schedule
from celery.schedules import schedule as interval
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from coalition import queueing

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "coalition:scheduler-heartbeat"
# The heartbeat entry runs every minute; three missed beats mean nothing is running it.
HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


def heartbeat_record(*, at: datetime | None = None) -> datetime:
    at = at or timezone.now()
    caches["shared"].set(HEARTBEAT_KEY, at.isoformat(), timeout=None)
    return at


def heartbeat_last() -> datetime | None:
    value = caches["shared"].get(HEARTBEAT_KEY)
    return datetime.fromisoformat(value) if value else None


def scheduler_running(*, now: datetime | None = None) -> bool:
    last = heartbeat_last()
    return last is not None and (now or timezone.now()) - last < HEARTBEAT_STALE_AFTER


@dataclass
class Entry:
    name: str
    task: str
    schedule: BaseSchedule
    last_run_at: datetime
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def entries(*, now: datetime) -> list[Entry]:
    """``CELERY_BEAT_SCHEDULE`` as entries: intervals are due at once, crontabs at their next time."""
    # Task modules are discovered lazily; load them so every entry's task is registered by name.
    current_app.loader.import_default_modules()
    result = []
    for name, spec in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = maybe_schedule(spec["schedule"], app=current_app)
        last = now - schedule.run_every if isinstance(schedule, interval) else now
        result.append(
            Entry(
                name=name,
                task=spec["task"],
                schedule=schedule,
                last_run_at=last,
                args=tuple(spec.get("args", ())),
                kwargs=dict(spec.get("kwargs", {})),
            )
        )
    return result


def _run_entry(entry: Entry, *, now: datetime) -> None:
    """Run one entry's task in this process, now."""
    entry.last_run_at = now
    try:
        current_app.tasks[entry.task].apply(args=entry.args, kwargs=entry.kwargs, throw=True)
    except Exception:  # one failing task must not stop the others or the loop
        log.exception("scheduled task %s (%s) failed", entry.name, entry.task)


def run_due(schedule: list[Entry], *, now: datetime) -> tuple[list[str], float]:
    """Run every entry that is due, in-process; return their names and the seconds until the next one."""
    ran: list[str] = []
    wait = 60.0
    for entry in schedule:
        due, next_in = entry.schedule.is_due(entry.last_run_at)
        if due:
            _run_entry(entry, now=now)
            ran.append(entry.name)
            _, next_in = entry.schedule.is_due(entry.last_run_at)
        wait = min(wait, max(float(next_in), 1.0))
    return ran, wait


def _nudged(last: object) -> object:
    """The nudge's value if it changed since ``last`` (a web request left work to this process), else None."""
    value = caches["shared"].get(queueing.SCHEDULER_NUDGE_KEY)
    return value if value is not None and value != last else None


def run_nudged(schedule: list[Entry], *, now: datetime) -> list[str]:
    """Run now the entries that pick up work left to the scheduler (``EMBEDDED_SCHEDULER_ENTRIES``)."""
    nudged = [entry for entry in schedule if entry.name in settings.EMBEDDED_SCHEDULER_ENTRIES]
    for entry in nudged:
        _run_entry(entry, now=now)
    return [entry.name for entry in nudged]


def run_forever(
    *, once: bool = False, sleep: Callable[[float], None] = time.sleep, max_wait: float = 30.0
) -> None:
    # This process runs the long tasks a web request leaves to it (a newsletter's batches), woken by a
    # nudge in the shared cache: it looks every second while it waits for the next entry.
    queueing.run_in_scheduler()
    schedule = entries(now=timezone.now())
    nudge = caches["shared"].get(queueing.SCHEDULER_NUDGE_KEY)
    while True:
        ran, wait = run_due(schedule, now=timezone.now())
        if ran:
            log.info("scheduler ran: %s", ", ".join(ran))
        if once:
            return
        waited, wait = 0.0, min(wait, max_wait)
        while waited < wait:
            step = min(1.0, wait - waited)
            sleep(step)
            waited += step
            changed = _nudged(nudge)
            if changed is not None:
                nudge = changed
                log.info("scheduler woken: ran %s", ", ".join(run_nudged(schedule, now=timezone.now())))
                break
