"""Newsletter content: Markdown → sanitised HTML (nh3) inside the email layout with CSS inlined
(css-inline), and a plain-text alternative.

The newsletter is rendered once, when sending starts, with placeholders where each recipient's name and
links go; personalising a message is then a few string replacements, not a template render per person.
"""

import re
from dataclasses import dataclass
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

import css_inline
import markdown
import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Case, F, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from coalition.outbox.rendering import absolute_url, email_context
from coalition.tokens import token_make
from coalition.validators import header_safe

NAME = "%%SUBSCRIBER_NAME%%"
EMAIL = "%%SUBSCRIBER_EMAIL%%"
PREFERENCES_URL = "%%PREFERENCES_URL%%"
UNSUBSCRIBE_URL = "%%UNSUBSCRIBE_URL%%"

SUBSCRIBER_SALT = "newsletters.subscriber"
NAME_FALLBACK = "friend"

_NAME_TAG = re.compile(r"\{\{\s*name\s*\}\}")
_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}


class NewsletterEmail(EmailMultiAlternatives):
    """Headers are not folded below RFC 5322's 998-character line limit: a folded List-Unsubscribe
    (the URL alone is longer than 78 characters) starts with whitespace, which some parsers keep."""

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        msg.policy = msg.policy.clone(max_line_length=998)
        return msg


@dataclass(frozen=True)
class RenderedNewsletter:
    subject: str
    html: str
    text: str


# --- Versions per language -------------------------------------------------------------------------------
# The newsletter's own subject, preheader and body are the default-language version; a
# NewsletterTranslation adds another language. Which version a reader gets is decided here only.

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class NewsletterVersion:
    language: str
    subject: str
    preheader: str
    body_markdown: str
    rendered_html: str = ""
    rendered_text: str = ""


def newsletter_languages(newsletter) -> list[str]:
    """The languages the newsletter has a version in, the default first."""
    return [
        DEFAULT_LANGUAGE,
        *sorted(t.language for t in newsletter.translations.all() if t.language != DEFAULT_LANGUAGE),
    ]


def newsletter_version(newsletter, language: str | None) -> NewsletterVersion:
    """The version a reader of ``language`` receives: the one in their language, else the default."""
    if language and language != DEFAULT_LANGUAGE:
        for translated in newsletter.translations.all():
            if translated.language == language:
                return NewsletterVersion(
                    language=language,
                    subject=translated.subject,
                    preheader=translated.preheader,
                    body_markdown=translated.body_markdown,
                    rendered_html=translated.rendered_html,
                    rendered_text=translated.rendered_text,
                )
    return NewsletterVersion(
        language=DEFAULT_LANGUAGE,
        subject=newsletter.subject,
        preheader=newsletter.preheader,
        body_markdown=newsletter.body_markdown,
        rendered_html=newsletter.rendered_html,
        rendered_text=newsletter.rendered_text,
    )


def version_language_expression(languages: list[str], field: str = "preferred_language") -> Case:
    """``newsletter_version``'s choice in SQL, over a subscriber queryset (freezing and audience counts):
    the subscriber's language where the newsletter has a version in it, else the default."""
    others = [code for code in languages if code != DEFAULT_LANGUAGE]
    return Case(When(**{f"{field}__in": others}, then=F(field)), default=Value(DEFAULT_LANGUAGE))


def markdown_to_safe_html(body: str) -> str:
    html = markdown.markdown(body, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"}
    )


def newsletter_render(
    *, subject: str, preheader: str, body_markdown: str, language: str = DEFAULT_LANGUAGE
) -> RenderedNewsletter:
    """The newsletter with placeholders for the recipient (see ``personalise``); the layout's own words
    (footer, links) in ``language``."""
    body = _NAME_TAG.sub(NAME, body_markdown)
    context = email_context(
        {
            "subject": subject,
            "preheader": preheader,
            "body_html": markdown_to_safe_html(body),
            "body_text": body.strip(),
            "name": NAME,
            "email": EMAIL,
            "preferences_url": PREFERENCES_URL,
            "unsubscribe_url": UNSUBSCRIBE_URL,
        }
    )
    with translation.override(language):
        html = _inliner.inline(render_to_string("emails/newsletter.html", context))
        text = render_to_string("emails/newsletter.txt", context).strip() + "\n"
    return RenderedNewsletter(subject=subject, html=html, text=text)


def subscriber_token(key) -> str:
    return token_make(value=str(key), salt=SUBSCRIBER_SALT)


def preferences_url(key) -> str:
    return absolute_url(reverse("newsletters:preferences", args=[subscriber_token(key)]))


def unsubscribe_url(key) -> str:
    return absolute_url(reverse("newsletters:unsubscribe", args=[subscriber_token(key)]))


def personalise(template: str, *, name: str, email: str, key, html: bool) -> str:
    name = name or NAME_FALLBACK
    prefs, unsub = preferences_url(key), unsubscribe_url(key)
    if html:
        name, email, prefs, unsub = escape(name), escape(email), escape(prefs), escape(unsub)
    return (
        template.replace(NAME, name)
        .replace(EMAIL, email)
        .replace(PREFERENCES_URL, prefs)
        .replace(UNSUBSCRIBE_URL, unsub)
    )


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def delivery_message_id(*, newsletter_id: int, delivery_id: int) -> str:
    """The same for every attempt of one delivery: if a crash makes us send it twice, receiving systems
    that de-duplicate by Message-ID (Gmail does) show it once."""
    return f"<newsletter-{newsletter_id}.delivery-{delivery_id}@{_host()}>"


def newsletter_message(
    *,
    rendered: RenderedNewsletter,
    name: str,
    email: str,
    key,
    newsletter_id: int,
    delivery_id: int | None = None,
    connection=None,
) -> NewsletterEmail:
    """One personalised message with the RFC 8058 one-click unsubscribe headers."""
    if delivery_id:
        message_id = delivery_message_id(newsletter_id=newsletter_id, delivery_id=delivery_id)
    else:
        message_id = make_msgid(idstring=f"newsletter-{newsletter_id}.test", domain=_host())
    host = _host()
    # Checked at the door too; this is for rows that reached the database another way.
    name = header_safe(name)
    message = NewsletterEmail(
        subject=rendered.subject,
        body=personalise(rendered.text, name=name, email=email, key=key, html=False),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[formataddr((name, email)) if name else email],
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{unsubscribe_url(key)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.COALITION_NAME} updates <updates.{host}>",
            "Precedence": "bulk",
            "X-Newsletter-ID": str(newsletter_id),
        },
        connection=connection,
    )
    message.attach_alternative(
        personalise(rendered.html, name=name, email=email, key=key, html=True), "text/html"
    )
    return message
