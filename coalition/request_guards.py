"""Guards against input no page is meant to receive, applied once for every request.

- ``RejectNulMiddleware``: a NUL character in the path or the query string answers 400. PostgreSQL
  cannot hold NUL in text, so without this any page that searches or filters by a parameter answered 500.
  (Form and JSON fields already refuse NUL: Django's and DRF's CharField validate it.)
- ``LimitedJSONParser`` / ``PublicJSONParser``: JSON bodies with a size and nesting limit, checked before
  parsing, so 100,000 nested ``[`` answer 400 instead of a RecursionError.
"""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser


class RejectNulMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or _nul_in(request.GET):
            message = _("The address contains a NUL character, which no page accepts.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _nul_in(query) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in query.lists())


def json_nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, counted without parsing it (brackets
    inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with a limit on size (bytes) and nesting depth, checked before parsing."""

    max_depth = 32

    def get_max_bytes(self) -> int:
        return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)

    def parse(self, stream, media_type=None, parser_context=None):
        max_bytes = self.get_max_bytes()
        data = stream.read(max_bytes + 1) if stream is not None else b""
        if len(data) > max_bytes:
            raise ParseError(
                _("The request body is too large (at most %(limit)d bytes).") % {"limit": max_bytes}
            )
        if json_nesting_depth(data) > self.max_depth:
            raise ParseError(
                _("The JSON is nested too deeply (at most %(limit)d levels).") % {"limit": self.max_depth}
            )
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(data.decode(encoding), parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from exc


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class PublicJSONParser(LimitedJSONParser):
    """For endpoints anyone may POST to: an application or a subscription fits well within this."""

    max_depth = 8

    def get_max_bytes(self) -> int:
        return int(settings.PUBLIC_JSON_MAX_BYTES)


PUBLIC_PARSERS = [PublicJSONParser, FormParser, MultiPartParser]


def _message_schema() -> dict:
    return {
        "type": "object",
        "description": "What to fix: a message per field, or 'detail' / 'non_field_errors'.",
        "additionalProperties": True,
    }


# What the public POSTs may answer besides success, for their schema (status-code conformance is tested).
PUBLIC_POST_ERRORS = {
    400: OpenApiResponse(response=_message_schema(), description="The request is invalid: see the messages."),
    429: OpenApiResponse(response=_message_schema(), description="Too many requests from this address."),
}
