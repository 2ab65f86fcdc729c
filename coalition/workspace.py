"""The staff workspace's frame: which paths are staff pages, and what they need from the CSP.

The staff pages (the admin and the custom tools: dashboard, search, imports, duplicates, climate data)
all render inside django-unfold's chrome, whose navigation is built in ``coalition.site.workspace``.
"""

from django.http import HttpRequest

# Paths of the staff pages outside the admin; they extend the admin's base template.
STAFF_PAGE_PREFIXES = ("/dashboard/", "/search/", "/staff/")
ADMIN_PREFIX = "/admin/"


def is_staff_page(path: str) -> bool:
    return path.startswith(STAFF_PAGE_PREFIXES)


class StaffWorkspaceCSPMiddleware:
    """Lets unfold's Alpine.js evaluate its attribute expressions on staff pages only.

    Alpine's standard build compiles ``x-data``/``x-on`` expressions with ``new Function``, which the
    CSP allows only with ``'unsafe-eval'``; unfold's templates rely on it (its menus, tabs and sidebar).
    Scripts still have to come from this site or carry the nonce, so an injected ``<script>`` never runs;
    the public pages keep the strict policy. Sits after ``csp.middleware.CSPMiddleware`` in MIDDLEWARE,
    which reads ``response._csp_update`` on the way out.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if request.path.startswith(ADMIN_PREFIX) or is_staff_page(request.path):
            update = dict(getattr(response, "_csp_update", None) or {})
            update["script-src"] = [*update.get("script-src", []), "'unsafe-eval'"]
            response._csp_update = update
        return response
