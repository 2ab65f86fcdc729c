from django.urls import include, path

urlpatterns = [
    path("", include("members.join_urls")),  # public join form and enquiry status pages
    path("", include("members.public_urls")),  # member directory and commitments tracker
    path("", include("members.tool_urls")),  # staff imports and duplicates
]
