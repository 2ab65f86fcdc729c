"""Celery tasks of the members app: thin wrappers that load ids and call one service."""

import logging

from celery import shared_task

from . import services
from .climate.tasks import climate_data_refresh_task  # noqa: F401  the weekly climate-data refresh
from .enquiry_tasks import *  # noqa: F403  enquiry tasks live beside the enquiry services
from .import_tasks import *  # noqa: F403  spreadsheet import jobs

log = logging.getLogger(__name__)


@shared_task(ignore_result=True, time_limit=900, soft_time_limit=840)
def memberships_recompute_statuses_task() -> int:
    """Daily (beat entry ``memberships-recompute-statuses``): statuses follow the dates.

    Idempotent: a second run on the same day finds nothing to change.
    """
    changed = services.memberships_recompute_statuses()
    log.info("membership statuses recomputed: %d changed", changed)
    return changed
