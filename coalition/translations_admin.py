"""Admin forms for reference data the public reads in its language (a tier's name, a topic's name and
description): one box per other language instead of a JSON mapping to type by hand.

The model keeps the translations in a JSON field (``name_translations = {"fr": "…", "es": "…"}``) read by
its ``<field>_in(language)`` method; ``translations_form`` builds a model form whose declared fields
``<json field>_<code>`` (French, Spanish, … from ``settings.LANGUAGES``) fill that mapping. An empty box
means "no translation": the public side then shows the English text.
"""

from django import forms
from django.conf import settings
from django.db import models
from unfold.widgets import UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget


def other_languages() -> list[tuple[str, str]]:
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def translation_field_names(translated: dict[str, str]) -> list[str]:
    """The form's boxes, in order: for each JSON field, one per other language (for ``fieldsets``)."""
    return [f"{json_name}_{code}" for json_name in translated for code, _name in other_languages()]


def translations_form(
    model: type[models.Model], translated: dict[str, str], *, base: type[forms.ModelForm] = forms.ModelForm
) -> type[forms.ModelForm]:
    """A model form for ``model`` (built on ``base``, e.g. a form that asks a service to validate) where
    ``translated`` maps each JSON field to the field it translates."""
    declared: dict[str, forms.Field] = {}
    for json_name, source in translated.items():
        source_field = model._meta.get_field(source)
        long_text = isinstance(source_field, models.TextField) or (source_field.max_length or 0) > 120
        for code, language in other_languages():
            declared[f"{json_name}_{code}"] = forms.CharField(
                label=f"{str(source_field.verbose_name).capitalize()} ({language})",
                required=False,
                max_length=source_field.max_length,
                widget=UnfoldAdminTextareaWidget(attrs={"rows": 2})
                if long_text
                else UnfoldAdminTextInputWidget(),
                help_text=f"Shown to readers of {language}; leave empty to show the English text.",
            )

    def __init__(self, *args, **kwargs):
        base.__init__(self, *args, **kwargs)
        for json_name in translated:
            stored = getattr(self.instance, json_name, None) or {}
            for code, _language in other_languages():
                self.initial.setdefault(f"{json_name}_{code}", stored.get(code, ""))

    def clean(self):
        cleaned = base.clean(self)
        for json_name in translated:
            # Languages the site no longer offers are kept: removing one from LANGUAGES loses no text.
            mapping = {
                code: text
                for code, text in (getattr(self.instance, json_name, None) or {}).items()
                if code not in dict(other_languages())
            }
            for code, _language in other_languages():
                text = (cleaned.get(f"{json_name}_{code}") or "").strip()
                if text:
                    mapping[code] = text
            setattr(self.instance, json_name, mapping)
        return cleaned

    meta = type("Meta", (), {"model": model, "exclude": list(translated)})
    return type(
        f"{model.__name__}TranslationsForm",
        (base,),
        {**declared, "Meta": meta, "__init__": __init__, "clean": clean},
    )


class TranslationsAdminMixin:
    """For a ModelAdmin whose ``form`` is a ``translations_form``: the boxes in a section of their own."""

    translated: dict[str, str] = {}

    def get_fieldsets(self, request, obj=None):
        if self.fieldsets:
            return super().get_fieldsets(request, obj)
        boxes = translation_field_names(self.translated)
        fields = [name for name in self.get_fields(request, obj) if name not in boxes]
        return [(None, {"fields": fields}), ("In other languages", {"fields": boxes})]
