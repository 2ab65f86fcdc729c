"""The API token admin: keys are never listed (a prefix only), a new key is shown once to its owner.

Replaces DRF's ``TokenAdmin``, which lists every key in full to anyone who may view tokens. Any active
staff user may open it to create or revoke their own token; Secretariat admins see everyone's tokens
(by prefix) and may revoke any of them (``coalition.api_tokens``).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy
from unfold.admin import ModelAdmin

from coalition.api_tokens import api_token_can_revoke, api_token_create, api_token_prefix, api_token_revoke
from coalition.forms import DeleteEachThroughService
from coalition.groups import SECRETARIAT_ADMIN


def _sees_all(user) -> bool:
    return user.is_superuser or user.groups.filter(name=SECRETARIAT_ADMIN).exists()


if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)

# Token's own __str__ is the key, and the admin writes an object's str into page titles, breadcrumbs,
# the delete confirmation and the admin log. TokenProxy exists only for the admin, so its str becomes
# the prefix (Token itself is untouched).
TokenProxy.__str__ = lambda self: api_token_prefix(key=self.key)  # type: ignore[method-assign]


@admin.register(TokenProxy)
class ApiTokenAdmin(DeleteEachThroughService, TokenAdmin, ModelAdmin):
    list_display = ("user", "key_prefix", "created")
    fields = ("user", "key_prefix", "created")
    readonly_fields = ("user", "key_prefix", "created")

    @admin.display(description=gettext_lazy("Key"))
    def key_prefix(self, obj) -> str:
        return api_token_prefix(key=obj.key)

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request).select_related("user")
        return queryset if _sees_all(request.user) else queryset.filter(user=request.user)

    def _staff(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if not self._staff(request):
            return False
        return obj is None or obj.user_id == request.user.pk or _sees_all(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return self._staff(request)
        return api_token_can_revoke(token=obj, by=request.user)

    def delete_model(self, request: HttpRequest, obj) -> None:
        api_token_revoke(token=obj, by=request.user)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        """Create a token for the signed-in user only, and show its key this once (never stored in a
        message or cookie)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Create an API token"),
            "has_token": TokenProxy.objects.filter(user=request.user).exists(),
        }
        if request.method == "POST":
            token = api_token_create(user=request.user)
            context.update(title=_("Your new API token"), key=token.key)
            response = TemplateResponse(request, "admin/api_tokens/created.html", context)
            response["Cache-Control"] = "no-store"
            return response
        return TemplateResponse(request, "admin/api_tokens/create.html", context)

    def response_delete(self, request: HttpRequest, obj_display, obj_id) -> HttpResponse:
        messages.success(request, _("The API token was revoked."))
        return HttpResponseRedirect(reverse("admin:authtoken_tokenproxy_changelist"))
