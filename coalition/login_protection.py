"""Login protection for the staff login (django-axes): lockout after repeated failures, staff told.

Failures are counted per username *and* client address (``coalition.throttles.client_ip``, so the same
``NUM_PROXIES`` rule as the rate limits): after ``AXES_FAILURE_LIMIT`` wrong passwords that pair is
locked out for ``AXES_COOLOFF_TIME``, and even the right password does not log in meanwhile. Each lockout
emails the Secretariat admins (and superusers) through the outbox, at most once an hour per username and
address, and is logged at WARNING. An admin can lift a lockout early in Admin → Axes → Access attempts.
"""

import hashlib
import logging

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from coalition.groups import SECRETARIAT_ADMIN

log = logging.getLogger(__name__)


class LoginProtectionBackend(AxesStandaloneBackend):
    """Axes' check before the password check. A call without a request (the shell, a management
    command, the test client's ``login``) is not a login over the web: it is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _admin_addresses() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__name=SECRETARIAT_ADMIN))
    )
    addresses = sorted({u.email.lower() for u in users if u.email})
    return addresses or [settings.SECRETARIAT_EMAIL]


def login_lockout_notify(*, username: str, ip_address: str | None) -> int:
    """Tell the Secretariat admins of a lockout. Returns the number of emails queued."""
    from coalition.outbox.services import email_queue

    log.warning("staff login locked out: username=%r ip=%s", username, ip_address)
    hour = timezone.now().strftime("%Y-%m-%dT%H")
    digest = hashlib.sha256(f"{username}|{ip_address}|{hour}".encode()).hexdigest()[:32]
    context = {
        "username": username,
        "ip_address": ip_address or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    addresses = _admin_addresses()
    for address in addresses:
        email_queue(
            kind="login.lockout",
            to=address,
            template="login_lockout",
            context=context,
            dedupe_key=f"login-lockout:{digest}:{hashlib.sha256(address.encode()).hexdigest()[:16]}",
        )
    return len(addresses)


def on_user_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    login_lockout_notify(username=username or "", ip_address=ip_address)
