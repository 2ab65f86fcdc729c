"""Signed, expiring tokens for links in emails (status pages, confirmations, RSVPs, preferences)."""

import uuid
from collections.abc import Callable
from typing import Any

from django.core import signing
from django.utils.translation import gettext as _

from coalition.exceptions import BadToken

# A primary key the database can hold (bigint).
_PK_MAX = 2**63 - 1


def token_make(*, value: Any, salt: str) -> str:
    return signing.dumps(value, salt=salt, compress=True)


def token_read(
    *, token: str, salt: str, max_age_seconds: int | None, parse: Callable[[Any], Any] | None = None
) -> Any:
    """The value a link was signed with. ``parse`` checks its shape (``token_pk``, ``token_uuid``…): a
    correctly signed value of the wrong shape (an old format, a leaked secret) is a bad link, not a 500."""
    try:
        value = signing.loads(token, salt=salt, max_age=max_age_seconds)
    except signing.SignatureExpired as exc:
        raise BadToken(_("This link has expired.")) from exc
    except signing.BadSignature as exc:
        raise BadToken(_("This link is not valid.")) from exc
    if parse is None:
        return value
    try:
        return parse(value)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadToken(_("This link is not valid.")) from exc


def token_pk(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _PK_MAX:
        raise ValueError("not a primary key")
    return value


def token_uuid(value: Any) -> uuid.UUID:
    if not isinstance(value, str):
        raise ValueError("not a UUID")
    return uuid.UUID(value)
