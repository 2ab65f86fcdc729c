from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The top floor: home, staff search page, dashboard and the demo loader, which read every app."""

    name = "coalition.site"
    label = "coalition_site"
    verbose_name = "Site"

    def ready(self) -> None:
        from django.contrib import admin

        # The admin's index is the dashboard (UNFOLD["DASHBOARD_CALLBACK"] fills in its figures).
        admin.site.index_template = "coalition/dashboard.html"
