"""Admin for the shared outbox: a read-only record of transactional email, with "send again" for failures."""

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from coalition.forms import ReadOnlyRecords
from coalition.models import OutboundEmail
from coalition.outbox import services


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyRecords, ModelAdmin):
    # The outbox is written by the code that sends email; staff look, and may only ask for a resend.
    list_display = ("created_at", "kind", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("to", "subject", "kind", "dedupe_key")
    date_hierarchy = "created_at"
    actions = ("send_again",)
    fields = (
        "kind",
        "to",
        "reply_to",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "dedupe_key",
        "headers",
        "body_text",
        "body_html",
    )
    readonly_fields = fields

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("coalition.change_outboundemail")

    @admin.action(description="Send the selected failed emails again", permissions=["resend"])
    def send_again(self, request: HttpRequest, queryset) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        queued = services.outbox_resend(email_ids=selected)
        skipped = len(selected) - queued
        message = f"{queued} failed email(s) queued to be sent again."
        if skipped:
            message += f" {skipped} skipped: only failed emails are sent again."
        self.message_user(request, message)
