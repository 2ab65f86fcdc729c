"""Public pages of this app (the API lives in api.py): answering an event invitation."""

from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("events/rsvp/<str:token>/", views.rsvp, name="rsvp"),
]
