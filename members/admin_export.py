"""Export of any filtered admin list as CSV or XLSX, for the admin classes to mix in.

``CoalitionExportMixin`` adds an "Export" button to the changelist that exports exactly the rows the list
shows (its search, filters and ordering), and an "Export selected" action. Anyone who may view the model
may export it. Columns come from the model's importable resource (``members.imports.services``) when there is
one, so an exported sheet can be edited and imported back; other models get every concrete field.
"""

from import_export.admin import ExportActionMixin
from import_export.resources import modelresource_factory
from unfold.contrib.import_export.forms import ExportForm

from coalition.exports import CSV, XLSX
from members.imports.services import importable_for_model


class CoalitionExportMixin(ExportActionMixin):
    formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    export_form_class = ExportForm  # unfold's widgets on the export page

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_export_queryset(self, request):
        # Resources render related records (a contact's organisation): fetch them with the rows.
        related = [f.name for f in self.model._meta.concrete_fields if f.many_to_one]
        return super().get_export_queryset(request).select_related(*related)

    def get_export_resource_classes(self, request):
        if self.resource_classes:
            return list(self.resource_classes)
        importable = importable_for_model(self.model)
        if importable is not None:
            return [importable.resource_class]
        return [modelresource_factory(self.model)]
