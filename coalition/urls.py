from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from coalition import health
from coalition.site import dashboard_views, views


def _swagger_ui_view():
    """The API docs with their script in a file of their own (no inline script under the CSP), allowed to
    load Swagger UI's assets from where SWAGGER_UI_DIST says."""
    view = SpectacularSwaggerSplitView.as_view(url_name="api-schema")
    dist = str(spectacular_settings.SWAGGER_UI_DIST)
    if not dist.startswith(("http://", "https://")):
        return view
    origin = "/".join(dist.split("/")[:3])
    return csp_update({"script-src": [origin], "style-src": [origin], "img-src": [origin]})(view)


# API paths no route matches answer JSON; see the view.
handler404 = "coalition.site.views.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="staff_search"),
    path("healthz/", health.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("dashboard/", dashboard_views.dashboard_view, name="dashboard"),
    path("api/v1/", include("coalition.site.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", _swagger_ui_view(), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="coalition/redoc.html"),
        name="api-redoc",
    ),
    path("", include("members.urls")),
    path("", include("newsletters.urls")),
    path("", include("campaigns.urls")),
]
