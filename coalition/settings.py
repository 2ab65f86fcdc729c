"""Coalition CRM settings, read from the environment.

With no variables set this runs the embedded default: a SQLite file under ``var/``, Celery tasks run
in-process, email written to files under ``var/mail/``. ``DATABASE_URL``, ``REDIS_URL`` and
``EMAIL_URL`` switch to PostgreSQL, Redis (broker and cache, with real workers) and SMTP.
``DJANGO_ENV=production`` refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    # No fallbacks in production: a missing value must stop the process, not weaken it.
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs SECRET_KEY (50+ random characters, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs ALLOWED_HOSTS: the host names the site answers to, "
            "comma-separated (e.g. ALLOWED_HOSTS=crm.example.org)."
        )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production-0123456789")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")

# The address people reach the site at; used to build absolute links in emails. In production it
# defaults to HTTPS on the first allowed host; otherwise to the host and port `make run` serves on
# (scripts/serve.sh exports HOST and PORT), so links work whatever port was chosen.
_SERVE_HOST = env.str("HOST", default="127.0.0.1")
_SERVE_HOST = "127.0.0.1" if _SERVE_HOST in {"", "0.0.0.0", "::"} else _SERVE_HOST  # noqa: S104 - links, not a bind
SITE_URL = env.str(
    "SITE_URL",
    default=(
        f"https://{ALLOWED_HOSTS[0].lstrip('.')}"
        if PRODUCTION
        else f"http://{_SERVE_HOST}:{env.int('PORT', default=8000)}"
    ),
).rstrip("/")
COALITION_NAME = env.str("COALITION_NAME", default="Group of Negative Emitters")
COALITION_SHORT_NAME = env.str("COALITION_SHORT_NAME", default="GONE")
COALITION_ADDRESS = env.str(
    "COALITION_ADDRESS", default="Secretariat, Asiatisk Plads 2, 1448 Copenhagen, Denmark"
)
# Where notifications for the secretariat go (new enquiries, reminders without an assignee).
SECRETARIAT_EMAIL = env.str("SECRETARIAT_EMAIL", default="secretariat@example.org")
# Dues: the invoice number sequence (its prefix), days to pay, and the VAT/tax note printed on invoices.
INVOICE_SEQUENCE = env.str("INVOICE_SEQUENCE", default="INV")
INVOICE_DUE_DAYS = env.int("INVOICE_DUE_DAYS", default=30)
INVOICE_TAX_NOTE = env.str(
    "INVOICE_TAX_NOTE", default="Membership dues of a non-profit association: outside the scope of VAT."
)

INSTALLED_APPS = [
    # The staff workspace (django-unfold): before django.contrib.admin so its templates win.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma: figures grouped the way each language writes them
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc assets, served locally
    "django_countries",
    "django_celery_beat",
    "simple_history",
    "import_export",
    "anymail",
    "axes",
    "csp",
    "coalition",
    "members",
    "campaigns",
    "newsletters",
    "coalition.site",  # the top floor: reads every app above
]

MIDDLEWARE = [
    # Outermost: a database outage anywhere below answers 503 + Retry-After, never a 500.
    "coalition.middleware.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "coalition.workspace.StaffWorkspaceCSPMiddleware",  # unfold's Alpine.js on staff pages only
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: from the URL prefix on public pages; coalition.i18n sends a first visit to the
    # visitor's language and lets staff pick theirs.
    "django.middleware.locale.LocaleMiddleware",
    "coalition.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "coalition.request_guards.RejectNulMiddleware",
    "coalition.middleware.ApiInUtcMiddleware",  # the API in UTC whatever TIME_ZONE says
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coalition.urls"
WSGI_APPLICATION = "coalition.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps: our few overrides of unfold's own templates (the sidebar's search box).
        "DIRS": [BASE_DIR / "coalition" / "workspace_templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coalition.context_processors.coalition",
                "coalition.context_processors.staff_workspace",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# Persistent connections: opening one costs 17–30 ms a request (issue 17's A/B); the health check makes a
# connection the server dropped (restart, idle timeout) reconnect instead of failing the next request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis"))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default: the web server and the in-process scheduler are two processes writing one file.
    # A transaction takes the write lock when it begins (IMMEDIATE), so a second writer waits its turn (up
    # to ``timeout`` seconds) instead of failing at once with "database is locked", which SQLite answers a
    # transaction that read first and then wants to write while another holds the lock. WAL lets reads go
    # on while a write is under way.
    _sqlite = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite.setdefault("timeout", 20)
    _sqlite.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache -------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A dead Redis must not hang a request: throttles fail open quickly (see coalition.throttles).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CACHES["shared"] = CACHES["default"]
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Seen by every process on this machine: the scheduler's heartbeat (coalition.scheduler).
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env.str("SHARED_CACHE_DIR", default=str(VAR_DIR / "cache")),
        },
    }
    CELERY_BROKER_URL = "memory://"
    # Embedded default: tasks run in-process when they are queued (after commit).
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = False

# Embedded default only: long tasks a web request must not run inline (a newsletter's batches: minutes
# of sending). They are left to ``manage.py run_schedule``, woken at once to run these entries, which pick
# the work up from its rows (coalition/queueing.py, coalition/scheduler.py).
EMBEDDED_SCHEDULER_TASKS = frozenset({"newsletters.tasks.send_batch_task"})
EMBEDDED_SCHEDULER_ENTRIES = frozenset({"newsletters-sweep"})

CELERY_TIMEZONE = "UTC"
# The queue tasks go to unless they name their own. Test runs set a queue of their own per run, so a
# worker left over from another run never takes their tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
# Tasks are idempotent, so a task lost with its worker is run again rather than dropped.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# An unacknowledged task is redelivered after this many seconds; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# Fail fast when the broker is down: the database row is the record of pending work and a
# periodic sweep queues it again (coalition.outbox.tasks.outbox_sweep).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # A sweep not started within its minute is dropped: the next one does its work (no pile-up while the
    # workers are busy or the SMTP server hangs).
    "outbox-sweep": {"task": "coalition.tasks.outbox_sweep", "schedule": 60.0, "options": {"expires": 55}},
    # Tells pages that depend on scheduled work that a scheduler is alive (coalition.scheduler).
    "scheduler-heartbeat": {"task": "coalition.tasks.scheduler_heartbeat", "schedule": 60.0},
    "memberships-recompute-statuses": {
        "task": "members.tasks.memberships_recompute_statuses_task",
        "schedule": crontab(hour=2, minute=15),
    },
    "enquiry-reminders": {
        "task": "members.tasks.enquiry_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # The typo-correction words of staff search follow renames, merges and bulk loads (members.search).
    "search-words-rebuild": {
        "task": "members.tasks.search_words_rebuild_task",
        "schedule": crontab(hour=3, minute=10),
    },
    # A merge can be undone for MERGE_UNDO_DAYS; then its copies of the rows it deleted are dropped.
    "organisation-merges-forget": {
        "task": "members.tasks.organisation_merges_forget_task",
        "schedule": crontab(hour=3, minute=40),
    },
    "renewal-reminders": {
        "task": "members.dues.tasks.renewal_reminders_task",
        "schedule": crontab(hour=7, minute=30),
    },
    # The dashboard's whole-table figures, recomputed so no staff member waits for them (coalition.site).
    "dashboard-summaries-refresh": {
        "task": "coalition.site.tasks.dashboard_summaries_refresh_task",
        "schedule": 600.0,
    },
}

# How long a merge of two organisations can be undone (members.duplicates): after that, the copies of the
# rows it deleted (a folded contact's details among them) are dropped by a nightly task.
MERGE_UNDO_DAYS = env.int("MERGE_UNDO_DAYS", default=90)

# --- Climate data (members.climate) ----------------------------------------------------------------------
# Where the Net Zero Tracker download and the UNFCCC NDC registry list are fetched from every week. Empty:
# no scheduled refresh (import the files by hand: manage.py import_tracker / import_ndcs).
NET_ZERO_TRACKER_URL = env.str("NET_ZERO_TRACKER_URL", default="")
NDC_REGISTRY_URL = env.str("NDC_REGISTRY_URL", default="")
if NET_ZERO_TRACKER_URL or NDC_REGISTRY_URL:
    CELERY_BEAT_SCHEDULE["climate-data-refresh"] = {
        "task": "members.climate.tasks.climate_data_refresh_task",
        "schedule": crontab(day_of_week="mon", hour=5, minute=30),
    }

# --- Email ---------------------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
    if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":  # noqa: F821 - set just above
        # The same backend, waiting longer for the reply to a message's end (coalition/smtp.py).
        EMAIL_BACKEND = "coalition.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{COALITION_NAME} <no-reply@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# A temporary SMTP refusal (4xx, a lost connection) is retried after this many seconds, doubling at each
# attempt (at most an hour); see coalition/smtp.py.
SMTP_RETRY_BACKOFF = env.float("SMTP_RETRY_BACKOFF", default=30.0)
# How long a newsletter waits for the server's reply to a message's final dot (it may scan the message
# first; RFC 5321 allows ten minutes). Kept inside the batch task's time limits (newsletters/tasks.py).
SMTP_DATA_END_TIMEOUT = env.int("SMTP_DATA_END_TIMEOUT", default=300)

# --- Auth, i18n, static ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login protection (django-axes, see coalition.login_protection): failures counted per username and client
# address; after AXES_FAILURE_LIMIT that pair is locked out for AXES_COOLOFF_MINUTES, and admins are emailed.
AUTHENTICATION_BACKENDS = [
    "coalition.login_protection.LoginProtectionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "coalition.throttles.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "coalition/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "/admin/"  # the admin index is the dashboard (unfold's login form carries no "next")

# Public pages, emails and newsletters speak these; English is the default and has no URL prefix
# (/fr/…, /es/… for the others, see coalition/urls.py and coalition/i18n.py). The staff side stays in
# English unless a staff member picks another language (the language cookie, see coalition.i18n).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The secretariat's time zone: pages and forms show and take dates in it; the database and the API keep
# UTC (USE_TZ). `make run` (scripts/serve.sh) sets Europe/Copenhagen for the demo; UTC otherwise.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
    raise ImproperlyConfigured(
        f"TIME_ZONE {TIME_ZONE!r} is not a time zone name (e.g. Europe/Copenhagen)."
    ) from error
USE_I18N = True
USE_TZ = True
# A record's history in the admin is there to read: changes go through the change form and its service.
SIMPLE_HISTORY_REVERT_DISABLED = True
# Day-month-year (coalition/formats: en and en_GB): 27/11/2026, 27 November 2026, 27 Nov 2026, 14:05;
# French and Spanish use Django's own formats for their locale.
FORMAT_MODULE_PATH = ["coalition.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# How many proxies we run in front of the app (each appends to X-Forwarded-For). 0: none, the client is
# REMOTE_ADDR and X-Forwarded-For is ignored (anyone can write it). See coalition.throttles.client_ip.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured(f"NUM_PROXIES must be 0 or more, not {NUM_PROXIES}.")

# --- API -----------------------------------------------------------------------------------------------
# Largest JSON body the public POSTs (applications, subscriptions) accept; staff endpoints take up to
# DATA_UPLOAD_MAX_MEMORY_SIZE. Both refuse JSON nested deeper than a real request (coalition.request_guards).
PUBLIC_JSON_MAX_BYTES = env.int("PUBLIC_JSON_MAX_BYTES", default=65536)
REST_FRAMEWORK = {
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_PARSER_CLASSES": [
        "coalition.request_guards.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["coalition.permissions.StaffModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "coalition.filters.FilterBackend",
        "coalition.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "coalition.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "coalition.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        # Public endpoints only; staff endpoints are not throttled.
        "enquiries": env.str("THROTTLE_ENQUIRIES", default="5/hour"),
        "subscriptions": env.str("THROTTLE_SUBSCRIPTIONS", default="10/hour"),
        "public": env.str("THROTTLE_PUBLIC", default="60/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    # The docs pages load their scripts from our static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Coalition CRM API",
    "DESCRIPTION": "Members, commitments, enquiries, campaigns and newsletters of a climate coalition.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation declares the Accept-Language header it honours (coalition.i18n); enums as before.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "coalition.api.schema_declare_language",
    ],
    # One name per choice set, so the schema validates without warnings.
    "ENUM_NAME_OVERRIDES": {
        # One enum for every language field (preferred_language, a version's or a test's language).
        "LanguageEnum": LANGUAGES,
        "OrganisationKindEnum": "members.models.Organisation.Kind",
        "CommitmentKindEnum": "members.models.Commitment.Kind",
        "EngagementKindEnum": "members.models.Engagement.Kind",
        "MembershipStatusEnum": "members.models.Membership.Status",
        "CommitmentStatusEnum": "members.models.Commitment.Status",
        "CommitmentUsageEnum": "members.models.Commitment.Usage",
        "CommitmentPlanEnum": "members.models.Commitment.Plan",
        "EnquiryStatusEnum": "members.models.Enquiry.Status",
        "CountryCodeEnum": "django_countries.countries",
        # Three fields are named "role": the event participant's keeps the name it had before the others.
        "RoleEnum": "campaigns.models.EventParticipant.Role",
        "AffiliationRoleEnum": "members.models.Affiliation.Role",
        "FocalPointRoleEnum": "members.affiliations.serializers.FOCAL_POINT_ROLE_CHOICES",
    },
}

# --- Staff workspace (django-unfold) -------------------------------------------------------------------
# One navigation for every staff page (coalition.site.workspace builds it per user); the custom staff
# pages extend the admin's base template, so they share it. Assets come from our static files (no CDN).
UNFOLD = {
    "SITE_TITLE": COALITION_NAME,
    "SITE_HEADER": COALITION_NAME,
    "SITE_SUBHEADER": "Secretariat workspace",
    "SITE_URL": "/",
    "SITE_SYMBOL": "diversity_3",
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": lambda request: static("coalition/favicon.svg")},
    ],
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": True,
    "SHOW_BACK_BUTTON": False,
    "DASHBOARD_CALLBACK": "coalition.site.dashboard_views.admin_index_callback",
    "STYLES": [lambda request: static("coalition/workspace.css")],
    "SCRIPTS": [lambda request: static("coalition/workspace.js")],
    "COLORS": {
        "primary": {
            "50": "oklch(97.9% .021 166.113)",
            "100": "oklch(95% .052 163.051)",
            "200": "oklch(90.5% .093 164.15)",
            "300": "oklch(84.5% .143 164.978)",
            "400": "oklch(76.5% .177 163.223)",
            "500": "oklch(69.6% .17 162.48)",
            "600": "oklch(52% .13 162.48)",
            "700": "oklch(45% .11 163.225)",
            "800": "oklch(40% .09 164.15)",
            "900": "oklch(37.8% .077 168.94)",
            "950": "oklch(26.2% .051 172.552)",
        },
    },
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": "coalition.site.workspace.is_secretariat_admin",
        "navigation": "coalition.site.workspace.sidebar_navigation",
    },
}

# --- Content-Security-Policy (django-csp) on every response ------------------------------------------
# Scripts only from this site or with the request's nonce (<script nonce="{{ request.csp_nonce }}">): an
# injected script never runs. Styles may be inline (style="" attributes in charts and the admin).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Import / export -----------------------------------------------------------------------------------
# Every export escapes cells a spreadsheet would run as formulas: the admin exports use the formats of
# coalition.exports, whose rule (OWASP's) replaces import-export's own "drop a leading =".
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- Membership enquiries ------------------------------------------------------------------------------
# Open enquiries untouched for more than this many days are in the assignee's (or secretariat's) digest.
ENQUIRY_REMINDER_DAYS = env.int("ENQUIRY_REMINDER_DAYS", default=5)
# How long the status link in an applicant's emails keeps working.
ENQUIRY_STATUS_LINK_MAX_AGE_DAYS = env.int("ENQUIRY_STATUS_LINK_MAX_AGE_DAYS", default=180)
# Who hears of new enquiries: addresses and/or staff groups as "group:<name>" (comma-separated).
ENQUIRY_SECRETARIAT_RECIPIENTS = env.list("ENQUIRY_SECRETARIAT_RECIPIENTS", default=[SECRETARIAT_EMAIL])

# Minimum seconds between rendering a public form and its submission (bots are faster).
SPAM_MIN_FORM_SECONDS = env.float("SPAM_MIN_FORM_SECONDS", default=3.0)

# --- Production hardening ------------------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS])
    # Behind SSL redirect, the load balancer's health check must still answer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Newsletters -----------------------------------------------------------------------------------------
# Messages per second across ALL workers (a token bucket in Redis), whatever the number of workers.
NEWSLETTER_RATE_LIMIT = env.float("NEWSLETTER_RATE_LIMIT", default=20.0)
# Deliveries per batch task, and per claim (the claim is the most a killed worker can leave in doubt).
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=500)
NEWSLETTER_CLAIM_SIZE = env.int("NEWSLETTER_CLAIM_SIZE", default=100)
# Sent rows are marked in groups of up to this many (one UPDATE each): sent-but-unmarked plus in-flight
# messages never exceed it, so it is the most a killed worker process can send twice.
NEWSLETTER_MARK_EVERY = env.int("NEWSLETTER_MARK_EVERY", default=50)
# SMTP connections each batch task keeps open, one thread each, so round trips overlap.
NEWSLETTER_SMTP_CONNECTIONS = env.int("NEWSLETTER_SMTP_CONNECTIONS", default=4)
# Batches of one newsletter dispatched at once (more only helps with more worker processes).
NEWSLETTER_PARALLEL_BATCHES = env.int("NEWSLETTER_PARALLEL_BATCHES", default=4)
# A claim or batch without progress for this long belongs to a dead worker; the sweep takes it back.
NEWSLETTER_STALE_SECONDS = env.int("NEWSLETTER_STALE_SECONDS", default=600)
# Transient SMTP failures are retried with backoff this many times before a delivery is failed.
NEWSLETTER_MAX_ATTEMPTS = env.int("NEWSLETTER_MAX_ATTEMPTS", default=5)
# This many messages in a row refused with the same reply that is not about their mailbox (a blocklist,
# a quota, throttling, a content policy) is the server speaking of us: the send waits (4xx) or pauses
# (5xx) instead of failing every recipient in turn (newsletters/sending/batches.py).
NEWSLETTER_SAME_REFUSAL_LIMIT = env.int("NEWSLETTER_SAME_REFUSAL_LIMIT", default=10)
# Where the shared send rate lives (default: REDIS_URL). When it is unreachable each worker process
# sends at NEWSLETTER_RATE_LIMIT / NEWSLETTER_EXPECTED_WORKERS until it answers again.
NEWSLETTER_RATE_LIMIT_REDIS_URL = env.str("NEWSLETTER_RATE_LIMIT_REDIS_URL", default=REDIS_URL)
NEWSLETTER_EXPECTED_WORKERS = env.int("NEWSLETTER_EXPECTED_WORKERS", default=2)
# A scheduled newsletter found more than this many seconds late (the scheduler was down) is held for
# staff to send or reschedule rather than sent out of its time.
NEWSLETTER_MAX_LATENESS = env.int("NEWSLETTER_MAX_LATENESS", default=3600)
NEWSLETTER_CONFIRM_MAX_AGE_DAYS = env.int("NEWSLETTER_CONFIRM_MAX_AGE_DAYS", default=7)
# Keep the sign-up IP address in the consent record (off by default: data minimisation).
NEWSLETTER_RECORD_IP = env.bool("NEWSLETTER_RECORD_IP", default=False)
# Soft bounces (mailbox full, temporary failures) before an address is suppressed.
NEWSLETTER_SOFT_BOUNCE_LIMIT = env.int("NEWSLETTER_SOFT_BOUNCE_LIMIT", default=3)
NEWSLETTER_FROM_EMAIL = env.str("NEWSLETTER_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
# The provider whose tracking webhook reports bounces and complaints (django-anymail's ESP name).
NEWSLETTER_TRACKING_ESP = env.str("NEWSLETTER_TRACKING_ESP", default="postmark").lower()
# Anymail webhooks are authenticated with HTTP basic auth "user:password" (set the same in the
# provider's webhook URL: https://user:password@crm.example.org/anymail/postmark/tracking/).
ANYMAIL = {
    "WEBHOOK_SECRET": (
        env.str("ANYMAIL_WEBHOOK_SECRET")
        if PRODUCTION
        else env.str("ANYMAIL_WEBHOOK_SECRET", default="anymail:dev-only-webhook-secret")
    ),
}
CELERY_BEAT_SCHEDULE["newsletters-sweep"] = {
    "task": "newsletters.tasks.newsletters_sweep_task",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["newsletters-progress-update-draft"] = {
    "task": "newsletters.tasks.progress_update_draft_task",
    "schedule": crontab(day_of_month=1, hour=6, minute=30),
}
# Empty: the default queue. Set (and run a worker with -Q <name>) to keep bulk sends off the queue that
# carries transactional email.
NEWSLETTER_CELERY_QUEUE = env.str("NEWSLETTER_CELERY_QUEUE", default="")
