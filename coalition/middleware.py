"""Clean answers when a dependency is down.

When PostgreSQL stops answering, Django raises ``OperationalError`` or ``InterfaceError`` wherever the
request happened to touch the database: a view, a serializer, another middleware. Without this, each
becomes a 500 (Django's traceback page with DEBUG on, HTML even for API clients), which tells a load
balancer and an API client the wrong thing. It is an outage, not a bug: answer ``503 Service Unavailable``
with ``Retry-After``, JSON under ``/api/`` and a plain branded page elsewhere, rendered without touching
the database. Nothing needs restarting: the next request opens a fresh connection.
"""

import logging

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
_MARK = "_coalition_outage"


def outage_response(request) -> HttpResponse:
    """The 503 for a request that met a database outage."""
    message = _("The service is briefly unavailable. Please try again in a minute.")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        html = render_to_string(
            "503.html",
            {
                "message": message,
                "COALITION_NAME": settings.COALITION_NAME,
                "COALITION_SHORT_NAME": settings.COALITION_SHORT_NAME,
                "COALITION_ADDRESS": settings.COALITION_ADDRESS,
            },
        )
        response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _remember_outage(sender, request=None, **kwargs) -> None:
    """Django turns an exception raised inside any middleware into a 500 at that layer and sends this
    signal; remember a database outage on the request so the outermost middleware can answer 503."""
    import sys

    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, OUTAGE_ERRORS):
        setattr(request, _MARK, exc)


got_request_exception.connect(_remember_outage, dispatch_uid="coalition.middleware.outage")


class DatabaseOutageMiddleware:
    """Outermost middleware: a database outage anywhere in the request becomes a clean 503."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        exc = getattr(request, _MARK, None)
        if exc is not None and response.status_code >= 500:
            log.warning("database unavailable, answered 503 for %s: %s", request.path, exc)
            return outage_response(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, OUTAGE_ERRORS):
            log.warning("database unavailable, answered 503 for %s: %s", request.path, exception)
            return outage_response(request)
        return None


class ApiInUtcMiddleware:
    """The API speaks UTC whatever the secretariat's ``TIME_ZONE``: DRF writes datetimes in the current
    time zone, so it is UTC for the length of every ``/api/`` request (pages keep the local zone)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        from datetime import UTC

        from django.utils import timezone

        with timezone.override(UTC):
            return self.get_response(request)
