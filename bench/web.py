"""Staff lists, the dashboard and the public pages at a real coalition's scale (not a test; prints figures).

Builds the data set of issue 17 in its own database (``bench/dataset.py``: one record per country plus
100,000 organisations, each with a contact, a membership and a commitment, and 1,000,000 engagements),
serves it with gunicorn (2 worker processes, threads so a connection stays open between requests), and
times each request of the issue's table over one keep-alive connection: the API with a staff token, the
dashboard with a staff session, the public pages anonymous. Prints p50 and p95 per request, and the
machine's load (``uptime``) before and after, since the figures mean little without it.

    .venv/bin/python bench/web.py                              # 100,000 / 1,000,000, database coalition_bench
    .venv/bin/python bench/web.py --organisations 20000 --engagements 200000 --repeat 30
    .venv/bin/python bench/web.py --keep                       # reuse the data set built last time
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalition_bench_web \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/web.py

``BENCH_DATABASE_URL`` names the database (default ``coalition_bench``); it is created if missing and, unless
``--keep`` finds it filled, dropped and built afresh, so its name must contain "bench" (a guard against
pointing the script at real data). ``BENCH_REDIS_URL`` (optional) gives the served site a Redis cache as in
production; without it each gunicorn worker caches in its own memory. Every request is repeated
``--repeat`` times after ``--warm`` untimed ones: the figures are for a warm site (caches filled, plans
cached), which is what staff meet all day; the first visit after a change costs more (see the README).
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import bench_database  # noqa: E402 - the repository root is on the path now

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/coalition_bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

# (label, path, who): "token" = the API with a staff token, "session" = a staff session, "" = anonymous.
REQUESTS = [
    ("organisations", "/api/v1/organisations/?page_size=50", "token"),
    ("… &kind=country", "/api/v1/organisations/?page_size=50&kind=country", "token"),
    ("… &search=den", "/api/v1/organisations/?page_size=50&search=den", "token"),
    ("… &membership_status=active", "/api/v1/organisations/?page_size=50&membership_status=active", "token"),
    ("commitments (API)", "/api/v1/commitments/", "token"),
    ("dashboard", "/dashboard/", "session"),
    ("/commitments/ (public)", "/commitments/", ""),
    ("/members/ (public)", "/members/", ""),
]


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "EMAIL_URL"}}
    env.update(
        DATABASE_URL=url,
        DJANGO_ENV="development",
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="coalition.settings",
        CONN_MAX_AGE=os.environ.get("CONN_MAX_AGE", "60"),
    )
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return env


SETUP = """
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
User = get_user_model()
staff = {"is_staff": True, "is_superuser": True}
user, _ = User.objects.get_or_create(username="bench-staff", defaults=staff)
token, _ = Token.objects.get_or_create(user=user)
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(token.key, session.session_key)
"""


def _fill(url: str, organisations: int, engagements: int, env: dict[str, str]) -> float:
    import django
    import psycopg2

    os.environ.update(env)
    django.setup()  # the data set reads django-countries' names
    from bench.dataset import build

    started = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    parts = urlsplit(url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=parts.path.lstrip("/"),
    )
    with conn, conn.cursor() as cursor:
        build(cursor, organisations=organisations, engagements=engagements, analyze=False)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # hint bits and the visibility map, as autovacuum keeps them live
    conn.close()
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _time(
    port: int, path: str, headers: dict[str, str], *, warm: int, repeat: int
) -> tuple[list[float], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    timings, status = [], 0
    for i in range(warm + repeat):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        status = response.status
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        if i >= warm:
            timings.append(elapsed)
    conn.close()
    return timings, status


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--engagements", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per row")
    parser.add_argument("--warm", type=int, default=10, help="untimed requests first, per row")
    parser.add_argument("--keep", action="store_true", help="reuse the filled database if it exists")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    env = _env(url)

    fill = bench_database(url, keep=args.keep)
    if not fill:
        # --keep on a database that exists but was never filled (or half-filled): fill it now.
        check = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c",
             "from django.db import connection\n"
             "tables = connection.introspection.table_names()\n"
             "from members.models import Organisation\n"
             "print(Organisation.objects.exists() if 'members_organisation' in tables else False)"],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        fill = check.stdout.strip().splitlines()[-1:] != ["True"]
    built = _fill(url, args.organisations, args.engagements, env) if fill else None
    setup = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token, session = setup.stdout.strip().splitlines()[-1].split()
    counts = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c",
         "from members.models import Organisation, Engagement\n"
         "n, e = Organisation.objects.count(), Engagement.objects.count()\n"
         "print(f'{n:,} organisations, {e:,} engagements')"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip

    port = _free_port()
    before = _uptime()
    server = subprocess.Popen(
        [GUNICORN, "coalition.wsgi", "--workers", "2", "--worker-class", "gthread", "--threads", "2",
         "--keep-alive", "30", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        _wait(port)
        rows = []
        for label, path, who in REQUESTS:
            headers = {"Host": "127.0.0.1", "Connection": "keep-alive"}
            if who == "token":
                headers["Authorization"] = f"Token {token}"
            elif who == "session":
                headers["Cookie"] = f"sessionid={session}"
            timings, status = _time(port, path, headers, warm=args.warm, repeat=args.repeat)
            rows.append((label, path, status, statistics.median(timings), _percentile(timings, 95)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    after = _uptime()

    print(f"Data set: {counts}" + (f" (built in {built:.0f} s)" if built is not None else " (kept)"))
    print(f"gunicorn: 2 workers (gthread, 2 threads), keep-alive; {args.warm} warm-up + {args.repeat} timed")
    redis = os.environ.get("BENCH_REDIS_URL")
    print(f"cache: {'Redis ' + redis if redis else 'per-process memory'}")
    print(f"load before: {before}\nload after:  {after}\n")
    print("| request | status | p50 ms | p95 ms |\n|---|---:|---:|---:|")
    for label, path, status, p50, p95 in rows:
        print(f"| `{path}` ({label}) | {status} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
