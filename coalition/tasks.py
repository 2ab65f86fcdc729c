"""Kernel tasks that are not the outbox's (those are in ``coalition.outbox.tasks``)."""

from celery import shared_task

from coalition import scheduler


@shared_task(
    name="coalition.tasks.scheduler_heartbeat", ignore_result=True, time_limit=30, soft_time_limit=25
)
def scheduler_heartbeat() -> str:
    """Every minute from the beat schedule: proves a scheduler (and something running its tasks) is alive."""
    return scheduler.heartbeat_record().isoformat()
