from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The top floor: home, staff search page, dashboard and the demo loader, which read every app."""

    name = "coalition.site"
    label = "coalition_site"
    verbose_name = "Site"
