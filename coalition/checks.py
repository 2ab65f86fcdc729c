"""System checks for configuration mistakes that would otherwise surface as lost email or odd links."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def coalition_settings_check(app_configs, **kwargs):
    problems = []
    if not settings.SITE_URL.startswith(("http://", "https://")):
        problems.append(
            Error(
                "SITE_URL must start with http:// or https://",
                hint="Set SITE_URL=https://crm.example.org",
                id="coalition.E001",
            )
        )
    if settings.PRODUCTION and not settings.SITE_URL.startswith("https://"):
        problems.append(
            Warning(
                "SITE_URL is not HTTPS in production; unsubscribe and status links will be insecure.",
                id="coalition.W001",
            )
        )
    if settings.PRODUCTION and settings.DEBUG:
        problems.append(
            Error(
                "DEBUG is on with DJANGO_ENV=production: error pages would show settings, code and data "
                "to anyone.",
                hint="Remove DEBUG from the environment (or set DEBUG=0): production defaults to off.",
                id="coalition.E002",
            )
        )
    return problems
