from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions


class StaffModelPermissions(DjangoModelPermissions):
    """Django model permissions for staff users; reading needs the model's view permission too."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        return super().has_permission(request, view)


class ActionPermission(StaffModelPermissions):
    """Model permissions, and for each state-changing extra action of a viewset the permission naming it.

    The viewset declares them: ``action_permissions = {"add_targets": "campaigns.add_target"}`` (a name or
    a tuple of names). An extra action that changes state and has no entry is refused, so a new action
    cannot ship unguarded; reads and the standard create/update/delete keep ``StaffModelPermissions``.
    """

    def has_permission(self, request, view) -> bool:
        action = getattr(view, "action", None)
        needed = getattr(view, "action_permissions", {}).get(action)
        if needed is None:
            extra_actions = getattr(type(view), "get_extra_actions", list)()
            extra = {method.__name__ for method in extra_actions}
            if action in extra and request.method not in SAFE_METHODS:
                return False
            return super().has_permission(request, view)
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        return user.has_perms((needed,) if isinstance(needed, str) else needed)
