"""The embedded default: with no DATABASE_URL/REDIS_URL/EMAIL_URL the product runs on its own.

Run in child processes with a clean environment: SQLite (in a temporary directory instead of var/),
tasks run in-process, email written to files. Migrate, load the demo, then the admin and the API
docs answer, and a queued email lands in the mail directory without any worker.
"""

import os
import subprocess
import sys

from tests.conftest import ROOT

_SESSION_VARS = (
    "DJANGO_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DEBUG",
    "EMAIL_FILE_PATH",
)

PROBE = r"""
import re
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from io import StringIO

from coalition.outbox.services import email_queue
from coalition.models import OutboundEmail
from members.models import Organisation

assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3", settings.DATABASES
assert settings.CELERY_TASK_ALWAYS_EAGER is True
assert settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"

client = Client()
print("login page", client.get("/admin/login/").status_code)
print("api docs", client.get("/api/docs/").status_code)
print("api schema", client.get("/api/schema/").status_code)

out = StringIO()
call_command("demo_staff_login", stdout=out)
username, password = re.search(r"Staff login: (\S+) / (\S+)", out.getvalue()).groups()
assert client.login(username=username, password=password)
denmark = Organisation.objects.get(kind="country", country="DK")
page = client.get(f"/admin/members/organisation/{denmark.pk}/change/")
print("denmark page", page.status_code, "Timeline" in page.content.decode())

with transaction.atomic():
    email = email_queue(
        kind="smoke.test", to="someone@example.org", template="generic",
        context={"subject": "Embedded default", "body": "Sent without a worker."},
    )
email.refresh_from_db()
print("email", email.status)

# An import on SQLite takes the bulk path (no PostgreSQL-only SQL, so no row-by-row fallback): one new
# record, one existing record updated, each with its history record.
import logging
from members.imports.services import import_run

class Fallbacks(logging.Handler):
    seen = 0
    def emit(self, record):
        Fallbacks.seen += 1

logging.getLogger("members.imports.resources").addHandler(Fallbacks(level=logging.WARNING))
company = Organisation.objects.exclude(kind="country").exclude(website="").first()
content = (
    "name,kind,website,description\n"
    f"Aalborg Removals,company,https://aalborgremovals.example.org,New\n"
    f"{company.name},{company.kind},{company.website},Updated by an import\n"
).encode()
outcome = import_run(resource="organisations", content=content, fmt="csv", mode="overwrite")
company.refresh_from_db()
print("import", outcome.created, outcome.updated, outcome.error_rows, Fallbacks.seen, company.description)
print("import history", company.history.filter(history_type="~").count(),
      Organisation.history.filter(name="Aalborg Removals", history_type="+").count())
"""


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_the_embedded_default_migrates_loads_the_demo_and_serves_the_admin_and_api_docs(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in _SESSION_VARS}
    # Still the embedded engine (SQLite), only in a temporary file rather than var/db.sqlite3.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["EMAIL_FILE_PATH"] = str(tmp_path / "mail")

    _manage("migrate", "--noinput", env=env)
    loaded = _manage("load_demo", env=env)
    assert "Demo data loaded (profile gone" in loaded.stdout
    probe = _manage("shell", "-c", PROBE, env=env).stdout

    assert "login page 200" in probe
    assert "api docs 200" in probe
    assert "api schema 200" in probe
    assert "denmark page 200 True" in probe
    assert "email sent" in probe
    assert "import 1 1 0 0 Updated by an import" in probe
    assert "import history 1 1" in probe
    # The migrations of this round go back and forth on SQLite too.
    _manage("migrate", "members", "0019", env=env)
    _manage("migrate", env=env)
    mail_files = list((tmp_path / "mail").iterdir())
    assert len(mail_files) == 1
    assert "Sent without a worker." in mail_files[0].read_text()
