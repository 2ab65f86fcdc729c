"""Celery tasks for spreadsheet imports (imported by members/tasks.py so autodiscovery finds them)."""

from celery import shared_task

# A 100,000-row file takes minutes; the limits leave room for that while staying under the broker's
# visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS), so a running import is not redelivered.
IMPORT_TIME_LIMIT = 3000


@shared_task(ignore_result=True, time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def import_job_process_task(job_id: int) -> None:
    from members.imports import import_job_process

    import_job_process(job_id=job_id)


__all__ = ["import_job_process_task"]
