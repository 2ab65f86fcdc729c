"""Health endpoints for load balancers, orchestrators and the compose file.

- ``/healthz/`` — liveness: the process answers HTTP. No I/O at all, so a database outage never gets a
  healthy web process restarted.
- ``/readyz/`` — readiness: the database answers, the cache and the broker (Redis) answer, and every
  migration is applied. 503 with the failing checks when any fails, so traffic goes elsewhere until it
  passes again.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache


def _database() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _migrations() -> None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")


def _cache() -> None:
    key = "readyz:probe"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was stored")


def _broker() -> None:
    if not settings.REDIS_URL:
        return  # the embedded mode runs tasks in-process
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "migrations": _migrations,
    "cache": _cache,
    "broker": _broker,
}


@never_cache
def healthz(request) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def readyz(request) -> JsonResponse:
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        if name == "migrations" and results["database"]["status"] != "ok":
            results[name] = {"status": "skipped"}
            continue
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency means "not ready"
            results[name] = {"status": "failing", "error": f"{type(exc).__name__}: {exc}"[:300]}
            if name in ("database", "migrations"):
                # Do not hand a broken connection to the next request.
                connections[DEFAULT_DB_ALIAS].close_if_unusable_or_obsolete()
        else:
            results[name] = {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1)}
    ready = all(r["status"] == "ok" for r in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503
    )
