"""Celery tasks for enquiries.

Acknowledgements, notifications and welcomes need no task of their own: they are outbox rows, sent after
commit and re-sent by the outbox sweep if a broker outage dropped them.
"""

from celery import shared_task

from members.enquiries import services


# The name predates the enquiries package; the beat schedule refers to it.
@shared_task(
    name="members.tasks.enquiry_reminders_task", ignore_result=True, time_limit=300, soft_time_limit=270
)
def enquiry_reminders_task() -> int:
    """Daily: each assignee (or the secretariat) gets the enquiries untouched for too long. Idempotent per
    day: the digest's outbox key includes the date."""
    return services.enquiry_reminders_send()
