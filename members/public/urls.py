"""Public pages: the member directory and the commitments tracker. See members/urls.py."""

from django.urls import path

from members.public import views as public_views

urlpatterns = [
    path("members/", public_views.member_directory, name="public_members"),
    path("commitments/", public_views.commitments_tracker, name="public_commitments"),
    path(
        "commitments/commitments.csv",
        public_views.commitments_download,
        {"fmt": "csv"},
        name="public_commitments_csv",
    ),
    path(
        "commitments/commitments.json",
        public_views.commitments_download,
        {"fmt": "json"},
        name="public_commitments_json",
    ),
]
