"""Staff tool pages: spreadsheet imports and duplicate records."""

from django.urls import include, path

from . import duplicate_views, import_views

urlpatterns = [
    path("staff/imports/", import_views.import_start, name="imports"),
    path("staff/imports/<int:pk>/", import_views.import_job_detail, name="imports-job"),
    path("staff/imports/<int:pk>/confirm/", import_views.import_job_confirm, name="imports-job-confirm"),
    path("staff/imports/<int:pk>/status.json", import_views.import_job_status, name="imports-job-status"),
    path("staff/imports/<int:pk>/errors.csv", import_views.import_job_errors_csv, name="imports-job-errors"),
    path("staff/duplicates/", duplicate_views.duplicates_list, name="duplicates"),
    path("staff/duplicates/merge/", duplicate_views.organisations_merge_view, name="duplicates-merge"),
    path("", include("members.climate.urls")),  # tracker and NDC imports, column mapping, discrepancies
]
