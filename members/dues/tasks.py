"""Celery tasks of the dues: thin wrappers around the services."""

import logging

from celery import shared_task

from members.dues import services

__all__ = ["renewal_reminders_task"]

log = logging.getLogger(__name__)


@shared_task(name="members.dues.tasks.renewal_reminders_task", ignore_result=True, time_limit=900)
def renewal_reminders_task() -> int:
    """Daily (beat entry ``renewal-reminders``): queue the renewal reminders due today.

    Idempotent: each reminder has a dedupe key per membership period, so a second run sends nothing new.
    """
    queued = services.renewal_reminders_send()
    log.info("renewal reminders queued: %d", queued)
    return queued
