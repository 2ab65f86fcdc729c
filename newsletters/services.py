"""Writing newsletters (create, edit, preview, test send) and drafting the monthly progress update.

Sending lives in ``newsletters.sending``; subscriptions in ``newsletters.subscriptions``.
"""

import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation

from coalition.exceptions import InvalidTransition
from coalition.models import OutboundEmail
from coalition.outbox.services import email_queue_rendered
from newsletters import selectors
from newsletters.models import (
    Delivery,
    Newsletter,
    NewsletterTranslation,
    Topic,
)
from newsletters.sending import rendering

# --- Topics --------------------------------------------------------------------------------------------

TOPIC_FIELDS = {
    "name", "slug", "description", "public", "default", "sort_order", "name_translations",
    "description_translations",
}  # fmt: skip
# A newsletter in these states still goes (or may go) to its topics' subscribers.
TOPIC_AUDIENCE_STATUSES = (
    Newsletter.Status.DRAFT,
    Newsletter.Status.SCHEDULED,
    Newsletter.Status.SENDING,
    Newsletter.Status.PAUSED,
    Newsletter.Status.HELD,
)


def _topic_save(topic: Topic) -> Topic:
    topic.full_clean()
    topic.save()
    return topic


@transaction.atomic
def topic_create(**fields: Any) -> Topic:
    unknown = set(fields) - TOPIC_FIELDS
    if unknown:
        raise TypeError(f"topic_create() got unexpected fields: {sorted(unknown)}")
    return _topic_save(Topic(**fields))


@transaction.atomic
def topic_update(*, topic: Topic, **fields: Any) -> Topic:
    unknown = set(fields) - TOPIC_FIELDS
    if unknown:
        raise TypeError(f"topic_update() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(topic, name, value)
    return _topic_save(topic)


def topic_delete_blockers(*, topic: Topic) -> list[Newsletter]:
    """The newsletters not yet sent that are addressed to ``topic``: deleting it would change who they
    reach without anyone deciding so."""
    return list(topic.newsletters.filter(status__in=TOPIC_AUDIENCE_STATUSES).order_by("pk"))


@transaction.atomic
def topic_delete(*, topic: Topic) -> None:
    """Delete a topic no unsent newsletter is addressed to. Its subscribers stay, without the topic; sent
    newsletters keep their deliveries."""
    blockers = topic_delete_blockers(topic=topic)
    if blockers:
        names = ", ".join(f"“{n.subject}” ({n.get_status_display().lower()})" for n in blockers)
        raise InvalidTransition(
            f"“{topic.name}” is the audience of {names}. Take the topic off "
            f"{'that newsletter' if len(blockers) == 1 else 'those newsletters'} first, or wait until "
            f"{'it is' if len(blockers) == 1 else 'they are'} sent."
        )
    topic.delete()


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


#: A newsletter that never went to anyone may be deleted; one that did keeps its record of who received it.
DELETABLE_STATUSES = (*Newsletter.EDITABLE_STATUSES, Newsletter.Status.CANCELLED)


def newsletter_delete_blocker(*, newsletter: Newsletter) -> str:
    """Why ``newsletter`` may not be deleted ("" if it may): it is going or went to subscribers, and its
    deliveries are the record of who received what (and what the sender resumes from)."""
    if newsletter.status not in DELETABLE_STATUSES:
        return (
            f"“{newsletter.subject}” is {newsletter.get_status_display().lower()}: its deliveries are the "
            "record of who received it, so it is kept. Cancel it to stop the rest of the sending."
        )
    # Cancelled after sending began: the rows sent (or tried, or in flight when it stopped) are that record.
    reached = newsletter.deliveries.filter(
        Q(status__in=[Delivery.Status.SENT, Delivery.Status.SENDING]) | Q(attempts__gt=0)
    ).count()
    if reached:
        return (
            f"“{newsletter.subject}” was cancelled after going out to {reached} "
            f"subscriber{'' if reached == 1 else 's'}: its deliveries are the record of who received it, "
            "so it is kept."
        )
    return ""


@transaction.atomic
def newsletter_delete(*, newsletter: Newsletter) -> None:
    """Delete a newsletter that never went to anyone (a draft, a scheduled or held one, or one cancelled
    before its first delivery), with its versions in other languages."""
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    blocker = newsletter_delete_blocker(newsletter=locked)
    if blocker:
        raise InvalidTransition(blocker)
    locked.delete()


def _editable(newsletter: Newsletter) -> Newsletter:
    locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if not locked.is_editable:
        raise InvalidTransition(
            f"This newsletter is {locked.get_status_display().lower()}; it can no longer be edited."
        )
    return locked


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
def newsletter_translation_save(
    *, newsletter: Newsletter, language: str, subject: str, body_markdown: str, preheader: str = ""
) -> NewsletterTranslation:
    """Add or change the newsletter's version in ``language`` (the newsletter's own fields are the
    default-language version), while the newsletter can still be edited."""
    locked = _editable(newsletter)
    if language == rendering.DEFAULT_LANGUAGE:
        raise ValidationError(
            {"language": "The newsletter's own subject and body are the English version: edit them instead."}
        )
    translated = NewsletterTranslation.objects.filter(newsletter=locked, language=language).first()
    translated = translated or NewsletterTranslation(newsletter=locked, language=language)
    translated.subject, translated.preheader, translated.body_markdown = subject, preheader, body_markdown
    translated.rendered_html = translated.rendered_text = ""
    translated.full_clean(validate_unique=False)
    translated.save()
    return translated


def newsletter_translation_delete_blocker(*, translated: NewsletterTranslation) -> str:
    """Why a version may not be removed ("" if it may): once its newsletter is sending or sent, the version
    is what its readers received."""
    newsletter = translated.newsletter
    if newsletter.is_editable:
        return ""
    status = newsletter.get_status_display().lower()
    return f"{translated}: the newsletter is {status}, and this version is what its readers received."


@transaction.atomic
def newsletter_translation_delete(*, translated: NewsletterTranslation) -> None:
    """Remove a version: its readers receive the default one."""
    _editable(translated.newsletter)
    translated.delete()


def newsletter_rendered(
    *, newsletter: Newsletter, language: str | None = None
) -> rendering.RenderedNewsletter:
    """The version a reader of ``language`` receives (the default where there is none), as frozen when
    sending started, or rendered now for a draft."""
    version = rendering.newsletter_version(newsletter, language)
    if version.rendered_html:
        return rendering.RenderedNewsletter(
            subject=version.subject, html=version.rendered_html, text=version.rendered_text
        )
    return rendering.newsletter_render(
        subject=version.subject,
        preheader=version.preheader,
        body_markdown=version.body_markdown,
        language=version.language,
    )


def newsletter_rendered_versions(*, newsletter: Newsletter) -> dict[str, rendering.RenderedNewsletter]:
    """Every version by language (what a batch sends from)."""
    return {
        language: newsletter_rendered(newsletter=newsletter, language=language)
        for language in rendering.newsletter_languages(newsletter)
    }


@transaction.atomic
def newsletter_test_send(
    *, newsletter: Newsletter, to: str, name: str = "", language: str | None = None
) -> OutboundEmail:
    """Send the newsletter as it will look to one address (through the transactional outbox), in the
    version a reader of ``language`` receives."""
    to = (to or "").strip()
    if "@" not in to:
        raise ValidationError({"to": "Enter the email address to send the test to."})
    version = rendering.newsletter_version(newsletter, language)
    rendered = newsletter_rendered(newsletter=newsletter, language=version.language)
    sample_key = uuid.UUID(int=0)  # links in a test point nowhere real
    with translation.override(version.language):
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
