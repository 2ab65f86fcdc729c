"""API plumbing shared by all apps: the exception handler that turns every expected failure into a 4xx."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from coalition.exceptions import BadToken, InvalidTransition, protected_message

log = logging.getLogger(__name__)


class ServiceWritesMixin:
    """A viewset whose writes are its services': ``perform_create``/``perform_update``/``perform_destroy``
    hand the validated data (or the record) and the staff member to ``service_create``/``service_update``/
    ``service_delete``, which each viewset names."""

    def service_create(self, data: dict, *, by):  # pragma: no cover - every viewset names its service
        raise NotImplementedError

    def service_update(self, instance, data: dict, *, by):  # pragma: no cover
        raise NotImplementedError

    def service_delete(self, instance, *, by) -> None:  # pragma: no cover
        raise NotImplementedError

    def _user(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None

    def perform_create(self, serializer) -> None:
        serializer.instance = self.service_create(dict(serializer.validated_data), by=self._user())

    def perform_update(self, serializer) -> None:
        serializer.instance = self.service_update(
            serializer.instance, dict(serializer.validated_data), by=self._user()
        )

    def perform_destroy(self, instance) -> None:
        self.service_delete(instance, by=self._user())


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "The text in other languages, by language code (fr, es); English is the field itself.",
    }
)
class TranslationsField(serializers.JSONField):
    """A ``{"fr": "…", "es": "…"}`` mapping (``name_translations`` and the like): codes of the languages
    we write besides English, one text each; an empty text means "no translation" and is dropped."""

    def __init__(self, *, max_length: int | None = None, **kwargs) -> None:
        self.text_max_length = max_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        others = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        if not isinstance(data, dict):
            raise serializers.ValidationError('Send an object such as {"fr": "…", "es": "…"}.')
        problems = [code for code in data if code not in others]
        if problems:
            raise serializers.ValidationError(
                f"Unknown language {', '.join(map(str, problems))}: use {', '.join(others)}."
            )
        cleaned = {}
        for code, text in data.items():
            if not isinstance(text, str):
                raise serializers.ValidationError(f"The {code} text must be a string.")
            text = text.strip()
            if self.text_max_length and len(text) > self.text_max_length:
                raise serializers.ValidationError(
                    f"The {code} text is longer than {self.text_max_length} characters."
                )
            if text:
                cleaned[code] = text
        return cleaned


def exception_handler(exc, context):
    if isinstance(exc, InvalidTransition):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, BadToken):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        data = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        # A deletion other records still need (an organisation's invoices, a tier's memberships).
        return Response({"detail": protected_message(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IntegrityError):
        # Serializers check the constraints they can; this is the net for a race or a check they missed.
        log.info("integrity error answered as 400: %s", exc)
        return Response(
            {
                "detail": _(
                    "This conflicts with an existing record or breaks a rule of the data. "
                    "Check for a duplicate (same country, email or current membership) and try again."
                )
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)


def schema_declare_language(result, generator, request, public):
    """drf-spectacular hook: every operation takes ``Accept-Language`` (messages in English, French or
    Spanish; records created without a language get the one asked for) and answers ``Content-Language``."""
    codes = [code for code, _name in settings.LANGUAGES]
    header = {
        "in": "header",
        "name": "Accept-Language",
        "required": False,
        "schema": {"type": "string", "example": "fr"},
        "description": (
            f"The language of messages and answers: {', '.join(codes)} (the language cookie wins; "
            "English otherwise). A record created without preferred_language gets this language."
        ),
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "put", "patch", "post", "delete", "head", "options"}:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("in") == "header" and p.get("name") == "Accept-Language" for p in parameters):
                parameters.append(dict(header))
            for response in operation.get("responses", {}).values():
                response.setdefault("headers", {})["Content-Language"] = {
                    "schema": {"type": "string", "example": "fr"},
                    "description": "The language the answer's messages are in.",
                }
    return result
