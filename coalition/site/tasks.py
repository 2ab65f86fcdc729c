"""Scheduled work of the top floor."""

from celery import shared_task

from coalition.site.dashboard import dashboard_summaries_refresh


@shared_task(
    name="coalition.site.tasks.dashboard_summaries_refresh_task",
    ignore_result=True,
    time_limit=300,
    soft_time_limit=270,
)
def dashboard_summaries_refresh_task() -> list[str]:
    """Every ten minutes from the beat schedule (or the embedded scheduler): keep the dashboard's summaries
    computed, so a staff member opening the dashboard does not wait for them."""
    return dashboard_summaries_refresh()
