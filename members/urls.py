"""Staff pages of members. The public ones (join, status, directory, tracker) are included by
coalition/urls.py under the language prefixes."""

from django.urls import include, path

urlpatterns = [
    path("", include("members.imports.urls")),  # staff spreadsheet imports
    path("", include("members.duplicates.urls")),  # staff duplicates and merge
    path("", include("members.climate.urls")),  # tracker and NDC imports, column mapping, discrepancies
]
