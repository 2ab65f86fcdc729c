"""Staff pages for spreadsheet imports."""

from django.urls import path

from members.imports import views

urlpatterns = [
    path("staff/imports/", views.import_start, name="imports"),
    path("staff/imports/<int:pk>/", views.import_job_detail, name="imports-job"),
    path("staff/imports/<int:pk>/confirm/", views.import_job_confirm, name="imports-job-confirm"),
    path("staff/imports/<int:pk>/revert/", views.import_job_revert, name="imports-job-revert"),
    path("staff/imports/<int:pk>/status.json", views.import_job_status, name="imports-job-status"),
    path("staff/imports/<int:pk>/errors.csv", views.import_job_errors_csv, name="imports-job-errors"),
]
