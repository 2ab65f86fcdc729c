from django.urls import include, path

urlpatterns = [
    path("", include("members.enquiries.urls")),  # public join form and enquiry status pages
    path("", include("members.public.urls")),  # member directory and commitments tracker
    path("", include("members.imports.urls")),  # staff spreadsheet imports
    path("", include("members.duplicates.urls")),  # staff duplicates and merge
    path("", include("members.climate.urls")),  # tracker and NDC imports, column mapping, discrepancies
]
