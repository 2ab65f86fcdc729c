"""Celery tasks for enquiries (imported by members/tasks.py so autodiscovery finds them).

Acknowledgements, notifications and welcomes need no task of their own: they are outbox rows, sent after
commit and re-sent by ``coalition.tasks.outbox_sweep`` if a broker outage dropped them.
"""

from celery import shared_task

__all__ = ["enquiry_reminders_task"]


# Named after members.tasks, where autodiscovery finds it and the beat schedule refers to it.
@shared_task(
    name="members.tasks.enquiry_reminders_task", ignore_result=True, time_limit=300, soft_time_limit=270
)
def enquiry_reminders_task() -> int:
    """Daily: each assignee (or the secretariat) gets the enquiries untouched for too long. Idempotent per
    day: the digest's outbox key includes the date."""
    from members.enquiry_services import enquiry_reminders_send

    return enquiry_reminders_send()
