"""Newsletter content: Markdown → sanitised HTML (nh3) inside the email layout with CSS inlined
(css-inline), and a plain-text alternative written from that HTML (``plaintext``). Links and images given
as paths on our site are made absolute against SITE_URL: a mail client has no page to resolve them from.

The newsletter is rendered once, when sending starts, with placeholders where each recipient's name and
links go; personalising a message is then a few string replacements, not a template render per person.
"""

import binascii
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import css_inline
import markdown
import nh3
from django.conf import settings
from django.core.mail.message import forbid_multi_line_headers, sanitize_address
from django.db.models import Case, F, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import get_language

from coalition.outbox.rendering import UnfoldedEmail, absolute_url, email_context
from coalition.tokens import token_make
from coalition.validators import header_safe
from newsletters.sending.plaintext import html_to_text

NAME = "%%SUBSCRIBER_NAME%%"
EMAIL = "%%SUBSCRIBER_EMAIL%%"
PREFERENCES_URL = "%%PREFERENCES_URL%%"
UNSUBSCRIBE_URL = "%%UNSUBSCRIBE_URL%%"

SUBSCRIBER_SALT = "newsletters.subscriber"
NAME_FALLBACK = "friend"

_NAME_TAG = re.compile(r"\{\{\s*name\s*\}\}")
_PLACEHOLDERS = re.compile(
    "(" + "|".join(re.escape(p) for p in (NAME, EMAIL, PREFERENCES_URL, UNSUBSCRIBE_URL)) + ")"
)
_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}


class NewsletterEmail(UnfoldedEmail):
    """A newsletter message (a test send, the reference the per-recipient skeleton is checked against):
    a folded List-Unsubscribe (the URL alone is longer than 78 characters) would start with whitespace."""


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


def absolute_link(url: str) -> str:
    """A relative link or image address as a mail client can follow it: a path on our site
    (``/commitments/``) joined to SITE_URL as the unsubscribe links are, anything else relative resolved
    against it. A ``#fragment`` points within the message and stays as it is."""
    if url.startswith("#"):
        return url
    if url.startswith("/") and not url.startswith("//"):
        return absolute_url(url)
    return urljoin(f"{settings.SITE_URL}/", url)


def markdown_to_safe_html(body: str) -> str:
    """The body as HTML a mail client shows safely: only ``ALLOWED_TAGS``, no scripts, every link and image
    absolute (``absolute_link``; http, https and mailto ones are kept as written)."""
    html = markdown.markdown(body, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        url_relative=absolute_link,
    )


def newsletter_render(
    *, subject: str, preheader: str, body_markdown: str, language: str = DEFAULT_LANGUAGE
) -> RenderedNewsletter:
    """The newsletter with placeholders for the recipient (see ``personalise``); the layout's own words
    (footer, links) in ``language``."""
    body_html = markdown_to_safe_html(_NAME_TAG.sub(NAME, body_markdown))
    context = email_context(
        {
            "subject": subject,
            "preheader": preheader,
            "body_html": body_html,
            # From the HTML, so both parts carry the same words and the same absolute links.
            "body_text": html_to_text(body_html),
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


_TOKEN_SLOT = "TOKEN0SLOT"  # noqa: S105 - a placeholder in a URL, not a secret


@lru_cache(maxsize=16)
def _link_prefixes(site_url: str, language: str | None) -> tuple[tuple[str, str], tuple[str, str]]:
    """The preferences and unsubscribe URLs around the token, resolved once (per site and language)
    rather than with ``reverse()`` for every link of every message."""

    def around(name: str) -> tuple[str, str]:
        url = absolute_url(reverse(name, args=[_TOKEN_SLOT]))
        before, _slot, after = url.partition(_TOKEN_SLOT)
        return before, after

    return around("newsletters:preferences"), around("newsletters:unsubscribe")


def subscriber_links(key) -> tuple[str, str]:
    """(preferences URL, unsubscribe URL) for one subscriber: the token is signed once for both."""
    token = subscriber_token(key)
    (p_before, p_after), (u_before, u_after) = _link_prefixes(settings.SITE_URL, get_language())
    return f"{p_before}{token}{p_after}", f"{u_before}{token}{u_after}"


def preferences_url(key) -> str:
    return subscriber_links(key)[0]


def unsubscribe_url(key) -> str:
    return subscriber_links(key)[1]


def _values(*, name: str, email: str, links: tuple[str, str], html: bool) -> dict[str, str]:
    name = name or NAME_FALLBACK
    prefs, unsub = links
    if html:
        name, email, prefs, unsub = escape(name), escape(email), escape(prefs), escape(unsub)
    return {NAME: name, EMAIL: email, PREFERENCES_URL: prefs, UNSUBSCRIBE_URL: unsub}


def personalise(template: str, *, name: str, email: str, key, html: bool, links=None) -> str:
    values = _values(name=name, email=email, links=links or subscriber_links(key), html=html)
    return "".join(values.get(part, part) for part in _PLACEHOLDERS.split(template))


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
    links = subscriber_links(key)
    message = NewsletterEmail(
        subject=rendered.subject,
        body=personalise(rendered.text, name=name, email=email, key=key, html=False, links=links),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[formataddr((name, email)) if name else email],
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{links[1]}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.COALITION_NAME} updates <updates.{host}>",
            "Precedence": "bulk",
            "X-Newsletter-ID": str(newsletter_id),
        },
        connection=connection,
    )
    message.attach_alternative(
        personalise(rendered.html, name=name, email=email, key=key, html=True, links=links), "text/html"
    )
    return message


# --- The fast path: one MIME skeleton per newsletter version, bytes per recipient -------------------------


@dataclass(frozen=True)
class RawMessage:
    """A message ready for ``smtplib.SMTP.sendmail``: the envelope and the bytes, CRLF line ends."""

    from_email: str
    recipients: tuple[str, ...]
    data: bytes


def _crlf(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\n", "\r\n")


def _qp(value: str) -> bytes:
    """``value`` (CRLF line ends) as quoted-printable. binascii's encoder (C) keeps the CRLFs and
    soft-breaks at 76 columns; the email package's pure-Python one was a third of the worker's time."""
    return binascii.b2a_qp(value.encode("utf-8"))


class MessageSkeleton:
    """Everything of a newsletter's message that is the same for every recipient, built once.

    ``message`` then fills in the recipient (the To header, the Message-ID, the two links, the name and
    address in both bodies) and encodes only the two bodies: no ``EmailMessage``, no MIME tree, no
    generator per message. The result parses to the same headers and bodies as ``newsletter_message``
    (tests/newsletters/test_rendering.py holds them side by side).
    """

    def __init__(self, *, rendered: RenderedNewsletter, newsletter_id: int) -> None:
        self.newsletter_id = newsletter_id
        self.from_email = settings.NEWSLETTER_FROM_EMAIL
        self.host = _host()
        self.boundary = f"==coalition.{uuid.uuid4().hex}=="
        # CRLF once here: the values filled in per recipient hold no line breaks.
        self.text = _PLACEHOLDERS.split(_crlf(rendered.text))
        self.html = _PLACEHOLDERS.split(_crlf(rendered.html))
        _, subject = forbid_multi_line_headers("Subject", rendered.subject, "utf-8")
        _, from_header = forbid_multi_line_headers("From", self.from_email, "utf-8")
        # The bare address for MAIL FROM: smtplib would parse the display name out of it per message.
        self.envelope_from = parseaddr(sanitize_address(self.from_email, "utf-8"))[1]
        self.head = _crlf(
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"\n'
            "MIME-Version: 1.0\n"
            f"Subject: {subject}\n"
            f"From: {from_header}\n"
        ).encode("ascii")
        self.list_headers = (
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            + _crlf(
                "List-Id: "
                + forbid_multi_line_headers(
                    "List-Id", f"{settings.COALITION_NAME} updates <updates.{self.host}>", "utf-8"
                )[1]
            )
            + f"\r\nPrecedence: bulk\r\nX-Newsletter-ID: {newsletter_id}\r\n\r\n"
        ).encode("ascii")
        part = '--{b}\r\nContent-Type: text/{kind}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
        part += "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        self.text_head = part.format(b=self.boundary, kind="plain").encode("ascii")
        self.html_head = ("\r\n" + part.format(b=self.boundary, kind="html")).encode("ascii")
        self.tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")
        self._date_second = -1
        self._date = b""

    def _date_header(self) -> bytes:
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date = f"Date: {formatdate(now, localtime=settings.EMAIL_USE_LOCALTIME)}\r\n".encode()
        return self._date

    def message(self, *, name: str, email: str, key, delivery_id: int) -> RawMessage:
        """One recipient's message. Raises ValueError for a value that cannot go into a header."""
        name = header_safe(name)
        address = (name, email) if name else email
        _, to = forbid_multi_line_headers("To", formataddr(address) if name else email, "utf-8")
        envelope_to = email if email.isascii() else sanitize_address(email, "utf-8")
        links = subscriber_links(key)
        text_values = _values(name=name, email=email, links=links, html=False)
        html_values = _values(name=name, email=email, links=links, html=True)
        text = "".join(text_values.get(part, part) for part in self.text)
        html = "".join(html_values.get(part, part) for part in self.html)
        headers = (
            f"To: {to}\r\n"
            f"Message-ID: <newsletter-{self.newsletter_id}.delivery-{delivery_id}@{self.host}>\r\n"
            f"List-Unsubscribe: <{links[1]}>\r\n"
        ).encode("utf-8" if not to.isascii() else "ascii")
        data = b"".join(
            (
                self.head,
                headers,
                self._date_header(),
                self.list_headers,
                self.text_head,
                _qp(text),
                self.html_head,
                _qp(html),
                self.tail,
            )
        )
        return RawMessage(from_email=self.envelope_from, recipients=(envelope_to,), data=data)


_SKELETONS: OrderedDict[tuple, MessageSkeleton] = OrderedDict()
_SKELETONS_KEPT = 8


def message_skeleton(*, rendered: RenderedNewsletter, newsletter_id: int, version="") -> MessageSkeleton:
    """The skeleton of one version of a newsletter (``version``: a language, say), kept per process.

    The key includes the rendered content itself, so an edited or re-rendered version never reuses an
    old skeleton; a handful are kept, so memory does not grow with the number of newsletters sent.
    """
    cache_key = (newsletter_id, version, rendered, settings.SITE_URL, settings.NEWSLETTER_FROM_EMAIL)
    skeleton = _SKELETONS.get(cache_key)
    if skeleton is None:
        skeleton = MessageSkeleton(rendered=rendered, newsletter_id=newsletter_id)
        _SKELETONS[cache_key] = skeleton
        while len(_SKELETONS) > _SKELETONS_KEPT:
            _SKELETONS.popitem(last=False)
    else:
        _SKELETONS.move_to_end(cache_key)
    return skeleton
