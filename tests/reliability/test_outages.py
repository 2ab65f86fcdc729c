"""Outages of what the site depends on, and of the test run itself.

- PostgreSQL stops answering (a TCP proxy in front of it is cut): pages and the API answer a clean 503
  with Retry-After, never a 500 or a traceback (DEBUG is on here on purpose), ``/readyz/`` says so,
  ``/healthz/`` stays up; everything works again once the database is back, without a restart.
- A test run killed with SIGKILL leaves no Celery worker behind to steal the next run's tasks.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import ROOT, worker_env
from tests.members.enquiry_factories import OpenTierFactory, application
from tests.reliability.faults import CuttableProxy, WebServer, process_group
from tests.waiting import wait_until


@pytest.fixture
def database_behind_a_proxy(db):
    db_settings = connection.settings_dict
    proxy = CuttableProxy(db_settings["HOST"] or "127.0.0.1", int(db_settings["PORT"] or 5432))
    yield proxy
    proxy.close()


@pytest.fixture
def site(database_behind_a_proxy, smtp_server, tmp_path):
    """The site under gunicorn with DEBUG on, reaching the test database through the proxy."""
    db = connection.settings_dict
    env = worker_env(smtp=smtp_server)
    env.update(
        DEBUG="true",
        CONN_MAX_AGE="0",
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}"
            f"@127.0.0.1:{database_behind_a_proxy.port}/{db['NAME']}"
        ),
    )
    server = WebServer(env, ROOT / "var" / "test-web-outage.log").start()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_with_the_database_down_pages_and_the_api_answer_503_and_recover_without_a_restart(
    site, database_behind_a_proxy
):
    OpenTierFactory()
    assert site.get("/readyz/")[0] == 200
    assert site.get("/")[0] == 200

    database_behind_a_proxy.cut()

    status, headers, body = site.request("POST", "/api/v1/enquiries/", application())
    assert status == 503, body
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Retry-After"]) > 0
    assert "unavailable" in body

    status, headers, body = site.get("/")
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert int(headers["Retry-After"]) > 0
    assert settings.COALITION_NAME in body and "Briefly unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body

    status, _, body = site.get("/readyz/")
    assert status == 503 and '"database": {"status": "failing"' in body
    assert site.get("/healthz/")[0] == 200  # liveness does no I/O: no restart for an outage elsewhere

    database_behind_a_proxy.restore()

    status, _, body = site.request("POST", "/api/v1/enquiries/", application(email="after@example.com"))
    assert status == 201, body
    assert site.get("/")[0] == 200
    assert site.get("/readyz/")[0] == 200


# --- A killed test run leaves no worker -------------------------------------------------------------------

CHILD_PIDFILE = "COALITION_TEST_CHILD_WORKER_PIDFILE"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(CHILD_PIDFILE not in os.environ, reason="the child run of the test below")
def test_child_run_holding_a_worker(celery_worker):
    Path(os.environ[CHILD_PIDFILE]).write_text(str(celery_worker.proc.pid))
    time.sleep(120)  # killed long before this ends


def test_killing_the_test_run_with_sigkill_leaves_no_worker_behind(tmp_path):
    pidfile = tmp_path / "worker.pid"
    log = (tmp_path / "child.log").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "--reuse-db", f"{__file__}::test_child_run_holding_a_worker"],
        cwd=ROOT,
        env={**os.environ, CHILD_PIDFILE: str(pidfile)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker_group: set[int] = set()
    try:
        assert wait_until(pidfile.exists, timeout=120, every=0.2), (tmp_path / "child.log").read_text()
        worker_pid = int(pidfile.read_text())
        # The worker leads its own process group: its main process and its two pool processes.
        assert wait_until(lambda: len(process_group(worker_pid)) >= 3, timeout=20)
        worker_group = process_group(worker_pid)

        child.kill()  # SIGKILL: no fixture teardown, no atexit
        child.wait(10)

        assert wait_until(lambda: not process_group(worker_pid), timeout=15), process_group(worker_pid)
    finally:
        if child.poll() is None:
            child.kill()
        for pid in worker_group:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
