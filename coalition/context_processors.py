from django.conf import settings

from coalition.workspace import is_staff_page


def coalition(request):
    return {
        "COALITION_NAME": settings.COALITION_NAME,
        "COALITION_SHORT_NAME": settings.COALITION_SHORT_NAME,
        "COALITION_ADDRESS": settings.COALITION_ADDRESS,
    }


def staff_workspace(request):
    """The admin's context (navigation, site title, search) on the staff pages outside the admin, so
    they render inside the same chrome (``members/staff_base.html`` extends the admin's base)."""
    if not is_staff_page(request.path) or not getattr(request, "user", None) or not request.user.is_staff:
        return {}
    from django.contrib import admin

    return admin.site.each_context(request)
