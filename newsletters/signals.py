"""The adapter between django-anymail's tracking webhook and ``subscriptions.bounce_record``.

It only translates the provider's event into our three kinds; the suppression rule is in the service.
"""

import logging

from anymail.signals import EventType, tracking
from django.conf import settings
from django.dispatch import receiver

from newsletters.models import BounceEvent
from newsletters.subscriptions import services as subscriptions

log = logging.getLogger(__name__)

# Provider bounce types that mean "try again later" (a full mailbox, a DNS hiccup), by provider.
_SOFT_TYPES = {
    "postmark": {"SoftBounce", "Transient", "DnsError", "AutoResponder"},
}


def _kind(event, esp_name: str) -> str | None:
    if event.event_type == EventType.COMPLAINED:
        return BounceEvent.Kind.COMPLAINT
    if event.event_type == EventType.DEFERRED:
        return BounceEvent.Kind.SOFT_BOUNCE
    if event.event_type == EventType.BOUNCED:
        raw = event.esp_event if isinstance(event.esp_event, dict) else {}
        if raw.get("Type") in _SOFT_TYPES.get(esp_name.lower(), set()) or raw.get("severity") == "temporary":
            return BounceEvent.Kind.SOFT_BOUNCE
        return BounceEvent.Kind.HARD_BOUNCE
    return None


@receiver(tracking, dispatch_uid="newsletters.tracking")
def on_tracking(sender, event, esp_name: str, **kwargs) -> None:
    if esp_name.lower() != settings.NEWSLETTER_TRACKING_ESP:
        log.warning(
            "tracking event from %s ignored: NEWSLETTER_TRACKING_ESP is %s",
            esp_name,
            settings.NEWSLETTER_TRACKING_ESP,
        )
        return
    kind = _kind(event, esp_name)
    if kind is None or not event.recipient:
        return
    subscriptions.bounce_record(
        email=event.recipient,
        kind=kind,
        provider=esp_name.lower(),
        event_id=f"{esp_name.lower()}:{event.event_id}" if event.event_id else None,
        occurred_at=event.timestamp,
        description=" ".join(filter(None, [event.description, event.mta_response]))[:2000],
    )
