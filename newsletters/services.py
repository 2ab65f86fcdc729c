"""Writing newsletters (create, edit, preview, test send) and drafting the monthly progress update.

Sending lives in ``newsletters.sending``; subscriptions in ``newsletters.subscriptions``.
"""

import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from coalition.exceptions import InvalidTransition
from coalition.models import OutboundEmail
from coalition.outbox.services import email_queue_rendered
from newsletters import selectors
from newsletters.models import (
    Newsletter,
    Topic,
)
from newsletters.sending import rendering

# --- Writing ---------------------------------------------------------------------------------------------


@transaction.atomic
def newsletter_create(*, by=None, topics: list[Topic] | None = None, **fields: Any) -> Newsletter:
    newsletter = Newsletter(created_by=by, **fields)
    newsletter.full_clean(exclude=["topics"])
    newsletter.save()
    newsletter.topics.set(topics or [])
    return newsletter


@transaction.atomic
def newsletter_update(
    *, newsletter: Newsletter, topics: list[Topic] | None = None, **fields: Any
) -> Newsletter:
    unknown = set(fields) - set(Newsletter.CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"newsletter_update() got fields that are not content: {sorted(unknown)}")
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if not locked.is_editable:
        raise InvalidTransition(
            f"This newsletter is {locked.get_status_display().lower()}; it can no longer be edited."
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["topics"])
    locked.save()
    if topics is not None:
        locked.topics.set(topics)
    return locked


def newsletter_rendered(*, newsletter: Newsletter) -> rendering.RenderedNewsletter:
    if newsletter.rendered_html:
        return rendering.RenderedNewsletter(
            subject=newsletter.subject, html=newsletter.rendered_html, text=newsletter.rendered_text
        )
    return rendering.newsletter_render(
        subject=newsletter.subject, preheader=newsletter.preheader, body_markdown=newsletter.body_markdown
    )


PREVIEW_EMAIL = "you@example.org"


def newsletter_preview(*, newsletter: Newsletter, name: str = "") -> rendering.RenderedNewsletter:
    """What a recipient called ``name`` would receive, as HTML and plain text: the composer's live preview.

    ``newsletter`` may be unsaved (the form as it is now, ``rendered_html`` empty: rendered from its
    fields) or a sent one (its frozen rendering). Built by the code that builds every sent message (render
    once, then personalise into a message), so the preview cannot drift from the email.
    """
    rendered = newsletter_rendered(newsletter=newsletter)
    message = rendering.newsletter_message(
        rendered=rendered,
        name=name,
        email=PREVIEW_EMAIL,
        key=uuid.UUID(int=0),
        newsletter_id=newsletter.pk or 0,
    )
    return rendering.RenderedNewsletter(
        subject=rendered.subject, html=message.alternatives[0][0], text=message.body
    )


@transaction.atomic
def newsletter_test_send(*, newsletter: Newsletter, to: str, name: str = "") -> OutboundEmail:
    """Send the newsletter as it will look to one address (through the transactional outbox)."""
    to = (to or "").strip()
    if "@" not in to:
        raise ValidationError({"to": "Enter the email address to send the test to."})
    rendered = newsletter_rendered(newsletter=newsletter)
    sample_key = uuid.UUID(int=0)  # links in a test point nowhere real
    message = rendering.newsletter_message(
        rendered=rendered, name=name, email=to, key=sample_key, newsletter_id=newsletter.pk
    )
    headers = {k: v for k, v in message.extra_headers.items() if k != "Message-ID"}
    return email_queue_rendered(
        kind="newsletters.test",
        to=to,
        subject=f"[Test] {rendered.subject}",
        text=message.body,
        html=message.alternatives[0][0],
        headers=headers,
    )


# --- Progress updates ------------------------------------------------------------------------------------


def previous_month(today: date) -> tuple[date, date]:
    first_this = today.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return last_prev.replace(day=1), first_this


@transaction.atomic
def progress_update_draft(*, start: date, end: date, by=None) -> Newsletter:
    """Draft the "progress update" for [start, end) from what happened; never sends it.

    One draft per period: running it again returns the existing newsletter unchanged.
    """
    existing = Newsletter.objects.filter(kind=Newsletter.Kind.PROGRESS_UPDATE, period_start=start).first()
    if existing:
        return existing
    items = selectors.progress_items(start=start, end=end)
    body = selectors.progress_markdown(start=start, end=end, items=items)
    topics = list(Topic.objects.filter(slug="progress-updates")) or list(Topic.objects.filter(default=True))
    label = (
        f"{start:%B %Y}" if (end - start).days <= 31 and start.day == 1 else f"{start:%d %b} – {end:%d %b %Y}"
    )
    try:
        with transaction.atomic():
            newsletter = newsletter_create(
                by=by,
                topics=topics,
                kind=Newsletter.Kind.PROGRESS_UPDATE,
                subject=f"{settings.COALITION_SHORT_NAME} progress update: {label}",
                preheader=selectors.progress_preheader(items=items),
                body_markdown=body,
                period_start=start,
                period_end=end,
            )
    except (IntegrityError, ValidationError):
        # Drafted at the same moment by another run.
        return Newsletter.objects.get(kind=Newsletter.Kind.PROGRESS_UPDATE, period_start=start)
    return newsletter
