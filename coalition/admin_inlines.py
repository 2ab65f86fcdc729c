"""Inline classes for the admin (unfold's), with a label on every cell's input.

Unfold's tabular inline shows each column's label once, in the table head, so the inputs in its rows have
no label of their own and screen readers announce them as unnamed (axe-core: "Form elements must have
labels"). Every widget gets the field's label as ``aria-label``.
"""

from unfold.admin import StackedInline
from unfold.admin import TabularInline as UnfoldTabularInline

__all__ = ["StackedInline", "TabularInline"]


class TabularInline(UnfoldTabularInline):
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for name, field in formset.form.base_fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # inside the related-object wrapper
            widget.attrs.setdefault("aria-label", str(field.label or name))
        return formset
