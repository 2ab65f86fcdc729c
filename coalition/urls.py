from csp.decorators import csp_update
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from coalition import health, i18n
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
    path("search/", views.search, name="staff_search"),
    # The language switcher: stores the choice in the language cookie (Django's set_language at
    # /i18n/setlang/ does the same from a POST form).
    path("i18n/switch/<str:code>/", i18n.language_switch, name="language_switch"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico whatever the page says; the icon is a static SVG.
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("coalition/favicon.svg"))),
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
    path("", include("members.urls")),  # staff pages of members (imports, duplicates, climate data)
    path("", include("newsletters.webhook_urls")),  # the email provider's tracking webhook
]

# Public pages: English at /join/, French at /fr/join/, Spanish at /es/join/ (coalition/i18n.py).
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("", include("members.enquiries.urls")),  # the join form and enquiry status pages
    path("", include("members.public.urls")),  # member directory and commitments tracker
    path("", include("newsletters.urls")),
    path("", include("campaigns.urls")),
    prefix_default_language=False,
)
