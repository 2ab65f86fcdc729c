"""The send state machine: schedule, send, pause, resume, cancel, and the sweep that moves it on.

The guarantee is described in ``newsletters/sending/__init__.py``.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from coalition.dates import secretariat_localtime
from coalition.exceptions import InvalidTransition
from coalition.outbox.services import email_queue
from coalition.queueing import enqueue
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


S = Newsletter.Status

# The send state machine, whole: from each status, the statuses a service may move a newsletter to.
# Every transition service checks this table (through ``_transition``) rather than a guard of its own.
#   draft → scheduled → sending ⇄ paused → sent / cancelled; a schedule found too late → held, from which
#   staff send, reschedule, take it back to draft or cancel; "retry failed" moves a sent one back to sending.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SCHEDULED, S.SENDING}),
    S.SCHEDULED: frozenset({S.SCHEDULED, S.DRAFT, S.SENDING, S.HELD, S.CANCELLED}),
    S.HELD: frozenset({S.SCHEDULED, S.DRAFT, S.SENDING, S.CANCELLED}),
    S.SENDING: frozenset({S.PAUSED, S.SENT, S.CANCELLED}),
    S.PAUSED: frozenset({S.SENDING, S.CANCELLED}),
    S.SENT: frozenset({S.SENDING}),
    S.CANCELLED: frozenset(),
}

# Why a move is refused, by the status asked for.
_REFUSALS = {
    S.SCHEDULED: _("This newsletter is {status}; it cannot be scheduled."),
    S.DRAFT: _("Only a scheduled or held newsletter can be taken back to draft."),
    S.SENDING: _(
        "This newsletter is {status}; only a draft or a scheduled newsletter can be sent "
        "(or one held because its time had passed)."
    ),
    S.HELD: _("Only a scheduled newsletter can be held."),
    S.PAUSED: _("Only a newsletter that is sending can be paused."),
    S.CANCELLED: _("Only a scheduled, held, sending or paused newsletter can be cancelled."),
    S.SENT: _("Only a newsletter that is sending can finish."),
}


def transition_allowed(*, newsletter: Newsletter, to: str) -> bool:
    return to in ALLOWED_TRANSITIONS.get(newsletter.status, frozenset())


def _transition(
    *,
    newsletter: Newsletter,
    to: str,
    only_from: frozenset[str] | None = None,
    refusal: str | Promise | None = None,
    prepare: Callable[[Newsletter], list[str] | None] | None = None,
) -> Newsletter:
    """Lock the newsletter, check the move against ``ALLOWED_TRANSITIONS``, apply it and save.

    ``only_from`` narrows the table for services that make one particular move into a status (resume is
    paused → sending, not draft → sending). ``prepare`` runs on the locked row before the save (further
    checks, fields to set) and returns the names of the fields it set. Runs inside the caller's
    transaction.
    """
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    allowed = transition_allowed(newsletter=locked, to=to)
    if not allowed or (only_from is not None and locked.status not in only_from):
        message = refusal or _REFUSALS[to]
        raise InvalidTransition(str(message).format(status=locked.get_status_display().lower()))
    fields = (prepare(locked) or []) if prepare else []
    locked.status = to
    locked.save(update_fields=["status", *fields, "updated_at"])
    return locked


@transaction.atomic
def newsletter_schedule(*, newsletter: Newsletter, at: datetime, by=None) -> Newsletter:
    def prepare(locked: Newsletter) -> list[str]:
        if at <= timezone.now():
            raise ValidationError({"scheduled_at": "Choose a time in the future, or send now."})
        if not locked.topics.exists():
            raise ValidationError({"topics": "Choose at least one topic before scheduling."})
        locked.scheduled_at = at
        locked.sent_by = by
        return ["scheduled_at", "sent_by"]

    return _transition(newsletter=newsletter, to=S.SCHEDULED, prepare=prepare)


@transaction.atomic
def newsletter_unschedule(*, newsletter: Newsletter) -> Newsletter:
    return _transition(newsletter=newsletter, to=S.DRAFT)


@transaction.atomic
def newsletter_hold(*, newsletter: Newsletter, reason: str = "") -> Newsletter:
    """Hold a scheduled newsletter instead of sending it (its time passed long ago); tell the secretariat.

    Staff then send it now, reschedule it, take it back to draft or cancel it.
    """
    held = _transition(newsletter=newsletter, to=S.HELD)
    _tell_secretariat(
        held,
        kind="held",
        dedupe=held.scheduled_at.isoformat() if held.scheduled_at else "",
        # In the secretariat's zone, as the pages show it, and named.
        scheduled_at=(
            f"{secretariat_localtime(held.scheduled_at):%Y-%m-%d %H:%M} ({settings.TIME_ZONE})"
            if held.scheduled_at
            else ""
        ),
        reason=reason,
    )
    return held


def _tell_secretariat(newsletter: Newsletter, *, kind: str, dedupe: str, **context) -> None:
    """Email the secretariat about ``newsletter`` (kind ``newsletters.<kind>``, template
    ``newsletter_<kind>``), with its subject and a link to it, once per ``dedupe``."""
    email_queue(
        kind=f"newsletters.{kind}",
        to=settings.SECRETARIAT_EMAIL,
        template=f"newsletter_{kind}",
        context={
            "subject": newsletter.subject,
            "admin_url": f"{settings.SITE_URL}/admin/newsletters/newsletter/{newsletter.pk}/change/",
            **context,
        },
        dedupe_key=f"newsletter-{kind}:{newsletter.pk}:{dedupe}",
    )


# Plain SQL both PostgreSQL and SQLite (3.24+) run: the audience subquery names its one column
# ``subscriber_id`` itself (no column-alias list, which SQLite lacks), and ``WHERE true`` settles SQLite's
# parsing ambiguity between a join's ``ON`` and the upsert's ``ON CONFLICT``.
_FREEZE_SQL = """
INSERT INTO newsletters_delivery (newsletter_id, subscriber_id, language, status, attempts, last_error)
SELECT %s, audience.subscriber_id, audience.language, 'queued', 0, '' FROM ({audience}) AS audience
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

    def prepare(locked: Newsletter) -> list[str]:
        if not locked.topics.exists():
            raise ValidationError(
                {"topics": "Choose at least one topic: the audience is the topics' subscribers."}
            )
        rendered = rendering.newsletter_render(
            subject=locked.subject, preheader=locked.preheader, body_markdown=locked.body_markdown
        )
        locked.rendered_html, locked.rendered_text = rendered.html, rendered.text
        # Each other-language version is frozen the same way, in its language.
        for translated in locked.translations.exclude(language=rendering.DEFAULT_LANGUAGE):
            version = rendering.newsletter_render(
                subject=translated.subject,
                preheader=translated.preheader,
                body_markdown=translated.body_markdown,
                language=translated.language,
            )
            translated.rendered_html, translated.rendered_text = version.html, version.text
            translated.save(update_fields=["rendered_html", "rendered_text", "updated_at"])
        locked.started_at = timezone.now()
        locked.sent_by = by or locked.sent_by
        return ["rendered_html", "rendered_text", "started_at", "sent_by"]

    locked = _transition(
        newsletter=newsletter,
        to=S.SENDING,
        only_from=frozenset({S.DRAFT, S.SCHEDULED, S.HELD}),
        prepare=prepare,
    )
    # The version each subscriber gets is chosen now and recorded on their delivery row.
    languages = rendering.newsletter_languages(locked)
    audience = selectors.newsletter_audience(newsletter=locked).values(
        subscriber_id=F("pk"), language=rendering.version_language_expression(languages)
    )
    audience_sql, params = audience.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_FREEZE_SQL.format(audience=audience_sql), [locked.pk, *params])
        cursor.execute(_BATCHES_SQL, [locked.pk, settings.NEWSLETTER_BATCH_SIZE, locked.pk])
    _advance_locked(locked)
    return locked


@transaction.atomic
def newsletter_pause(*, newsletter: Newsletter) -> Newsletter:
    locked = _transition(newsletter=newsletter, to=S.PAUSED)
    # Running batch tasks see the pause before their next message and hand their rows back.
    locked.batches.filter(status=SendBatch.Status.DISPATCHED).update(status=SendBatch.Status.PENDING)
    return locked


@transaction.atomic
def newsletter_pause_refused(*, newsletter: Newsletter, reason: str, count: int) -> Newsletter:
    """Pause a send the mail server refuses message after message with the same permanent reply (a
    blocklisting, a policy on our messages), and tell the secretariat by email with the server's words:
    nobody may be watching the progress page, and the rest of the audience waits until staff resume."""
    paused = newsletter_pause(newsletter=newsletter)
    _tell_secretariat(
        paused, kind="paused", dedupe=f"{timezone.now():%Y%m%dT%H%M%S}", count=count, reason=reason
    )
    return paused


@transaction.atomic
def newsletter_resume(*, newsletter: Newsletter) -> Newsletter:
    locked = _transition(
        newsletter=newsletter,
        to=S.SENDING,
        only_from=frozenset({S.PAUSED}),
        refusal=_("Only a paused newsletter can be resumed."),
    )
    # Batches that had finished their range may hold rows handed back at the pause.
    _reopen_batches_with_due_rows(locked)
    _advance_locked(locked)
    return locked


@transaction.atomic
def newsletter_cancel(*, newsletter: Newsletter) -> Newsletter:
    def prepare(locked: Newsletter) -> list[str]:
        locked.finished_at = timezone.now()
        return ["finished_at"]

    locked = _transition(newsletter=newsletter, to=S.CANCELLED, prepare=prepare)
    locked.deliveries.filter(status=Delivery.Status.QUEUED).update(status=Delivery.Status.CANCELLED)
    locked.batches.exclude(status=SendBatch.Status.DONE).update(status=SendBatch.Status.DONE)
    return locked


@transaction.atomic
def newsletter_retry_failed(*, newsletter: Newsletter) -> int:
    """Give the failed deliveries a fresh round of attempts; returns how many were queued again.

    A sent newsletter goes back to sending until they are done; a sending or paused one just picks them
    up. Only rows that are ``failed`` now are touched, so pressing it twice queues nothing more.
    """
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if locked.status not in (S.SENT, S.SENDING, S.PAUSED):
        raise InvalidTransition(
            _("Only a sent, sending or paused newsletter has failed deliveries to retry.")
        )
    retried = locked.deliveries.filter(status=Delivery.Status.FAILED).update(
        status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=None, claim=None, last_error=""
    )
    if not retried:
        return 0
    if locked.status == S.SENT:

        def prepare(row: Newsletter) -> list[str]:
            row.finished_at = None
            return ["finished_at"]

        locked = _transition(newsletter=locked, to=S.SENDING, only_from=frozenset({S.SENT}), prepare=prepare)
    _reopen_batches_with_due_rows(locked)
    _advance_locked(locked)
    return retried


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
            transaction.on_commit(lambda batch_id=batch_id: batch_dispatch(batch_id=batch_id))
        return to_dispatch
    # Queued covers rows waiting for a retry after a temporary refusal (``next_attempt_at`` ahead).
    in_flight = newsletter.deliveries.filter(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING])
    if not in_flight.exists():

        def prepare(locked: Newsletter) -> list[str]:
            locked.finished_at = now
            return ["finished_at"]

        finished = _transition(newsletter=newsletter, to=S.SENT, prepare=prepare)
        newsletter.status, newsletter.finished_at = finished.status, finished.finished_at
        batches.exclude(status=SendBatch.Status.DONE).update(status=SendBatch.Status.DONE)
    return []


def batch_dispatch(*, batch_id: int) -> bool:
    """Hand a dispatched batch's task to the broker. If the broker does not take it (down, or failed
    moments ago), the batch goes back to pending: the next sweep, within the minute, dispatches it again,
    instead of waiting ``NEWSLETTER_STALE_SECONDS`` for a heartbeat from a task that was never queued."""
    if enqueue(SEND_BATCH_TASK, batch_id):
        return True
    SendBatch.objects.filter(pk=batch_id, status=SendBatch.Status.DISPATCHED).update(
        status=SendBatch.Status.PENDING
    )
    return False


@transaction.atomic
def newsletter_advance(*, newsletter_id: int, stale_before: datetime | None = None) -> list[int]:
    newsletter = Newsletter.objects.select_for_update().filter(pk=newsletter_id).first()
    if newsletter is None:
        return []
    return _advance_locked(newsletter, stale_before=stale_before)


def newsletters_sweep() -> dict[str, int]:
    """Every minute: start due scheduled newsletters, take back work from dead workers, keep sends moving."""
    now = timezone.now()
    started = held = 0
    too_late = now - timedelta(seconds=settings.NEWSLETTER_MAX_LATENESS)
    for newsletter in Newsletter.objects.filter(status=Newsletter.Status.SCHEDULED, scheduled_at__lte=now):
        try:
            if newsletter.scheduled_at < too_late:
                # The scheduler was down: news meant for then may be wrong now. Staff decide.
                newsletter_hold(newsletter=newsletter, reason="late")
                held += 1
                continue
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
    return {"started": started, "held": held, "requeued": requeued, "dispatched": redispatched}
