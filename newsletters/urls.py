"""Public pages of this app, under the language prefixes (the API lives in api.py, the provider's
webhook in webhook_urls.py)."""

from django.urls import path

from newsletters import views

app_name = "newsletters"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.subscribe_thanks, name="subscribe-thanks"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscription/preferences/<str:token>/", views.preferences, name="preferences"),
    path("subscription/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
