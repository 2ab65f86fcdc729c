"""Production mode refuses to start without its secrets, and passes Django's deployment checklist."""

import os
import secrets
import subprocess
import sys

from tests.conftest import ROOT

# Variables that would leak this test session's configuration into the child process.
_SESSION_VARS = (
    "DJANGO_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
)


def _manage(*args: str, tmp_path, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _SESSION_VARS}
    # A throwaway SQLite file, so the check never touches the developer's var/db.sqlite3.
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _secret() -> str:
    return secrets.token_urlsafe(50)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", tmp_path=tmp_path, DJANGO_ENV="production", ALLOWED_HOSTS="crm.example.org")
    assert result.returncode != 0
    assert "needs SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = _manage("check", tmp_path=tmp_path, DJANGO_ENV="production", SECRET_KEY=_secret())
    assert result.returncode != 0
    assert "needs ALLOWED_HOSTS" in result.stderr


def test_an_empty_secret_key_counts_as_missing_in_production(tmp_path):
    result = _manage(
        "check", tmp_path=tmp_path, DJANGO_ENV="production", SECRET_KEY="", ALLOWED_HOSTS="crm.example.org"
    )
    assert result.returncode != 0
    assert "needs SECRET_KEY" in result.stderr


def test_an_unknown_environment_name_is_refused(tmp_path):
    result = _manage("check", tmp_path=tmp_path, DJANGO_ENV="prod")
    assert result.returncode != 0
    assert "DJANGO_ENV must be development, test or production" in result.stderr


def test_the_deployment_checklist_passes_with_only_the_required_production_variables(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DJANGO_ENV="production",
        SECRET_KEY=_secret(),
        ANYMAIL_WEBHOOK_SECRET="postmark:" + _secret(),
        ALLOWED_HOSTS="crm.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deployment_checklist_passes_with_a_full_production_configuration(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DJANGO_ENV="production",
        SECRET_KEY=_secret(),
        ANYMAIL_WEBHOOK_SECRET="postmark:" + _secret(),
        ALLOWED_HOSTS="crm.example.org,www.crm.example.org",
        SITE_URL="https://crm.example.org",
        DATABASE_URL="postgres://coalition:secret@db.internal:5432/coalition",
        REDIS_URL="redis://redis.internal:6379/0",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.org:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_debug_with_a_clear_message(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        tmp_path=tmp_path,
        DJANGO_ENV="production",
        DEBUG="1",
        SECRET_KEY=_secret(),
        ANYMAIL_WEBHOOK_SECRET="postmark:" + _secret(),
        ALLOWED_HOSTS="crm.example.org",
    )
    assert result.returncode != 0
    assert "coalition.E002" in result.stderr and "DEBUG is on with DJANGO_ENV=production" in result.stderr


def test_production_links_default_to_https_on_the_first_allowed_host(tmp_path):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SITE_URL, settings.SECURE_SSL_REDIRECT, "
        "settings.SESSION_COOKIE_SECURE, settings.DEBUG)",
        tmp_path=tmp_path,
        DJANGO_ENV="production",
        SECRET_KEY=_secret(),
        ANYMAIL_WEBHOOK_SECRET="postmark:" + _secret(),
        ALLOWED_HOSTS="crm.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["https://crm.example.org", "True", "True", "False"]


def test_a_plain_http_site_url_in_production_is_reported(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        tmp_path=tmp_path,
        DJANGO_ENV="production",
        SECRET_KEY=_secret(),
        ANYMAIL_WEBHOOK_SECRET="postmark:" + _secret(),
        ALLOWED_HOSTS="crm.example.org",
        SITE_URL="http://crm.example.org",
    )
    assert "coalition.W001" in result.stdout + result.stderr


def test_the_time_zone_comes_from_the_environment_and_utc_is_the_default(tmp_path):
    code = "from django.conf import settings; print(settings.TIME_ZONE, settings.USE_TZ)"
    assert _manage("shell", "-c", code, tmp_path=tmp_path).stdout.split()[-2:] == ["UTC", "True"]
    copenhagen = _manage("shell", "-c", code, tmp_path=tmp_path, TIME_ZONE="Europe/Copenhagen")
    assert copenhagen.stdout.split()[-2:] == ["Europe/Copenhagen", "True"]


def test_an_unknown_time_zone_is_refused_with_a_clear_message(tmp_path):
    result = _manage("check", tmp_path=tmp_path, TIME_ZONE="Europe/Atlantis")
    assert result.returncode != 0 and "TIME_ZONE 'Europe/Atlantis' is not a time zone name" in result.stderr


def test_an_smtp_email_url_selects_the_backend_that_waits_for_the_final_dots_reply(tmp_path):
    code = (
        "from django.conf import settings; from django.core.mail import get_connection; "
        "c = get_connection(); print(settings.EMAIL_BACKEND, c.connection_class.__name__, c.host, c.use_tls)"
    )
    out = _manage("shell", "-c", code, tmp_path=tmp_path, EMAIL_URL="smtp+tls://u:p@smtp.example.org:587")
    assert out.stdout.split()[-4:] == [
        "coalition.smtp.EmailBackend",
        "_PatientSMTP",
        "smtp.example.org",
        "True",
    ]
