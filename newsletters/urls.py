"""Public and staff pages of this app (the API lives in api.py)."""

from anymail import urls as anymail_urls
from django.conf import settings
from django.urls import include, path

from newsletters import views

app_name = "newsletters"


def _tracking_webhooks() -> list:
    """Only ``NEWSLETTER_TRACKING_ESP``'s tracking URL: anymail's other providers' views are not configured
    here and answered every request with a 500."""
    esp = settings.NEWSLETTER_TRACKING_ESP
    names = {f"{esp}_tracking_webhook", f"{esp}_webhook"}
    return [pattern for pattern in anymail_urls.urlpatterns if pattern.name in names]


urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.subscribe_thanks, name="subscribe-thanks"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscription/preferences/<str:token>/", views.preferences, name="preferences"),
    path("subscription/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # The configured provider's webhook (bounces, complaints): /anymail/<esp>/tracking/, HTTP basic auth.
    path("anymail/", include((_tracking_webhooks(), "anymail"))),
]
