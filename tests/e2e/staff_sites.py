"""The two backends a staff journey runs on, behind one small interface.

- ``PostgresSite``: the live test server on PostgreSQL, a real Celery worker, the loopback SMTP sink.
- ``EmbeddedSite``: ``manage.py runserver`` in a child process on a temporary SQLite file with no
  REDIS_URL or EMAIL_URL (tasks in-process, email written to files), and ``manage.py run_schedule``
  beside it, exactly as ``make run`` starts them.

``run(code)`` runs Python (Django set up) against the site's database and returns what it printed;
``messages()`` returns every email the site sent, as ``email.message.Message`` objects.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.embedded import embedded_env, manage

STAFF_USERNAME, STAFF_PASSWORD = "staffer", "correct-horse-battery-staple-7"
CREATE_STAFF = f"""
from django.contrib.auth import get_user_model
User = get_user_model()
if not User.objects.filter(username="{STAFF_USERNAME}").exists():
    User.objects.create_superuser("{STAFF_USERNAME}", "staffer@secretariat.example.org", "{STAFF_PASSWORD}")
"""


class PostgresSite:
    name = "postgresql"

    def __init__(self, live_server, mailbox) -> None:
        from django.conf import settings

        self.url = live_server.url
        # A deployment sets SITE_URL; the worker builds links from it (not from the live server's port).
        self.link_base = settings.SITE_URL
        self.mailbox = mailbox
        self.run(CREATE_STAFF)

    def run(self, code: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<journey setup>", "exec"), {})  # noqa: S102 - test code we wrote
        return out.getvalue()

    def messages(self) -> list:
        with self.mailbox.lock:
            return list(self.mailbox.messages)


class EmbeddedSite:
    name = "embedded"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.link_base = self.url  # no SITE_URL: links follow the host and port served on
        # As scripts/serve.sh: HOST and PORT make the emailed links point here.
        self.env = embedded_env(
            tmp,
            HOST="127.0.0.1",
            PORT=str(self.port),
            SHARED_CACHE_DIR=str(tmp / "cache"),
            PYTHONUNBUFFERED="1",
        )
        manage("migrate", "--noinput", env=self.env)
        self.run(CREATE_STAFF)
        self.procs: list[subprocess.Popen] = []
        self._start("runserver", f"127.0.0.1:{self.port}", "--noreload")
        self._start("run_schedule")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz/", timeout=2)  # noqa: S310 - loopback
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the embedded server did not start; see {tmp}/runserver.log")

    def _start(self, *args: str) -> None:
        log = (self.tmp / f"{args[0]}.log").open("ab")
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def run(self, code: str) -> str:
        return manage("shell", "-c", code, env=self.env).stdout

    def messages(self) -> list:
        folder = self.tmp / "mail"
        if not folder.exists():
            return []
        found = []
        separator = "\n" + "-" * 79 + "\n"
        for path in sorted(folder.iterdir()):
            for chunk in path.read_text().split(separator):
                if chunk.strip():
                    found.append(email.message_from_string(chunk.lstrip("\n"), policy=email.policy.default))
        return found


def wait_for_messages(site, predicate, count: int, timeout: float = 90.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in site.messages() if predicate(m)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def body_text(message) -> str:
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    return part.get_content()


def log_in(page, site) -> None:
    page.goto(f"{site.url}/admin/login/")
    page.fill("[name=username]", STAFF_USERNAME)
    page.fill("[name=password]", STAFF_PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/admin/")


# UPDATE_DOCS_SCREENSHOTS=1 refreshes the README's screenshots (docs/screenshots/, 1,280 px, small PNGs).
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"


def docs_screenshot(page, name: str) -> None:
    if not os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
        return
    from PIL import Image

    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    path = DOCS_SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    # A 64-colour palette keeps each image small enough to commit.
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
