"""One send rate for all workers together: a token scheduler in Redis.

Each message reserves the next free slot of a shared timeline (``NEWSLETTER_RATE_LIMIT`` slots per
second) in one atomic Lua call that reads Redis's own clock, so workers on several machines share one
limit without trusting each other's clocks; the caller sleeps until its slot. Without Redis (the embedded
development mode) the limit is kept per process.

When Redis does not answer, sending degrades rather than fails: each process keeps a limit of its own,
``NEWSLETTER_RATE_LIMIT / NEWSLETTER_EXPECTED_WORKERS``, so all workers together stay near the rate, and
asks Redis again every ``RETRY_REDIS_SECONDS``.
"""

import logging
import threading
import time
from functools import lru_cache

import redis
from django.conf import settings

log = logging.getLogger(__name__)

KEY = "newsletters:send-rate"
# After Redis failed, the per-process fallback is used for this long before Redis is asked again (so a
# dead Redis costs one connection attempt every few seconds, not one per message).
RETRY_REDIS_SECONDS = 2.0

# Returns the seconds the caller must wait before its slot (as a string: Lua numbers become integers).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nxt = tat + interval
redis.call('SET', KEYS[1], string.format('%.6f', nxt), 'PX', math.ceil((nxt - now) * 1000) + 1000)
return string.format('%.6f', tat - now)
"""


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


class _LocalBucket:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tat = 0.0

    def reserve(self, interval: float) -> float:
        with self.lock:
            now = time.monotonic()
            self.tat = max(self.tat, now)
            wait = self.tat - now
            self.tat += interval
            return wait


_local = _LocalBucket()
_fallback = _LocalBucket()
_redis_down_until = 0.0


def _reserve_shared(url: str, interval: float) -> float | None:
    """The wait for the next shared slot, or None while Redis is unreachable."""
    global _redis_down_until
    if time.monotonic() < _redis_down_until:
        return None
    try:
        return float(_client(url).eval(_RESERVE, 1, KEY, f"{interval:.6f}"))
    except redis.RedisError as exc:
        if not _redis_down_until:
            log.warning("send rate limiter: Redis unreachable (%s); using the per-process fallback rate", exc)
        _redis_down_until = time.monotonic() + RETRY_REDIS_SECONDS
        return None


def _mark_redis_up() -> None:
    global _redis_down_until
    if _redis_down_until:
        log.warning("send rate limiter: Redis answers again; back to the shared rate")
    _redis_down_until = 0.0


def rate_wait(rate: float | None = None) -> float:
    """Reserve one message slot; sleep until it comes. Returns the seconds slept."""
    rate = settings.NEWSLETTER_RATE_LIMIT if rate is None else rate
    if not rate or rate <= 0:
        return 0.0
    interval = 1.0 / rate
    url = settings.NEWSLETTER_RATE_LIMIT_REDIS_URL
    if url:
        wait = _reserve_shared(url, interval)
        if wait is None:
            workers = max(1, settings.NEWSLETTER_EXPECTED_WORKERS)
            wait = _fallback.reserve(interval * workers)
        else:
            _mark_redis_up()
    else:
        wait = _local.reserve(interval)
    if wait > 0:
        time.sleep(wait)
    return wait
