"""On the embedded default the web server and the in-process scheduler are two processes writing one SQLite
file. A staff member's write that meets the scheduler's (an outbox sweep, a summary refresh) waits its turn:
it never fails with "database is locked" (which the site answers with 503, losing the staff member's click).

Two real processes on a real SQLite file: one holds a write transaction for a moment; the other, meanwhile,
reads and then writes in one transaction — the shape of an admin action — and reads outside one.
"""

import subprocess
import sys
import time

from tests.conftest import ROOT
from tests.embedded import embedded_env, manage

HOLDER = """
import sys, time
from django.db import transaction
from newsletters.models import Topic
with transaction.atomic():
    Topic.objects.create(slug="held", name="Held")
    print("holding", flush=True)
    time.sleep(3)
print("released", flush=True)
"""

SECOND_WRITER = """
import time
from django.db import transaction
from newsletters.models import Topic
started = time.monotonic()
print("read outside a transaction:", Topic.objects.filter(slug="progress-updates").count(), flush=True)
with transaction.atomic():
    before = Topic.objects.count()
    Topic.objects.create(slug="second", name="Second")
waited = time.monotonic() - started
print(f"wrote after {waited:.1f} s; topics before: {before}", flush=True)
"""


def _shell(code: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    env = embedded_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    holder = _shell(HOLDER, env)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        second = _shell(SECOND_WRITER, env)
        output, _ = second.communicate(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        holder.wait(timeout=60)
    assert second.returncode == 0, output
    assert "database is locked" not in output
    assert "read outside a transaction: 1" in output
    # The second write waited for the first transaction to end (it held the lock for 3 s).
    assert "wrote after" in output and elapsed >= 1.5, output
    result = manage(
        "shell",
        "-c",
        "from newsletters.models import Topic; print(sorted(Topic.objects.values_list('slug', flat=True)))",
        env=env,
    )
    assert "'held'" in result.stdout and "'second'" in result.stdout
