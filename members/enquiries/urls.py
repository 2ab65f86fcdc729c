"""The public join form and the applicant's status page (namespace ``join``)."""

from django.urls import path

from members.enquiries import views as join_views

app_name = "join"

urlpatterns = [
    path("join/", join_views.join, name="form"),
    path("join/thanks/", join_views.thanks, name="thanks"),
    path("join/status/<str:token>/", join_views.status, name="status"),
]
