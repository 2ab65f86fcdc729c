"""Configuration mistakes that would break unsubscribe links or the send pipeline."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def newsletters_settings_check(app_configs, **kwargs):
    problems = []
    if settings.NEWSLETTER_RATE_LIMIT < 0:
        problems.append(
            Error("NEWSLETTER_RATE_LIMIT must be 0 (no limit) or positive.", id="newsletters.E001")
        )
    if settings.NEWSLETTER_CLAIM_SIZE < 1 or settings.NEWSLETTER_BATCH_SIZE < settings.NEWSLETTER_CLAIM_SIZE:
        problems.append(
            Error(
                "NEWSLETTER_CLAIM_SIZE must be at least 1 and at most NEWSLETTER_BATCH_SIZE.",
                id="newsletters.E002",
            )
        )
    if not 1 <= settings.NEWSLETTER_SMTP_CONNECTIONS <= 32 or settings.NEWSLETTER_MARK_EVERY < 1:
        problems.append(
            Error(
                "NEWSLETTER_SMTP_CONNECTIONS must be between 1 and 32, NEWSLETTER_MARK_EVERY at least 1.",
                id="newsletters.E003",
            )
        )
    if settings.PRODUCTION and not settings.SITE_URL.startswith("https://"):
        problems.append(
            Warning(
                "SITE_URL is not HTTPS: RFC 8058 one-click unsubscribe needs an HTTPS List-Unsubscribe URL, "
                "and large mailbox providers ignore the header otherwise.",
                id="newsletters.W001",
            )
        )
    return problems
