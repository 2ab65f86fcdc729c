"""Thin, idempotent tasks: each takes ids and calls one service."""

from celery import shared_task
from django.conf import settings

from coalition.dates import secretariat_today
from newsletters import services
from newsletters.sending import batches
from newsletters.sending import services as sending

# Bulk sends may run on a queue of their own, so transactional email never waits behind a newsletter.
_QUEUE = {"queue": settings.NEWSLETTER_CELERY_QUEUE} if settings.NEWSLETTER_CELERY_QUEUE else {}


@shared_task(name=sending.SEND_BATCH_TASK, ignore_result=True, time_limit=900, soft_time_limit=840, **_QUEUE)
def send_batch_task(batch_id: int) -> int:
    return batches.send_batch_run(batch_id=batch_id)


@shared_task(time_limit=300, soft_time_limit=270, **_QUEUE)
def newsletters_sweep_task() -> dict:
    return sending.newsletters_sweep()


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=270, **_QUEUE)
def progress_update_draft_task() -> int:
    """Monthly: draft last month's progress update for staff to review. It is never sent from here."""
    start, end = services.previous_month(secretariat_today())
    return services.progress_update_draft(start=start, end=end).pk
