import logging
from collections.abc import Callable

from celery import shared_task
from django.db import transaction

from coalition import services

log = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> bool:
    """Queue a task, surviving a broker outage: the caller's database row stays the record of the work,
    and a periodic sweep queues it again. Returns False if the broker could not be reached."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # noqa: BLE001 - kombu raises many kinds of connection error
        log.warning("could not queue %s%r; the periodic sweep will retry", task.name, args, exc_info=True)
        return False
    return True


def enqueue_after_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def on_commit(func: Callable[[], object]) -> None:
    transaction.on_commit(func)


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def outbox_send_task(email_id: int) -> None:
    services.outbox_send(email_id=email_id)


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=540)
def outbox_sweep() -> int:
    """Send what is due: emails whose task a broker outage lost, retries after backoff, stale claims.

    It sends inline rather than re-queueing, so it works whenever a worker runs, whatever happened to the
    queue; the claim in ``outbox_send`` keeps a message that is also queued from going out twice.
    """
    services.outbox_release_stale_claims()
    sent = 0
    for email_id in services.outbox_due_ids():
        sent += services.outbox_send(email_id=email_id)
    return sent
