from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from coalition.site import dashboard_views, views

# API paths no route matches answer JSON; see the view.
handler404 = "coalition.site.views.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="staff_search"),
    path("healthz/", lambda request: HttpResponse("ok", content_type="text/plain"), name="healthz"),
    path("admin/", admin.site.urls),
    path("dashboard/", dashboard_views.dashboard_view, name="dashboard"),
    path("api/v1/", include("coalition.site.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="coalition/redoc.html"),
        name="api-redoc",
    ),
    path("", include("members.urls")),
    path("", include("newsletters.urls")),
    path("", include("campaigns.urls")),
]
