"""Forms that show a service's rules instead of restating them.

A service is the one home of a rule (``<noun>_validate`` next to ``<noun>_create``/``<noun>_update``); an
admin form or a page form asks it, and its ``ValidationError`` lands on the fields it names.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import InlineForeignKeyField, construct_instance


def form_add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: each message on its field, others on the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        if isinstance(form.fields.get(name), InlineForeignKeyField):
            continue  # an inline row's link to its parent, checked by the service once the parent is saved
        field = name if name in form.fields else None
        if field is None and name != NON_FIELD_ERRORS:
            errors = [f"{name.replace('_', ' ').capitalize()}: {message}" for message in errors]
        form.add_error(field, errors)


def admin_adopt_saved(obj, saved) -> None:
    """Point the admin's unsaved instance at the row a service created, so the admin's own
    follow-up work (many-to-many fields, the log entry, the redirect) applies to that row."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


class ReadOnlyRecords:
    """For an admin (or an inline) of rows that only the code writes: staff look, and never add, change or
    delete them by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DeleteEachThroughService:
    """For an admin whose ``delete_model`` calls a service: the list's "Delete selected" calls it for each
    record as well (Django's own ``delete_queryset`` deletes the rows in one query, past the service).

    What the service refuses to delete, ``delete_blockers`` says in the service's words: the delete page
    (and "Delete selected") lists it as "protected" and offers no button. ``deleted_along`` names models whose
    rows go with a deleted record as the service decides, though staff may not delete them by hand.
    """

    deleted_along: tuple = ()

    def delete_blockers(self, obj) -> list[str]:
        return []

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            protected.extend(blocker for blocker in self.delete_blockers(obj) if blocker)
        for model in self.deleted_along:
            perms_needed.discard(model._meta.verbose_name)
        if protected:
            # Records that stop the deletion are the reason it cannot happen, whoever asks: the page lists
            # them, rather than "your account doesn't have permission to delete … invoice", which sends
            # staff looking for a permission no one is given (invoices are never deleted).
            perms_needed = set()
        return deleted, counts, perms_needed, protected

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


def labelled_cells_form(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """The form of a changelist's editable cells (``list_editable``), each input named for screen readers
    by its column and row ("Public: Removals news"): the admin gives them neither label nor name."""

    class LabelledCellsForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            row = str(self.instance) if self.instance.pk else ""
            for field in self.fields.values():
                if field.label and not field.widget.is_hidden:
                    field.widget.attrs["aria-label"] = f"{field.label}: {row}" if row else str(field.label)

    LabelledCellsForm.__name__ = LabelledCellsForm.__qualname__ = f"Labelled{form_class.__name__}"
    return LabelledCellsForm


class ServiceModelForm(forms.ModelForm):
    """A model form whose rules are the service's.

    Subclasses set ``service_validate`` to the service's check (a ``staticmethod`` taking the unsaved
    instance) or override it as a method. The form
    builds the instance, derives what the model derives (``set_derived_fields``: stored keys, lower-case
    emails), checks each field, then asks the service; the database constraints come last, as the last
    word for anything the service does not word better. So the same rule that guards the service's write
    speaks on the form, with the service's message.
    """

    def service_validate(self, instance) -> None:  # pragma: no cover - overridden
        return None

    def _post_clean(self) -> None:
        exclude = self._get_validation_exclusions()
        exclude |= {name for name, field in self.fields.items() if isinstance(field, InlineForeignKeyField)}
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as exc:
            self._update_errors(exc)
        if hasattr(self.instance, "set_derived_fields"):
            self.instance.set_derived_fields()
        try:
            self.instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            self._update_errors(exc)
        if self.errors:
            return
        try:
            self.service_validate(self.instance)
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as exc:
            form_add_service_errors(self, exc)
            return
        if self._validate_unique:
            self.validate_unique()
