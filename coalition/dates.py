"""The secretariat's calendar.

``TIME_ZONE`` is the secretariat's zone, but the API runs each request in UTC
(``coalition.middleware.ApiInUtcMiddleware``), so ``timezone.localdate()`` would give a different "today"
through the API than through the pages for the hours around midnight: a membership started, a payment
refused as future-dated or an invoice overdue depending on the door. Every rule that needs "today" asks
here.
"""

from datetime import date, datetime

from django.utils import timezone


def secretariat_today() -> date:
    """Today in the secretariat's time zone (``TIME_ZONE``), whatever zone the request runs in."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def secretariat_localtime(value: datetime) -> datetime:
    """``value`` in the secretariat's time zone, whatever zone the request runs in: for a time that a
    service writes into a message (the API's and the pages' messages then say the same)."""
    return timezone.localtime(value, timezone=timezone.get_default_timezone())


def secretariat_date(value: datetime) -> date:
    """The secretariat's date of the moment ``value``."""
    return secretariat_localtime(value).date()
