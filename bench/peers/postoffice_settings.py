"""The smallest Django project that runs django-post-office for bench/compare_send.py.

It runs in its own virtualenv (bench/.venv-peers) against its own database, and sends through
Django's SMTP backend to the benchmark's sink. Everything else is the library's defaults: 5 threads per
process, batches of 100, one log row per message (``LOG_LEVEL`` 2).
"""

import os
from urllib.parse import urlsplit

_db = urlsplit(os.environ["PEERS_DATABASE_URL"])

SECRET_KEY = "bench-only-not-secret"  # noqa: S105 - a throwaway benchmark project
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "post_office"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db.path.lstrip("/"),
        "HOST": _db.hostname or "127.0.0.1",
        "PORT": _db.port or 5432,
        "USER": _db.username or "postgres",
        "PASSWORD": _db.password or "",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMAIL_BACKEND = "post_office.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("SINK_PORT", "25"))
EMAIL_TIMEOUT = 20
POST_OFFICE = {
    "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
