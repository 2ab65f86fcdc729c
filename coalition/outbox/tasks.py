"""Outbox tasks. Their names predate the outbox package and stay as they were, so schedules keep working."""

from celery import shared_task

from coalition.outbox import services


@shared_task(name=services.SEND_TASK, ignore_result=True, time_limit=120, soft_time_limit=100)
def outbox_send_task(email_id: int) -> None:
    services.outbox_send(email_id=email_id)


@shared_task(name="coalition.tasks.outbox_sweep", ignore_result=True, time_limit=600, soft_time_limit=540)
def outbox_sweep() -> int:
    """Send what is due: emails whose task a broker outage lost, retries after backoff, stale claims.

    It sends inline rather than re-queueing, so it works whenever a worker runs, whatever happened to the
    queue; the claim in ``outbox_send`` keeps a message that is also queued from going out twice.
    """
    return services.outbox_sweep()
