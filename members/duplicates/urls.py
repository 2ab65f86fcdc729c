"""Staff pages for duplicate records and merging."""

from django.urls import path

from members.duplicates import views

urlpatterns = [
    path("staff/duplicates/", views.duplicates_list, name="duplicates"),
    path("staff/duplicates/merge/", views.organisations_merge_view, name="duplicates-merge"),
    path("staff/duplicates/merges/", views.merges_list, name="duplicates-merges"),
    path(
        "staff/duplicates/merges/<int:pk>/undo/",
        views.organisations_merge_undo_view,
        name="duplicates-merge-undo",
    ),
]
