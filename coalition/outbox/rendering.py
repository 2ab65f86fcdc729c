"""Rendering of transactional email (queueing and sending are in ``coalition.outbox.services``).

A message is three templates: ``emails/<name>.subject.txt``, ``emails/<name>.txt`` and
``emails/<name>.html`` (the HTML one may extend ``emails/base.html``); CSS is inlined for mail clients.
"""

import base64
import logging
from dataclasses import dataclass
from typing import Any

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from coalition.i18n import recipient_language
from coalition.models import OutboundEmail
from coalition.validators import header_safe

log = logging.getLogger(__name__)

_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def email_context(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "coalition_name": settings.COALITION_NAME,
        "coalition_short_name": settings.COALITION_SHORT_NAME,
        "coalition_address": settings.COALITION_ADDRESS,
        "site_url": settings.SITE_URL,
        **(extra or {}),
    }


def email_render(*, template: str, context: dict[str, Any], language: str | None = None) -> RenderedEmail:
    """The three parts in ``language`` (the recipient's; English when it is empty or one we do not
    write), whatever language the request that queues it is in: staff notifications queued from a
    French page still go out in English."""
    ctx = email_context(context)
    with translation.override(recipient_language(language)):
        subject = " ".join(render_to_string(f"emails/{template}.subject.txt", ctx).split())
        text = render_to_string(f"emails/{template}.txt", ctx).strip() + "\n"
        html = _inliner.inline(render_to_string(f"emails/{template}.html", ctx))
    return RenderedEmail(subject=subject, text=text, html=html)


def attachment(*, filename: str, mimetype: str, content: bytes) -> dict[str, str]:
    return {"filename": filename, "mimetype": mimetype, "content_b64": base64.b64encode(content).decode()}


class UnfoldedEmail(EmailMultiAlternatives):
    """Headers are not refolded below RFC 5322's 998-character line limit.

    Python's compat32 folding puts a long encoded header (a subject in Spanish or French, a List-Unsubscribe
    URL) on the line after its name, so the value starts with whitespace that parsers keep: " Hemos
    recibido…". The encoded words Django writes are already short; left as they are, they decode cleanly.
    """

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        msg.policy = msg.policy.clone(max_line_length=998)
        return msg


def outbound_message(email: OutboundEmail, *, connection=None) -> EmailMultiAlternatives:
    message = UnfoldedEmail(
        subject=header_safe(email.subject),
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=email.headers or None,
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for item in email.attachments:
        message.attach(item["filename"], base64.b64decode(item["content_b64"]), item["mimetype"])
    return message


def smtp_connection():
    return get_connection(fail_silently=False)
