"""Languages: which one a visitor, a recipient or a staff member gets.

Public pages live under ``i18n_patterns`` (coalition/urls.py): English without a prefix, ``/fr/…`` and
``/es/…`` for the others. Django's ``LocaleMiddleware`` takes the language from that prefix (an unprefixed
public page is English). ``LanguageMiddleware`` adds two things Django does not do with
``prefix_default_language=False``:

- a visitor who opens an unprefixed public page with no language chosen yet (no cookie) is sent to the
  page in the best language their browser asks for (``Accept-Language``), and a visitor whose cookie
  (set by the switcher, Django's ``set_language``) names French or Spanish is sent to that version;
- staff pages (admin, dashboard) stay in English unless the staff member picked a language with the
  switcher: then the cookie is honoured there too (the admin's own translations);
- the API (``/api/``, unprefixed: one address per endpoint for every client) answers in the language the
  client asks for, the way HTTP negotiates it: the language cookie if there is one (the visitor's choice
  on our own pages, which a page's script posting to the API carries), else ``Accept-Language``, else
  English. That is what lets the public POSTs (enquiries, subscriptions) tell a French-speaking applicant
  what to fix in French, DRF's own messages included (it ships French and Spanish catalogs). The staff
  API follows the same rule: scripts and tokens send no ``Accept-Language`` and get English; a client
  that asks for French gets French error messages, while the data itself (codes, enum values, dates in
  UTC) is the same in every language. Answers carry ``Vary: Accept-Language, Cookie``.

Emails are written in their recipient's language: ``recipient_language`` turns a stored preference into a
language we have (falling back to English) and ``public_url`` builds a link in that language.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

DEFAULT_LANGUAGE = "en"
# Staff pages, the API and webhooks: never redirected to a language prefix.
_NOT_PUBLIC = ("/admin/", "/api/", "/anymail/", "/static/", "/healthz/", "/readyz/", "/i18n/")
API_PREFIX = "/api/"


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def recipient_language(code: str | None) -> str:
    """A language we write in for a stored preference: the preference when we have it, else English."""
    code = (code or "").strip().lower()
    if code in language_codes():
        return code
    base = code.split("-")[0]
    return base if base in language_codes() else DEFAULT_LANGUAGE


@contextmanager
def in_language(code: str | None) -> Iterator[str]:
    """Run the block in the recipient's language (``recipient_language``); yields the code used."""
    language = recipient_language(code)
    with translation.override(language):
        yield language


def public_url(viewname: str, *, language: str | None = None, args=None, kwargs=None) -> str:
    """An absolute link to a public page in ``language`` (``/fr/…``), for emails."""
    with translation.override(recipient_language(language or translation.get_language())):
        path = reverse(viewname, args=args, kwargs=kwargs)
    return f"{settings.SITE_URL}{path}"


def is_public_path(path: str) -> bool:
    """True for a page of the public side (one that exists under a language prefix)."""
    if path.startswith(_NOT_PUBLIC):
        return False
    other = language_codes()[1]
    # The language prefix only matches the active language, so resolve as if that language were active.
    with translation.override(other):
        try:
            resolve(f"/{other}{path}")
        except Resolver404:
            return False
    return True


class LanguageMiddleware:
    """First-visit language choice on public pages, and the staff member's own choice on staff pages."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        prefixed = translation.get_language_from_path(path) is not None
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        public = not prefixed and is_public_path(path)
        api = path.startswith(API_PREFIX)
        if api:
            # Negotiated per request (cookie, then Accept-Language, then English): see the module notes.
            translation.activate(translation.get_language_from_request(request, check_path=False))
            request.LANGUAGE_CODE = translation.get_language()
        elif public and request.method in ("GET", "HEAD"):
            # Without a cookie Django's own negotiation reads Accept-Language (English when nothing fits).
            wanted = (
                recipient_language(cookie)
                if cookie
                else translation.get_language_from_request(request, check_path=False)
            )
            if wanted != DEFAULT_LANGUAGE:
                query = request.META.get("QUERY_STRING", "")
                target = f"{request.META.get('SCRIPT_NAME', '')}/{wanted}{path}" + (
                    f"?{query}" if query else ""
                )
                response = HttpResponseRedirect(target)
                patch_vary_headers(response, ("Accept-Language", "Cookie"))
                return response
        elif not prefixed and cookie and not public:
            # Staff pages: English unless the person chose otherwise.
            translation.activate(recipient_language(cookie))
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if public or api:
            # The same address answers differently by language: caches must keep them apart.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


@require_GET
def language_switch(request: HttpRequest, code: str) -> HttpResponse:
    """The switcher's links: remember the language (the cookie Django's ``set_language`` sets) and open
    the same page in it. A link rather than Django's POST form, so public pages carry no CSRF token and
    stay cacheable; choosing a language changes nothing but the visitor's own cookie."""
    if code not in language_codes():
        raise Http404
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ) or not next_url.startswith("/"):
        next_url = "/"
    # ``translate_url`` resolves in the active language: resolve in the language the page was in.
    with translation.override(translation.get_language_from_path(next_url) or DEFAULT_LANGUAGE):
        target = translate_url(next_url, code)
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
