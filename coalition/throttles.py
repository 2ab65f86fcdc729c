"""Rate limits for public endpoints, shared by DRF views and plain Django form views.

They fail open: if the cache (Redis) is unreachable a request is let through rather than lost, since
honeypot and timing checks still apply and losing an applicant is worse than a burst of spam.
"""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

log = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """The address of the client, for rate limits, login lockouts and consent records.

    ``X-Forwarded-For`` is anyone's to write, so it is read only behind proxies we run ourselves:
    ``NUM_PROXIES`` says how many (default 0: the direct peer, ``REMOTE_ADDR``). With N proxies the
    client is the Nth address from the right, the one our outermost proxy saw; anything further left was
    sent by the client and is ignored.
    """
    remote_addr = request.META.get("REMOTE_ADDR") or None
    num_proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies <= 0 or not forwarded:
        return remote_addr
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote_addr
    return addresses[-min(num_proxies, len(addresses))]


class PublicRateThrottle(SimpleRateThrottle):
    """Per-IP limit for one scope; set ``throttle_scope`` on the view or pass ``scope``."""

    def __init__(self, scope: str | None = None) -> None:
        if scope:
            self.scope = scope
        super().__init__()

    def allow_request(self, request, view) -> bool:
        if view is not None and getattr(view, "throttle_scope", None):
            self.scope = view.throttle_scope
            self.rate = self.get_rate()
            self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - any cache failure
            log.warning("rate limit cache unavailable; letting request through", exc_info=True)
            return True

    def get_rate(self):
        if not getattr(self, "scope", None):
            self.scope = "public"
        return super().get_rate()

    def get_ident(self, request) -> str:
        return client_ip(request) or ""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttle_check(request, *, scope: str) -> int | None:
    """For form views: None if allowed, else the seconds to wait (for ``Retry-After``)."""
    throttle = PublicRateThrottle(scope)
    if throttle.allow_request(request, None):
        return None
    wait = throttle.wait()
    return max(1, int(wait or 1))
