"""Run code on the embedded default (SQLite in a temporary file, tasks in-process, email to files) in a
child process, so a test on PostgreSQL can also prove the same job works without any server."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

# Variables of the test session that would point the child at PostgreSQL, Redis or SMTP.
SESSION_VARS = (
    "DJANGO_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DEBUG",
    "EMAIL_FILE_PATH",
    "PORT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
)


def embedded_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SESSION_VARS}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["EMAIL_FILE_PATH"] = str(tmp_path / "mail")
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result
