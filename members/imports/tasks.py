"""Celery tasks for spreadsheet imports."""

from celery import shared_task

from members.imports import services

# A 100,000-row file takes minutes; the limits leave room for that while staying under the broker's
# visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS), so a running import is not redelivered.
IMPORT_TIME_LIMIT = 3000


@shared_task(
    name=services.PROCESS_TASK,
    ignore_result=True,
    time_limit=IMPORT_TIME_LIMIT,
    soft_time_limit=IMPORT_TIME_LIMIT - 60,
)
def import_job_process_task(job_id: int) -> None:
    services.import_job_process(job_id=job_id)
