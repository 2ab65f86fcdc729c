"""The configured email provider's tracking webhook (bounces, complaints), outside the language prefixes:
/anymail/<esp>/tracking/, HTTP basic auth."""

from anymail import urls as anymail_urls
from django.conf import settings
from django.urls import include, path

app_name = "newsletters_webhooks"


def _tracking_webhooks() -> list:
    """Only ``NEWSLETTER_TRACKING_ESP``'s tracking URL: anymail's other providers' views are not configured
    here and answered every request with a 500."""
    esp = settings.NEWSLETTER_TRACKING_ESP
    names = {f"{esp}_tracking_webhook", f"{esp}_webhook"}
    return [pattern for pattern in anymail_urls.urlpatterns if pattern.name in names]


urlpatterns = [
    path("anymail/", include((_tracking_webhooks(), "anymail"))),
]
