"""The organisation profile's Subscriptions tab (hook ``organisation_profile``): the organisation's people
who subscribe to updates, with their status and topics. Read only."""

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from newsletters.models import Subscriber


def organisation_profile_subscriptions(*, organisation, request) -> list[dict]:
    subscribers = list(
        Subscriber.objects.filter(contact__organisation=organisation)
        .select_related("contact")
        .prefetch_related("topics")
        .order_by("email")
    )
    html = render_to_string(
        "newsletters/staff/organisation_profile_tab.html", {"subscribers": subscribers}, request=request
    )
    return [{"slug": "subscriptions", "title": _("Subscriptions"), "count": len(subscribers), "html": html}]
