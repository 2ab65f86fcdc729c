"""Admin for affiliations (registered from ``members/admin.py``) and the organisation page's relationships.

Saving goes through the services: a new affiliation through ``affiliation_create``, a correction through
``affiliation_update``; ending one is an action that calls ``affiliation_end``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from coalition.forms import DeleteEachThroughService
from members.admin_export import CoalitionExportMixin
from members.affiliations import selectors, services
from members.models import Affiliation, Organisation


def organisation_relationships(*, organisation: Organisation) -> dict:
    """What the organisation page shows of its relationships: parent, children, people now and before."""
    return {
        "relationships": {
            "parent": organisation.parent,
            "children": list(selectors.organisation_children(organisation=organisation)),
            "people": selectors.organisation_people(organisation=organisation),
        }
    }


class OrganisationForm(forms.ModelForm):
    """The organisation page's form shows the service's rules (a parent that would make a loop, a second
    record for a country) as field errors."""

    def clean(self):
        from members.services import organisation_validate

        cleaned = super().clean()
        candidate = self.instance
        for name in ("kind", "country", "parent"):
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        try:
            organisation_validate(organisation=candidate)
        except ValidationError as exc:
            for field, messages_ in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages_)
        return cleaned


class AffiliationForm(forms.ModelForm):
    class Meta:
        model = Affiliation
        fields = ("contact", "organisation", "role", "job_title", "start_on", "end_on", "is_primary")

    def clean(self):
        cleaned = super().clean()
        candidate = self.instance
        for name, value in cleaned.items():
            setattr(candidate, name, value)
        try:
            services.affiliation_validate(affiliation=candidate)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict) from exc
        return cleaned


@admin.register(Affiliation)
class AffiliationAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = AffiliationForm
    list_display = ("contact", "organisation", "role", "job_title", "start_on", "end_on", "is_primary")
    list_filter = ("role", "is_primary", ("end_on", admin.EmptyFieldListFilter))
    search_fields = ("contact__name", "contact__email", "organisation__name", "job_title")
    autocomplete_fields = ("contact", "organisation")
    list_select_related = ("contact", "organisation")
    date_hierarchy = "start_on"
    actions = ("end_today",)

    def get_readonly_fields(self, request, obj=None):
        # The person, organisation and primary flag change through a move, not by editing.
        return ("contact", "organisation", "is_primary") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.affiliation_update(
                affiliation=obj,
                by=request.user,
                **{k: data[k] for k in ("role", "job_title", "start_on", "end_on") if k in data},
            )
        else:
            saved = services.affiliation_create(by=request.user, **data)
        obj.pk = saved.pk

    def delete_blockers(self, obj) -> list[str]:
        return [services.affiliation_delete_blocker(affiliation=obj)]

    def delete_model(self, request, obj):
        services.affiliation_delete(affiliation=obj, by=request.user)

    @admin.action(description=_("End the selected affiliations today"), permissions=["change"])
    def end_today(self, request, queryset) -> None:
        ended = 0
        for affiliation in queryset.filter(end_on__isnull=True):
            services.affiliation_end(affiliation=affiliation, by=request.user)
            ended += 1
        self.message_user(request, _("%d affiliation(s) ended.") % ended, messages.SUCCESS)
