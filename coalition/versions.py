"""Version stamps for cached content: a service that changes what a cached page or figure shows says so
with ``content_changed(name)``; readers key their cache entries by ``content_version(name)``.

A version is the time (seconds since the epoch, a float) of the last change, so it doubles as the
``Last-Modified`` of what it stamps. It lives in the ``shared`` cache (Redis; a file cache on the embedded
default), seen by every process: a change made in a worker invalidates the pages a web process serves.
If the stamp is missing (a cleared or restarted cache), it starts again at "now", which invalidates
everything keyed by the old one: the safe direction.

``content_changed`` bumps at once and again after the transaction commits. The first bump serves the
caller's own transaction (a test, a request that reads back what it wrote); the second closes the gap
where a concurrent reader, between the first bump and the commit, cached what it still saw as the old
data under the new stamp.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from django.core.cache import caches
from django.db import connection, transaction

log = logging.getLogger(__name__)

_PREFIX = "content-version:"

# The stamps in use: the public pages (members.public) and the staff dashboard's figures
# (coalition.site.dashboard). The members services bump both on every write of the records they show.
PUBLIC_CONTENT = "public"
DASHBOARD_CONTENT = "dashboard"


def _store():
    return caches["shared"]


def cache_get(cache, key: str):
    """``cache.get`` that fails open: a cache that is down (Redis gone) reads as a miss, never a 500."""
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - any backend's connection error
        log.warning("cache unavailable reading %s", key, exc_info=True)
        return None


def cache_set(cache, key: str, value, timeout) -> None:
    """``cache.set`` that fails open, as ``cache_get``."""
    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001
        log.warning("cache unavailable writing %s", key, exc_info=True)


def content_version(name: str) -> float:
    """The stamp of ``name`` (the time of its last recorded change). With the cache down, "now": every
    reader then misses, which is slower but never stale."""
    try:
        store = _store()
        version = store.get(_PREFIX + name)
        if version is None:
            store.add(_PREFIX + name, time.time(), None)
            version = store.get(_PREFIX + name) or time.time()
        return float(version)
    except Exception:  # noqa: BLE001
        log.warning("cache unavailable reading the %s version", name, exc_info=True)
        return time.time()


def content_last_modified(name: str) -> datetime:
    return datetime.fromtimestamp(int(content_version(name)), tz=UTC)


def _bump(names: tuple[str, ...]) -> None:
    # A write must succeed with the cache down (a Redis outage); the cached copies then expire on their
    # own timeouts, the bound on staleness in that case.
    try:
        store = _store()
        now = time.time()
        for name in names:
            # Strictly increasing even if two bumps fall within the clock's resolution.
            previous = store.get(_PREFIX + name) or 0.0
            store.set(_PREFIX + name, max(now, float(previous) + 0.001), None)
    except Exception:  # noqa: BLE001
        log.warning("cache unavailable: could not record a change of %s", ", ".join(names), exc_info=True)


def content_changed(*names: str) -> None:
    """Record that what ``names`` stamp has changed (now, and again when the transaction commits).

    The bump after the commit is queued once per transaction, however many writes it makes (an import of
    thousands of rows): all of them would run together at the commit, each bumping the same stamps again.
    Which stamps a transaction has queued is remembered with its list of commit hooks: Django starts a new
    list at each commit and rollback, and at the rollback of a savepoint (whose hooks it drops), so a
    stamp is queued again whenever its earlier hook may be gone."""
    _bump(names)
    if connection.in_atomic_block:
        hooks, queued = getattr(connection, "_content_changed_hooks", (None, set()))
        if hooks is not connection.run_on_commit:
            queued = set()
            connection._content_changed_hooks = (connection.run_on_commit, queued)
        if names in queued:
            return
        queued.add(names)
    transaction.on_commit(lambda: _bump(names))
