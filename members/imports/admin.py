"""Import jobs, read only, for the Secretariat admin's "System" group: each row links to the job's own
page (preview, progress, confirm, revert), where every change goes through the import services."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from coalition.forms import ReadOnlyRecords
from members.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyRecords, ModelAdmin):
    list_display = (
        "original_name",
        "resource",
        "dry_run",
        "status",
        "error_count",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "resource", "dry_run")
    search_fields = ("original_name", "resource")
    list_select_related = ("created_by",)
    readonly_fields = ("job_page",)
    fields = ("job_page",)

    @admin.display(description=_("Job"))
    def job_page(self, obj: ImportJob) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("imports-job", args=[obj.pk]), _("Open the job's page")
        )
