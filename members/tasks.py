"""Celery tasks of the members app: thin wrappers that load ids and call one service."""

import logging

from celery import shared_task
from django.db import transaction

from members import services

log = logging.getLogger(__name__)


@shared_task(ignore_result=True, time_limit=900, soft_time_limit=840)
def memberships_recompute_statuses_task() -> int:
    """Daily (beat entry ``memberships-recompute-statuses``): statuses follow the dates.

    Idempotent: a second run on the same day finds nothing to change.
    """
    changed = services.memberships_recompute_statuses()
    log.info("membership statuses recomputed: %d changed", changed)
    return changed


@shared_task(ignore_result=True, time_limit=900, soft_time_limit=840)
def organisation_merges_forget_task() -> int:
    """Nightly (beat entry ``organisation-merges-forget``): merges older than ``MERGE_UNDO_DAYS`` no longer
    keep copies of what they deleted, and can no longer be undone."""
    from members.duplicates.services import organisation_merges_forget

    emptied = organisation_merges_forget()
    log.info("old merges emptied of their undo record: %d", emptied)
    return emptied


@shared_task(ignore_result=True, time_limit=900, soft_time_limit=840)
def search_words_rebuild_task() -> int:
    """Nightly (beat entry ``search-words-rebuild``): the typo-correction words follow the names.

    The services add the words of every name they write; names changed by bulk paths, and words no name
    has any more after renames, merges and deletions, are put right here. PostgreSQL only (0 elsewhere).
    """
    with transaction.atomic():
        words = services.search_words_rebuild()
    log.info("search words rebuilt: %d", words)
    return words
