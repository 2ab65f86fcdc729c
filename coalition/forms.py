"""Form helpers shared by the apps' admin and staff pages."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import InlineForeignKeyField


class ServiceModelForm(forms.ModelForm):
    """A model form that validates with the check of the service that will save it, so a rule has one home.

    ``service_validate`` names the service's check: a function taking the unsaved instance and raising
    ``ValidationError``. It runs in ``_post_clean`` once the form has built the instance and is otherwise
    valid; its errors land on the fields they name (on the form as a whole when the form lacks the field).
    A model constraint that restates the rule (the database's net) would repeat the message without a
    field, so that repeat is dropped.
    """

    service_validate = None

    def _post_clean(self):
        super()._post_clean()
        # Read from the class: a plain function stored on it must not be bound to the form.
        validate = type(self).service_validate
        if validate is None or any(name != NON_FIELD_ERRORS for name in self._errors):
            return
        try:
            validate(self.instance)
        except ValidationError as exc:
            self._update_errors(self._on_form_fields(exc))
            self._drop_restated_errors()

    def _on_form_fields(self, exc: ValidationError) -> ValidationError:
        if not hasattr(exc, "error_dict"):
            return exc
        errors: dict[str, list[ValidationError]] = {}
        for name, messages in exc.error_dict.items():
            field = self.fields.get(name)
            if isinstance(field, InlineForeignKeyField):
                continue  # the parent row is saved first; the service checks the link when it saves
            errors.setdefault(name if field is not None else NON_FIELD_ERRORS, []).extend(messages)
        return ValidationError(errors)

    def _drop_restated_errors(self) -> None:
        named = {m for name, errors in self._errors.items() if name != NON_FIELD_ERRORS for m in errors}
        general = self._errors.get(NON_FIELD_ERRORS)
        if not general:
            return
        kept = [error for error in general.as_data() if not set(error.messages) <= named]
        if kept:
            self._errors[NON_FIELD_ERRORS] = self.error_class(
                kept, error_class="nonfield", renderer=self.renderer
            )
        else:
            del self._errors[NON_FIELD_ERRORS]
