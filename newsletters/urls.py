"""Public and staff pages of this app (the API lives in api.py)."""

from django.urls import include, path

from newsletters import views

app_name = "newsletters"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.subscribe_thanks, name="subscribe-thanks"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscription/preferences/<str:token>/", views.preferences, name="preferences"),
    path("subscription/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Provider webhooks (bounces, complaints): /anymail/<esp>/tracking/, HTTP basic auth.
    path("anymail/", include("anymail.urls")),
]
