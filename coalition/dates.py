"""The secretariat's calendar.

``TIME_ZONE`` is the secretariat's zone, but the API runs each request in UTC
(``coalition.middleware.ApiInUtcMiddleware``), so ``timezone.localdate()`` would give a different "today"
through the API than through the pages for the hours around midnight: a membership started, a payment
refused as future-dated or an invoice overdue depending on the door. Every rule that needs "today" asks
here.
"""

from datetime import date

from django.utils import timezone


def secretariat_today() -> date:
    """Today in the secretariat's time zone (``TIME_ZONE``), whatever zone the request runs in."""
    return timezone.localdate(timezone=timezone.get_default_timezone())
