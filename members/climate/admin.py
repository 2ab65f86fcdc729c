"""Admin for NDC submissions and discrepancies (read and resolve; imports write them), and the integrity
fieldset of the commitment form (members.admin)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin

from members.admin_export import CoalitionExportMixin
from members.climate import discrepancies
from members.climate.integrity import CRITERIA
from members.models import Commitment, Discrepancy, NdcSubmission

CLIMATE_INTEGRITY_FIELDS = Commitment.INTEGRITY_FIELDS[:-2]  # status date and source identifier: "Source"
CLIMATE_INTEGRITY_HELP = gettext_lazy(
    "The Net Zero Tracker's integrity indicators. Carbon credits are “Uses offsets” and planning removals "
    "“Uses removals” above. The integrity summary counts these criteria: "
) + "; ".join(f"{label}: {explanation}" for _key, label, explanation in CRITERIA)


@admin.register(NdcSubmission)
class NdcSubmissionAdmin(CoalitionExportMixin, ModelAdmin):
    list_display = ("party", "title", "round", "status", "submitted_on", "language", "net_negative_flagged")
    list_filter = ("round", "status", "net_negative_flagged")
    search_fields = ("party", "party_code", "title")
    list_select_related = ("organisation",)
    readonly_fields = [f.name for f in NdcSubmission._meta.fields]

    def has_add_permission(self, request):
        return False  # the registry list is imported (manage.py import_ndcs, or the climate import page)

    def has_delete_permission(self, request, obj=None):
        # The rows mirror the UNFCCC registry: one deleted here comes back with the next import, its
        # net-negative flag raised again even when staff had cleared it. A withdrawn document is archived in
        # the registry, and the import marks it so.
        return False


@admin.register(Discrepancy)
class DiscrepancyAdmin(CoalitionExportMixin, ModelAdmin):
    list_display = ("summary", "status", "created_at", "resolved_by")
    list_filter = ("status", "source")
    search_fields = ("organisation__name", "summary")
    list_select_related = ("organisation", "resolved_by")
    readonly_fields = [f.name for f in Discrepancy._meta.fields]
    actions = ("accept", "keep_ours")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A discrepancy is decided, not deleted: "keep ours" is remembered by its row (the next tracker import
        # would raise a deleted one again), and an accepted one records why the commitment changed.
        return False

    def _resolve(self, request, queryset, service) -> None:
        done = 0
        for discrepancy in queryset.filter(status=Discrepancy.Status.OPEN):
            try:
                service(discrepancy=discrepancy, by=request.user, reason=_("Resolved in the admin."))
                done += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        self.message_user(request, _("%d discrepancies resolved.") % done)

    @admin.action(description=gettext_lazy("Accept the source's values"), permissions=["change"])
    def accept(self, request, queryset):
        self._resolve(request, queryset, discrepancies.discrepancy_accept)

    @admin.action(description=gettext_lazy("Keep ours"), permissions=["change"])
    def keep_ours(self, request, queryset):
        self._resolve(request, queryset, discrepancies.discrepancy_keep)
