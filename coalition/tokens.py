"""Signed, expiring tokens for links in emails (status pages, confirmations, RSVPs, preferences)."""

from typing import Any

from django.core import signing

from coalition.exceptions import BadToken


def token_make(*, value: Any, salt: str) -> str:
    return signing.dumps(value, salt=salt, compress=True)


def token_read(*, token: str, salt: str, max_age_seconds: int | None) -> Any:
    try:
        return signing.loads(token, salt=salt, max_age=max_age_seconds)
    except signing.SignatureExpired as exc:
        raise BadToken("This link has expired.") from exc
    except signing.BadSignature as exc:
        raise BadToken("This link is not valid.") from exc
