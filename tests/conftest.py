"""Shared fixtures: the cast of users, API clients, an SMTP server on loopback and a real Celery worker.

The suite runs against real PostgreSQL and Redis (``make test`` sets ``DATABASE_URL`` and ``REDIS_URL``).
"""

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent

# This run's own queue: workers started here consume only it, so a worker left behind by another run
# (or running for another developer on the same Redis) never takes this run's tasks, nor the reverse.
RUN_ID = uuid.uuid4().hex[:10]
RUN_QUEUE = f"test-{RUN_ID}"

# Property-based tests generate the same examples on every run (a green run stays green, in CI too);
# `HYPOTHESIS_PROFILE=explore make test` draws fresh random examples and keeps failures in .hypothesis/.
hypothesis_settings.register_profile("default", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    problems = []
    if not settings.USING_POSTGRES:
        problems.append("DATABASE_URL does not point at PostgreSQL (run the suite with `make test`).")
    else:
        db = settings.DATABASES["default"]
        if not _reachable(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)):
            problems.append(f"PostgreSQL is not reachable at {db.get('HOST')}:{db.get('PORT') or 5432}.")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL is not set (run the suite with `make test`).")
    else:
        parts = urlsplit(settings.REDIS_URL)
        if not _reachable(parts.hostname or "127.0.0.1", parts.port or 6379):
            problems.append(f"Redis is not reachable at {parts.hostname}:{parts.port or 6379}.")
    if problems:
        raise pytest.UsageError(
            "The test suite needs PostgreSQL and Redis:\n  - "
            + "\n  - ".join(problems)
            + "\nStart them (see README, 'Running the tests') or run `bash .ci/run`, which starts them."
        )


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


# --- The cast ---------------------------------------------------------------------------------------------

PASSWORD = "correct-horse-battery-staple"


def _make_user(username: str, group: str | None, *, is_staff: bool = True, is_superuser: bool = False):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(
        username=username,
        email=f"{username}@secretariat.example.org",
        password=PASSWORD,
        is_staff=is_staff,
        is_superuser=is_superuser,
        first_name=username.capitalize(),
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def admin_user(db):
    """Alice, secretariat admin."""
    from coalition.groups import SECRETARIAT_ADMIN

    return _make_user("alice", SECRETARIAT_ADMIN)


@pytest.fixture
def staff_user(db):
    """Sam, secretariat staff."""
    from coalition.groups import SECRETARIAT_STAFF

    return _make_user("sam", SECRETARIAT_STAFF)


@pytest.fixture
def comms_user(db):
    """Chris, communications officer."""
    from coalition.groups import COMMUNICATIONS

    return _make_user("chris", COMMUNICATIONS)


@pytest.fixture
def viewer_user(db):
    """Vera, read-only viewer."""
    from coalition.groups import VIEWER

    return _make_user("vera", VIEWER)


@pytest.fixture
def superuser(db):
    return _make_user("root", None, is_superuser=True)


@pytest.fixture
def outsider_user(db):
    """Olga: a logged-in account that is not staff (must see no staff data)."""
    return _make_user("olga", None, is_staff=False)


def record_calls(monkeypatch, module, *names: str) -> list[str]:
    """Let ``module``'s functions ``names`` run as before, and list the name of each call, in order: which
    services a door called."""
    seen: list[str] = []
    for name in names:
        real = getattr(module, name)

        def recording(*args, _real=real, _name=name, **kwargs):
            seen.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, recording)
    return seen


def api_client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture
def admin_api(admin_user):
    return api_client_for(admin_user)


@pytest.fixture
def staff_api(staff_user):
    return api_client_for(staff_user)


@pytest.fixture
def comms_api(comms_user):
    return api_client_for(comms_user)


@pytest.fixture
def viewer_api(viewer_user):
    return api_client_for(viewer_user)


@pytest.fixture(scope="session", autouse=True)
def _run_queue():
    """Route this process's tasks to the run's own queue (workers get it through ``worker_env``)."""
    from coalition.celery import app

    app.conf.task_default_queue = RUN_QUEUE
    yield RUN_QUEUE


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache (Redis); each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _broker_not_known_down():
    """A test that made the broker fail leaves this process thinking it down for a while
    (``coalition.queueing.BROKER_DOWN_SECONDS``); the next test starts without that memory."""
    from coalition import queueing

    queueing._broker_down_until = 0.0
    yield
    queueing._broker_down_until = 0.0


# --- SMTP server on loopback --------------------------------------------------------------------------


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()

    def wait_for(self, count: int, timeout: float = 30.0) -> list:
        """Wait until at least ``count`` messages have arrived; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            raise AssertionError(f"expected {count} messages at the SMTP server, got {len(self.messages)}")

    def settle(self, quiet: float = 1.5, timeout: float = 30.0) -> list:
        """Wait until no message has arrived for ``quiet`` seconds (to prove nothing more comes)."""
        deadline = time.monotonic() + timeout
        last = -1
        last_change = time.monotonic()
        while time.monotonic() < deadline:
            with self.lock:
                n = len(self.messages)
            if n != last:
                last, last_change = n, time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                break
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback for the whole session."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=_free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings):
    """The SMTP sink, emptied, with this test process also sending through it."""
    smtp_server.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield smtp_server
    smtp_server.clear()


# --- A real Celery worker -------------------------------------------------------------------------------


def worker_env(*, smtp: SmtpSink, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a worker process that shares this test session's database, Redis and SMTP sink."""
    from django.db import connection

    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="test",
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}"
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL=settings.REDIS_URL,
        EMAIL_URL=smtp.url,
        SITE_URL=settings.SITE_URL,
        PYTHONUNBUFFERED="1",
        CELERY_TASK_DEFAULT_QUEUE=RUN_QUEUE,
        NEWSLETTER_CELERY_QUEUE=RUN_QUEUE,
    )
    env.update(extra or {})
    return env


class WorkerProcess:
    """A ``celery worker`` subprocess; ``kill()`` sends SIGKILL, ``start()`` starts a fresh one.

    It consumes the run's queues only (``-Q``, unless the caller names its own) and dies with this
    process, even if this process is SIGKILLed (see ``tests/celery_worker.py``).
    """

    def __init__(self, env: dict[str, str], args: list[str] | None = None, name: str = "w1") -> None:
        self.env = env
        self.args = args or []
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.log_path = ROOT / "var" / f"test-worker-{name}.log"

    def start(self, timeout: float = 40.0) -> "WorkerProcess":
        from coalition.celery import app

        self.log_path.parent.mkdir(exist_ok=True)
        log = self.log_path.open("ab")
        hostname = f"{self.name}-{os.getpid()}-{time.monotonic_ns()}@test"
        queues = []
        if "-Q" not in self.args:
            queues = [
                "-Q",
                ",".join(
                    dict.fromkeys(
                        q
                        for q in (
                            self.env.get("CELERY_TASK_DEFAULT_QUEUE"),
                            self.env.get("NEWSLETTER_CELERY_QUEUE"),
                        )
                        if q
                    )
                ),
            ]
        env = {**self.env, "TEST_WORKER_PARENT_PID": str(os.getpid())}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.celery_worker",
                "-A",
                "coalition",
                "worker",
                "-l",
                "INFO",
                "-n",
                hostname,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *queues,
                *self.args,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited early; see {self.log_path}")
            replies = app.control.ping(destination=[hostname], timeout=0.5)
            if replies:
                return self
        self.stop()
        raise RuntimeError(f"celery worker did not come up in {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole worker process group, as an out-of-memory killer or a power cut would."""
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def purge_queues() -> None:
    from coalition.celery import app

    with app.connection_for_write() as conn:
        app.control.purge(connection=conn)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, smtp_server):
    """A real worker (prefork, 2 processes) for the session, reading the test database.

    Tests using it need committed data: mark them ``@pytest.mark.django_db(transaction=True)``.
    """
    with django_db_blocker.unblock():
        env = worker_env(smtp=smtp_server)
    purge_queues()
    worker = WorkerProcess(env, ["-P", "prefork", "-c", "2"], name="session").start()
    yield worker
    worker.stop()


@pytest.fixture
def worker(celery_worker, mailbox):
    """The session's worker with an empty mailbox; the usual way for a test to ask for one."""
    return celery_worker
