"""The send state machine: schedule, send, pause, resume, cancel, and the sweep that moves it on.

The guarantee is described in ``newsletters/sending/__init__.py``.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from coalition.exceptions import InvalidTransition
from coalition.queueing import enqueue_after_commit
from newsletters import selectors
from newsletters.models import (
    Delivery,
    Newsletter,
    SendBatch,
)
from newsletters.sending import rendering

log = logging.getLogger(__name__)

# The registered name of ``newsletters.tasks.send_batch_task``.
SEND_BATCH_TASK = "newsletters.tasks.send_batch_task"


@transaction.atomic
def newsletter_schedule(*, newsletter: Newsletter, at: datetime, by=None) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if not locked.is_editable:
        raise InvalidTransition(
            f"This newsletter is {locked.get_status_display().lower()}; it cannot be scheduled."
        )
    if at <= timezone.now():
        raise ValidationError({"scheduled_at": "Choose a time in the future, or send now."})
    if not locked.topics.exists():
        raise ValidationError({"topics": "Choose at least one topic before scheduling."})
    locked.status = Newsletter.Status.SCHEDULED
    locked.scheduled_at = at
    locked.sent_by = by
    locked.save(update_fields=["status", "scheduled_at", "sent_by", "updated_at"])
    return locked


@transaction.atomic
def newsletter_unschedule(*, newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status != Newsletter.Status.SCHEDULED:
        raise InvalidTransition("Only a scheduled newsletter can be taken back to draft.")
    locked.status = Newsletter.Status.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    return locked


# Plain SQL both PostgreSQL and SQLite (3.24+) run: the audience subquery names its one column
# ``subscriber_id`` itself (no column-alias list, which SQLite lacks), and ``WHERE true`` settles SQLite's
# parsing ambiguity between a join's ``ON`` and the upsert's ``ON CONFLICT``.
_FREEZE_SQL = """
INSERT INTO newsletters_delivery (newsletter_id, subscriber_id, status, attempts, last_error)
SELECT %s, audience.subscriber_id, 'queued', 0, '' FROM ({audience}) AS audience
WHERE true
ORDER BY audience.subscriber_id
ON CONFLICT (newsletter_id, subscriber_id) DO NOTHING
"""
_BATCHES_SQL = """
INSERT INTO newsletters_sendbatch (newsletter_id, number, first_delivery_id, last_delivery_id, status)
SELECT %s, numbered.n, MIN(numbered.id), MAX(numbered.id), 'pending'
FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS n
      FROM newsletters_delivery WHERE newsletter_id = %s) AS numbered
GROUP BY numbered.n
"""


@transaction.atomic
def newsletter_send(*, newsletter: Newsletter, by=None) -> Newsletter:
    """Start sending now: freeze the audience as delivery rows and dispatch the first batches.

    Refused (InvalidTransition) unless the newsletter is a draft or scheduled, so pressing "send" twice
    starts one send.
    """
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status not in Newsletter.EDITABLE_STATUSES:
        raise InvalidTransition(
            f"This newsletter is {locked.get_status_display().lower()}; only a draft or a scheduled "
            "newsletter can be sent."
        )
    if not locked.topics.exists():
        raise ValidationError(
            {"topics": "Choose at least one topic: the audience is the topics' subscribers."}
        )
    rendered = rendering.newsletter_render(
        subject=locked.subject, preheader=locked.preheader, body_markdown=locked.body_markdown
    )
    locked.rendered_html, locked.rendered_text = rendered.html, rendered.text
    locked.status = Newsletter.Status.SENDING
    locked.started_at = timezone.now()
    locked.sent_by = by or locked.sent_by
    locked.save()
    audience = selectors.newsletter_audience(newsletter=locked).values(subscriber_id=F("pk"))
    audience_sql, params = audience.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_FREEZE_SQL.format(audience=audience_sql), [locked.pk, *params])
        cursor.execute(_BATCHES_SQL, [locked.pk, settings.NEWSLETTER_BATCH_SIZE, locked.pk])
    _advance_locked(locked)
    return locked


@transaction.atomic
def newsletter_pause(*, newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status != Newsletter.Status.SENDING:
        raise InvalidTransition("Only a newsletter that is sending can be paused.")
    locked.status = Newsletter.Status.PAUSED
    locked.save(update_fields=["status", "updated_at"])
    # Running batch tasks see the pause before their next message and hand their rows back.
    locked.batches.filter(status=SendBatch.Status.DISPATCHED).update(status=SendBatch.Status.PENDING)
    return locked


@transaction.atomic
def newsletter_resume(*, newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status != Newsletter.Status.PAUSED:
        raise InvalidTransition("Only a paused newsletter can be resumed.")
    locked.status = Newsletter.Status.SENDING
    locked.save(update_fields=["status", "updated_at"])
    # Batches that had finished their range may hold rows handed back at the pause.
    _reopen_batches_with_due_rows(locked)
    _advance_locked(locked)
    return locked


@transaction.atomic
def newsletter_cancel(*, newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status not in (
        Newsletter.Status.SCHEDULED,
        Newsletter.Status.SENDING,
        Newsletter.Status.PAUSED,
    ):
        raise InvalidTransition("Only a scheduled, sending or paused newsletter can be cancelled.")
    locked.status = Newsletter.Status.CANCELLED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "finished_at", "updated_at"])
    locked.deliveries.filter(status=Delivery.Status.QUEUED).update(status=Delivery.Status.CANCELLED)
    locked.batches.exclude(status=SendBatch.Status.DONE).update(status=SendBatch.Status.DONE)
    return locked


def _reopen_batches_with_due_rows(newsletter: Newsletter) -> None:
    now = timezone.now()
    due_rows = Delivery.objects.filter(
        newsletter_id=newsletter.pk,
        status=Delivery.Status.QUEUED,
        id__gte=OuterRef("first_delivery_id"),
        id__lte=OuterRef("last_delivery_id"),
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    newsletter.batches.filter(status=SendBatch.Status.DONE).filter(Exists(due_rows)).update(
        status=SendBatch.Status.PENDING
    )


def _advance_locked(newsletter: Newsletter, *, stale_before: datetime | None = None) -> list[int]:
    """With the newsletter row locked: dispatch batches up to the window; finish when nothing is left."""
    if newsletter.status != Newsletter.Status.SENDING:
        return []
    now = timezone.now()
    batches = newsletter.batches
    to_dispatch: list[int] = []
    if stale_before is not None:
        # Dispatched but silent: the task was lost with its worker (or never reached the broker).
        stale = list(
            batches.filter(status=SendBatch.Status.DISPATCHED, heartbeat_at__lt=stale_before).values_list(
                "pk", flat=True
            )
        )
        to_dispatch += stale
        _reopen_batches_with_due_rows(newsletter)
    active = batches.filter(status=SendBatch.Status.DISPATCHED).count()
    free = max(0, settings.NEWSLETTER_PARALLEL_BATCHES - active)
    if free:
        to_dispatch += list(
            batches.filter(status=SendBatch.Status.PENDING)
            .order_by("number")
            .values_list("pk", flat=True)[:free]
        )
    if to_dispatch:
        SendBatch.objects.filter(pk__in=to_dispatch).update(
            status=SendBatch.Status.DISPATCHED, dispatched_at=now, heartbeat_at=now
        )
        for batch_id in to_dispatch:
            enqueue_after_commit(SEND_BATCH_TASK, batch_id)
        return to_dispatch
    in_flight = newsletter.deliveries.filter(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING])
    if not in_flight.exists():
        newsletter.status = Newsletter.Status.SENT
        newsletter.finished_at = now
        newsletter.save(update_fields=["status", "finished_at", "updated_at"])
        batches.exclude(status=SendBatch.Status.DONE).update(status=SendBatch.Status.DONE)
    return []


@transaction.atomic
def newsletter_advance(*, newsletter_id: int, stale_before: datetime | None = None) -> list[int]:
    newsletter = Newsletter.objects.select_for_update().filter(pk=newsletter_id).first()
    if newsletter is None:
        return []
    return _advance_locked(newsletter, stale_before=stale_before)


def newsletters_sweep() -> dict[str, int]:
    """Every minute: start due scheduled newsletters, take back work from dead workers, keep sends moving."""
    now = timezone.now()
    started = 0
    for newsletter in Newsletter.objects.filter(status=Newsletter.Status.SCHEDULED, scheduled_at__lte=now):
        try:
            newsletter_send(newsletter=newsletter)
            started += 1
        except (InvalidTransition, ValidationError) as exc:
            log.warning("scheduled newsletter %s not started: %s", newsletter.pk, exc)
    stale_before = now - timedelta(seconds=settings.NEWSLETTER_STALE_SECONDS)
    requeued = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale_before).update(
        status=Delivery.Status.QUEUED, claim=None
    )
    redispatched = 0
    for newsletter_id in Newsletter.objects.filter(status=Newsletter.Status.SENDING).values_list(
        "pk", flat=True
    ):
        redispatched += len(newsletter_advance(newsletter_id=newsletter_id, stale_before=stale_before))
    return {"started": started, "requeued": requeued, "dispatched": redispatched}
