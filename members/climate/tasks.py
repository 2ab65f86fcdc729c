"""The weekly climate-data refresh (beat entry ``climate-data-refresh``, present only when a URL is set)."""

import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)


@shared_task(name="members.climate.tasks.climate_data_refresh_task", ignore_result=True, time_limit=1800,
             soft_time_limit=1700)  # fmt: skip
def climate_data_refresh_task() -> str:
    """Download and import the configured sources; idempotent (a second run raises nothing new)."""
    from members.climate.refresh import climate_data_refresh

    report = climate_data_refresh(
        tracker_url=settings.NET_ZERO_TRACKER_URL, ndc_url=settings.NDC_REGISTRY_URL
    )
    log.info("climate data refreshed: %s", report.text.splitlines()[:2])
    return report.text
