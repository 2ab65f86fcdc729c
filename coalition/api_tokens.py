"""API tokens (DRF's ``Token``): who may create and revoke them.

A token is as good as its owner's password, so: a user creates only their own (shown once, never
listed again: the admin shows a prefix), a user revokes their own, and Secretariat admins may revoke
anyone's (someone leaves, a key leaks). Nobody reads or sets another user's key.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from coalition.groups import SECRETARIAT_ADMIN

KEY_PREFIX_LENGTH = 6


def api_token_prefix(*, key: str) -> str:
    return f"{key[:KEY_PREFIX_LENGTH]}…"


def api_token_can_revoke(*, token: Token, by) -> bool:
    if not (by and by.is_active and by.is_staff):
        return False
    return token.user_id == by.pk or by.is_superuser or by.groups.filter(name=SECRETARIAT_ADMIN).exists()


@transaction.atomic
def api_token_create(*, user) -> Token:
    """A new token for ``user`` (their previous one, if any, stops working). The caller shows the key once."""
    if not (user and user.is_active and user.is_staff):
        raise PermissionDenied(_("Only active staff users have API tokens."))
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def api_token_revoke(*, token: Token, by) -> None:
    if not api_token_can_revoke(token=token, by=by):
        raise PermissionDenied(_("You may revoke only your own API token."))
    Token.objects.filter(key=token.key).delete()
