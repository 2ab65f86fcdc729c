"""One send rate for all workers together: a token scheduler in Redis.

Each message reserves the next free slot of a shared timeline (``NEWSLETTER_RATE_LIMIT`` slots per
second) in one atomic Lua call that reads Redis's own clock, so workers on several machines share one
limit without trusting each other's clocks; the caller sleeps until its slot. Without Redis (the embedded
development mode) the limit is kept per process.
"""

import threading
import time
from functools import lru_cache

import redis
from django.conf import settings

KEY = "newsletters:send-rate"

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
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


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


def rate_wait(rate: float | None = None) -> float:
    """Reserve one message slot; sleep until it comes. Returns the seconds slept."""
    rate = settings.NEWSLETTER_RATE_LIMIT if rate is None else rate
    if not rate or rate <= 0:
        return 0.0
    interval = 1.0 / rate
    if settings.REDIS_URL:
        client = _client(settings.REDIS_URL)
        wait = float(client.eval(_RESERVE, 1, KEY, f"{interval:.6f}"))
    else:
        wait = _local.reserve(interval)
    if wait > 0:
        time.sleep(wait)
    return wait
