"""Admin for secretariat staff: organisations with their people, memberships, commitments and history.

Writes that have a service go through it (so hooks run and rules hold in one place): new memberships
through ``membership_start``, commitments through ``commitment_create``/``commitment_update``, new
engagements through ``engagement_create``. Changelists annotate or join what they display, so a page
of 100 rows costs the same few queries as a page of 5.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django_countries.filters import CountryFilter
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin

from coalition.admin_inlines import TabularInline
from coalition.exceptions import InvalidTransition
from coalition.forms import DeleteEachThroughService, ServiceModelForm, admin_adopt_saved
from coalition.pagination import EstimatedCountPaginator
from coalition.translations_admin import TranslationsAdminMixin, translations_form
from members import services
from members.admin_export import CoalitionExportMixin
from members.affiliations import admin as affiliations_admin  # noqa: F401  registers affiliations
from members.affiliations import selectors as affiliations_selectors
from members.climate import selectors as climate_selectors
from members.climate.admin import CLIMATE_INTEGRITY_FIELDS, CLIMATE_INTEGRITY_HELP  # and their admin
from members.dues import admin as dues_admin  # noqa: F401  registers invoices and payments
from members.enquiries import admin as enquiry_admin  # noqa: F401  registers the enquiry pipeline admin
from members.imports import admin as imports_admin  # noqa: F401  registers import jobs (read only)
from members.models import (
    Commitment,
    Contact,
    Discrepancy,
    Engagement,
    Membership,
    MembershipTier,
    Organisation,
)
from members.profile import organisation_profile_context
from members.selectors import organisation_timeline
from members.services import commitment_create, commitment_update, engagement_create, membership_start

# How many timeline entries the organisation page shows; the full record stays in each object's history.
TIMELINE_LIMIT = 200


def _model_fields(obj, *, exclude: tuple[str, ...]) -> dict[str, Any]:
    """The editable column values of an unsaved instance, to hand to a ``*_create`` service."""
    return {
        f.name: getattr(obj, f.name)
        for f in obj._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in exclude
    }


# --- List filters ----------------------------------------------------------------------------------------


class HistoryAdmin(SimpleHistoryAdmin):
    """A record's history, to read. Changes go through the change form and its service: the history's
    "Revert" (off: ``SIMPLE_HISTORY_REVERT_DISABLED``) put back only what the form edits and said it had
    reverted the rest (a membership's status). A history address that names no record is a 404."""

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None and not _history_of_deleted(
            self.model, object_id
        ):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def _history_of_deleted(model, object_id: str) -> bool:
    """Whether ``object_id`` is a deleted record's, whose history is still shown."""
    try:
        return model.history.filter(**{model._meta.pk.attname: int(unquote(object_id))}).exists()
    except (TypeError, ValueError):
        return False


class AllCountriesFilter(CountryFilter):
    """django-countries' filter offering every country, not only those present: finding those present takes a
    ``DISTINCT`` over the whole (joined) table on every changelist view, a sequential scan at 100,000 rows."""

    def lookup_choices(self, changelist):
        yield from self.field.get_choices(include_blank=False)


class CurrentMembershipStatusFilter(admin.SimpleListFilter):
    title = "current membership status"
    parameter_name = "membership_status"

    def lookups(self, request, model_admin):
        return [
            ("good_standing", "In good standing (active or grace)"),
            *((s.value, s.label) for s in Membership.CURRENT_STATUSES),
            ("none", "No current membership"),
        ]

    def queryset(self, request, queryset):
        # The organisation's denormalised, indexed copy of its membership's status (current, else latest).
        value = self.value()
        if value == "good_standing":
            return queryset.in_good_standing()
        if value == "none":
            return queryset.exclude(membership_status__in=Membership.CURRENT_STATUSES)
        if value:
            return queryset.filter(membership_status=value)
        return queryset


class CurrentTierFilter(admin.SimpleListFilter):
    title = "current membership tier"
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        return list(MembershipTier.objects.values_list("pk", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                current_membership__tier_id=self.value(), membership_status__in=Membership.CURRENT_STATUSES
            )
        return queryset


# --- Bulk actions with a small form ----------------------------------------------------------------------


class EngagementActionForm(forms.Form):
    kind = forms.ChoiceField(choices=Engagement.Kind.choices)
    occurred_at = forms.DateTimeField(
        initial=timezone.now, help_text="Date and time, e.g. 2025-11-12 14:00 (UTC)."
    )
    summary = forms.CharField(max_length=300)
    details = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class MembershipActionForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=MembershipTier.objects.all())
    start_date = forms.DateField(initial=timezone.localdate, help_text="e.g. 2025-01-01")


def _action_form_page(
    modeladmin, request: HttpRequest, queryset: QuerySet, *, form, title: str, action: str
) -> TemplateResponse:
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "form": form,
        "queryset": queryset,
        "action": action,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        # Started from a membership's own page: go back there when done.
        "back_to_object": bool(request.POST.get("_back_to_object")),
    }
    return TemplateResponse(request, "admin/members/action_form.html", context)


# --- Inlines on the organisation page --------------------------------------------------------------------


class OrganisationForm(ServiceModelForm):
    def service_validate(self, instance) -> None:
        services.organisation_validate(organisation=instance)


class ContactForm(ServiceModelForm):
    def service_validate(self, instance) -> None:
        if instance.organisation_id:
            services.contact_validate(contact=instance)


class ContactInline(TabularInline):
    model = Contact
    form = ContactForm
    extra = 0
    fields = ("name", "email", "phone", "job_title", "is_primary", "preferred_language")


class MembershipInline(TabularInline):
    """Read-only here: a membership is opened with its own form (which applies the tier's rules)."""

    model = Membership
    extra = 0
    fields = ("tier", "status", "joined_on", "start_date", "end_date", "status_override")
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    ordering = ("-start_date",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tier")


class CommitmentInline(TabularInline):
    model = Commitment
    extra = 0
    fields = ("kind", "title", "target_year", "reduction_percent", "baseline_year", "status", "is_interim")
    show_change_link = True


class EngagementInline(TabularInline):
    model = Engagement
    extra = 0
    fields = ("occurred_at", "kind", "summary")
    show_change_link = True
    ordering = ("-occurred_at",)


# --- Model admins ----------------------------------------------------------------------------------------


def _form_fields(form, allowed) -> dict[str, Any]:
    """The values a staff member submitted for the fields a service accepts."""
    return {
        name: form.cleaned_data[name] for name in form.fields if name in allowed and name in form.cleaned_data
    }


@admin.register(Organisation)
class OrganisationAdmin(DeleteEachThroughService, CoalitionExportMixin, HistoryAdmin, ModelAdmin):
    # A deleted record's discrepancies go with it, though staff never delete one by hand.
    deleted_along = (Discrepancy,)
    form = OrganisationForm
    list_display = (
        "name",
        "kind",
        "country",
        "sector",
        "current_membership_display",
        "website_domain",
        "listed_publicly",
    )
    list_filter = (
        "kind",
        ("country", CountryFilter),
        "sector",
        CurrentMembershipStatusFilter,
        CurrentTierFilter,
        "listed_publicly",
    )
    search_fields = ("name", "website_domain", "contacts__name", "contacts__email")
    readonly_fields = ("website_domain", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "kind", "country", "isin", "sector", "website", "website_domain")}),
        ("Profile", {"fields": ("description", "listed_publicly", "parent", "preferred_language")}),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    inlines = (ContactInline, MembershipInline, CommitmentInline, EngagementInline)
    autocomplete_fields = ("parent",)
    form = affiliations_admin.OrganisationForm
    # The organisation page adds its timeline under the form; exports run from the list instead.
    change_form_template = "admin/members/organisation/change_form.html"
    show_change_form_export = False
    actions = ("record_engagement", "start_membership")
    list_per_page = 50

    list_select_related = ("current_membership__tier",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    @admin.display(description="current membership", ordering="membership_status")
    def current_membership_display(self, obj: Organisation) -> str:
        membership = obj.current_membership
        if membership is None or not membership.is_current:
            return "–"
        return f"{membership.tier} ({membership.get_status_display()})"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        organisation = self.get_object(request, object_id)
        if (
            organisation is not None
            and request.method == "GET"
            and "edit" not in request.GET
            and IS_POPUP_VAR not in request.GET
            and self.has_view_permission(request, organisation)
        ):
            return self.profile_view(request, organisation)
        if organisation is not None:
            extra_context["timeline"] = organisation_timeline(organisation=organisation, limit=TIMELINE_LIMIT)
            extra_context["timeline_limit"] = TIMELINE_LIMIT
            extra_context.update(affiliations_admin.organisation_relationships(organisation=organisation))
            extra_context["climate"] = climate_selectors.organisation_climate(organisation=organisation)
        return super().change_view(request, object_id, form_url, extra_context)

    def profile_view(self, request, organisation: Organisation) -> TemplateResponse:
        """The read-only summary with tabs; the form is one click away ("Edit")."""
        may_act = request.user.has_perm("members.change_membership")
        actions = [(name, label) for name, (label, _, _) in MEMBERSHIP_ACTIONS.items()] if may_act else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": organisation,
            "title": organisation.name,
            "has_change_permission": self.has_change_permission(request, organisation),
            "edit_url": reverse("admin:members_organisation_change", args=[organisation.pk]) + "?edit=1",
            "history_url": reverse("admin:members_organisation_history", args=[organisation.pk]),
            **organisation_profile_context(
                organisation=organisation, request=request, membership_actions=actions
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/members/organisation/profile.html", context)

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        # "Save and continue editing" stays on the form, not the profile.
        if (
            "_continue" in request.POST
            and isinstance(response, HttpResponseRedirect)
            and "edit=" not in response.url
        ):
            response["Location"] = response.url + ("&" if "?" in response.url else "?") + "edit=1"
        return response

    def save_model(self, request, obj, form, change):
        fields = _form_fields(form, services.ORGANISATION_FIELDS)
        if change:
            services.organisation_update(organisation=obj, by=request.user, **fields)
        else:
            admin_adopt_saved(obj, services.organisation_create(by=request.user, **fields))

    def delete_model(self, request, obj):
        services.organisation_delete(organisation=obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is Commitment:
            self._save_commitments(request, form.instance, formset)
        elif formset.model is Engagement:
            self._save_engagements(form.instance, formset)
        elif formset.model is Contact:
            self._save_contacts(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    @staticmethod
    def _save_contacts(request, organisation: Organisation, formset) -> None:
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.contact_delete(contact=obj, by=request.user)
        # Unmarking a primary contact first lets another row of the same form become primary.
        changed = sorted(formset.changed_objects, key=lambda item: item[0].is_primary)
        for obj, _ in changed:
            fields = {name: getattr(obj, name) for name in services.CONTACT_FIELDS - {"organisation"}}
            services.contact_update(contact=obj, by=request.user, **fields)
        for obj in formset.new_objects:
            fields = {name: getattr(obj, name) for name in services.CONTACT_FIELDS - {"organisation", "name"}}
            admin_adopt_saved(
                obj,
                services.contact_create(organisation=organisation, name=obj.name, by=request.user, **fields),
            )

    @staticmethod
    def _save_commitments(request, organisation: Organisation, formset) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.commitment_delete(commitment=obj, by=request.user)
        for obj in instances:
            if obj.pk:
                commitment_update(commitment=obj, by=request.user)
            else:
                fields = _model_fields(obj, exclude=("organisation",))
                saved = commitment_create(organisation=organisation, by=request.user, **fields)
                admin_adopt_saved(obj, saved)
        formset.save_m2m()

    @staticmethod
    def _save_engagements(organisation: Organisation, formset) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.engagement_delete(engagement=obj)
        for obj in instances:
            if obj.pk:
                services.engagement_update(
                    engagement=obj, kind=obj.kind, summary=obj.summary, occurred_at=obj.occurred_at
                )
            else:
                saved = engagement_create(
                    organisation=organisation,
                    kind=obj.kind,
                    summary=obj.summary,
                    occurred_at=obj.occurred_at,
                    details=obj.details,
                )
                admin_adopt_saved(obj, saved)
        formset.save_m2m()

    @admin.action(description="Record an engagement with the selected organisations", permissions=["change"])
    def record_engagement(self, request, queryset) -> HttpResponse | None:
        if "apply" in request.POST:
            form = EngagementActionForm(request.POST)
            if form.is_valid():
                for organisation in queryset:
                    engagement_create(organisation=organisation, staff=[request.user], **form.cleaned_data)
                self.message_user(request, f"Engagement recorded for {queryset.count()} organisation(s).")
                return None
        else:
            form = EngagementActionForm()
        return _action_form_page(
            self,
            request,
            queryset,
            form=form,
            title="Record an engagement",
            action="record_engagement",
        )

    @admin.action(description="Start a membership for the selected organisations", permissions=["change"])
    def start_membership(self, request, queryset) -> HttpResponse | None:
        if "apply" in request.POST:
            form = MembershipActionForm(request.POST)
            if form.is_valid():
                already = set(
                    Membership.objects.filter(
                        organisation__in=queryset, status__in=Membership.CURRENT_STATUSES
                    ).values_list("organisation_id", flat=True)
                )
                started = 0
                for organisation in queryset:
                    if organisation.pk in already:
                        continue
                    membership_start(organisation=organisation, by=request.user, **form.cleaned_data)
                    started += 1
                self.message_user(request, f"Membership started for {started} organisation(s).")
                if already:
                    self.message_user(
                        request,
                        f"{len(already)} organisation(s) skipped: they already have a current membership.",
                        messages.WARNING,
                    )
                return None
        else:
            form = MembershipActionForm()
        return _action_form_page(
            self, request, queryset, form=form, title="Start a membership", action="start_membership"
        )


# The engagement form's contact picker (the admin's autocomplete of ``Engagement.contacts``): its searches
# carry the organisation chosen on the form (members/static/members/engagement_contacts.js) and find that
# organisation's people only. The engagement service refuses anyone else whatever the door.
ENGAGEMENT_CONTACTS_PICKER = {"app_label": "members", "model_name": "engagement", "field_name": "contacts"}


def _engagement_contacts_picker(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        match is not None
        and match.url_name == "autocomplete"
        and all(request.GET.get(key) == value for key, value in ENGAGEMENT_CONTACTS_PICKER.items())
    )


def _record_id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= 18 else None


@admin.register(Contact)
class ContactAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = ContactForm
    list_display = ("name", "organisation", "email", "job_title", "is_primary")
    list_filter = ("is_primary", "organisation__kind", ("organisation__country", AllCountriesFilter))
    search_fields = ("name", "email", "organisation__name")
    autocomplete_fields = ("organisation",)
    list_select_related = ("organisation",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        # Through the services: a new organisation here is a move (the affiliations follow).
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        if change:
            saved = services.contact_update(contact=Contact.objects.get(pk=obj.pk), by=request.user, **fields)
        else:
            fields.pop("organisation", None)
            fields.pop("name", None)
            data = form.cleaned_data
            saved = services.contact_create(
                organisation=data["organisation"], name=data["name"], by=request.user, **fields
            )
        admin_adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.contact_delete(contact=obj, by=request.user)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if _engagement_contacts_picker(request):
            # No organisation chosen yet (or not a record's id): nobody to offer.
            organisation_id = _record_id(request.GET.get("organisation", ""))
            if organisation_id is None:
                return queryset.none(), False
            people = affiliations_selectors.organisation_contacts_current(organisation_id=organisation_id)
            queryset = queryset.filter(pk__in=people.values("pk"))
        return queryset, may_have_duplicates


class MembershipTierForm(ServiceModelForm):
    def service_validate(self, instance) -> None:
        services.membership_tier_validate(tier=instance)


@admin.register(MembershipTier)
class MembershipTierAdmin(DeleteEachThroughService, CoalitionExportMixin, TranslationsAdminMixin, ModelAdmin):
    # The name applicants and members read in French and Spanish (join form, welcome, invoices).
    translated = {"name_translations": "name"}
    list_display = (
        "name",
        "annual_fee",
        "currency",
        "period_months",
        "grace_days",
        "starts_pending",
        "open_to_applicants",
        "sort_order",
    )
    list_filter = ("open_to_applicants", "starts_pending")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    form = translations_form(MembershipTier, translated, base=MembershipTierForm)

    def save_model(self, request, obj, form, change):
        fields = _form_fields(form, services.MEMBERSHIP_TIER_FIELDS)
        # The other languages' boxes fill the JSON mapping on the instance (coalition.translations_admin).
        fields["name_translations"] = obj.name_translations
        if change:
            services.membership_tier_update(tier=obj, **fields)
        else:
            admin_adopt_saved(obj, services.membership_tier_create(**fields))

    def delete_model(self, request, obj):
        services.membership_tier_delete(tier=obj)


class MembershipAddForm(forms.ModelForm):
    """Opening a membership: dates and status follow from the tier (``membership_start``)."""

    start_date = forms.DateField(initial=timezone.localdate)

    class Meta:
        model = Membership
        fields = ("organisation", "tier", "start_date")

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        if (
            organisation
            and Membership.objects.filter(
                organisation=organisation, status__in=Membership.CURRENT_STATUSES
            ).exists()
        ):
            raise forms.ValidationError(
                f"{organisation} already has a current membership. Open it and change or end it first."
            )
        return cleaned


class MembershipChangeForm(ServiceModelForm):
    """Correcting a membership's tier, dates or notes. Its status is not a field: it follows the dates, or
    changes through the actions (renew, suspend, withdraw, reinstate, activate, override)."""

    class Meta:
        model = Membership
        fields = ("tier", "start_date", "end_date", "notes")

    def service_validate(self, instance) -> None:
        services.membership_edit_validate(membership=instance)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Kept in the history.",
    )


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300, widget=forms.TextInput(attrs={"size": 60}), help_text="Kept in the history."
    )


class OverrideForm(forms.Form):
    status = forms.ChoiceField(choices=Membership.Status.choices, help_text="The status to freeze.")
    reason = forms.CharField(
        max_length=300,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Why the dates do not decide for now; shown on the membership and kept in the history.",
    )


class RenewForm(forms.Form):
    tier = forms.ModelChoiceField(
        queryset=MembershipTier.objects.all(),
        required=False,
        help_text="Leave empty to renew on the same tier; choose one to upgrade or downgrade at renewal.",
    )


def _renew(membership: Membership, data: dict, user) -> Membership:
    # Renewal works from what the dates say today; a tier with a fee invoices the new period.
    return services.membership_renew(
        membership=membership, for_end_date=membership.end_date, by=user, tier=data.get("tier")
    )


def _override(membership: Membership, data: dict, user) -> Membership:
    return services.membership_set_override(
        membership=membership, override=True, status=data["status"], reason=data["reason"], by=user
    )


def _lift_override(membership: Membership, data: dict, user) -> Membership:
    return services.membership_set_override(
        membership=membership, override=False, reason=data.get("reason", ""), by=user
    )


# name: (button label, form, what it does). Every action calls its service; none edits a status itself.
MEMBERSHIP_ACTIONS = {
    "renew_memberships": ("Renew for one period", RenewForm, _renew),
    "set_status_override": ("Set a status override", OverrideForm, _override),
    "lift_status_override": ("Lift the status override", ReasonForm, _lift_override),
    "suspend_memberships": (
        "Suspend",
        RequiredReasonForm,
        lambda m, data, user: services.membership_suspend(membership=m, reason=data["reason"], by=user),
    ),
    "withdraw_memberships": (
        "Withdraw",
        RequiredReasonForm,
        lambda m, data, user: services.membership_withdraw(membership=m, reason=data["reason"], by=user),
    ),
    "reinstate_memberships": (
        "Reinstate",
        None,
        lambda m, data, user: services.membership_reinstate(membership=m, by=user),
    ),
    "activate_memberships": (
        "Activate (fee paid)",
        None,
        lambda m, data, user: services.membership_activate(membership=m, by=user),
    ),
}


def _membership_action(name: str):
    label, form_class, apply = MEMBERSHIP_ACTIONS[name]

    def action(modeladmin, request, queryset):
        form = (form_class or forms.Form)(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, refused = 0, []
            for membership in queryset.select_related("organisation", "tier"):
                try:
                    apply(membership, form.cleaned_data, request.user)
                    done += 1
                except (ValidationError, InvalidTransition) as exc:
                    detail = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    refused.append(f"{membership.organisation}: {detail}")
            if done:
                modeladmin.message_user(request, f"{label}: done for {done} membership(s).")
            for line in refused:
                modeladmin.message_user(request, line, messages.ERROR)
            back = request.POST.get("_back_to_object")
            if back and len(queryset) == 1:
                return HttpResponseRedirect(reverse("admin:members_membership_change", args=[queryset[0].pk]))
            return None
        return _action_form_page(modeladmin, request, queryset, form=form, title=label, action=name)

    action.__name__ = name
    return admin.action(description=f"{label}…", permissions=["change"])(action)


@admin.register(Membership)
class MembershipAdmin(DeleteEachThroughService, CoalitionExportMixin, HistoryAdmin, ModelAdmin):
    list_display = (
        "organisation",
        "tier",
        "status",
        "joined_on",
        "start_date",
        "end_date",
        "status_override",
    )
    # A date filter, not a date hierarchy: the hierarchy's year and month links take a DISTINCT over every
    # membership on each view (a sequential scan at 100,000 rows); these choices need no query.
    list_filter = (
        "status",
        ("start_date", admin.DateFieldListFilter),
        "tier",
        "status_override",
        "organisation__kind",
        ("organisation__country", AllCountriesFilter),
    )
    search_fields = ("organisation__name", "organisation__website_domain")
    autocomplete_fields = ("organisation", "tier")
    list_select_related = ("organisation", "tier")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    history_list_display = ("status", "tier", "start_date", "end_date", "status_override")
    change_form_template = "admin/members/membership/change_form.html"
    actions = [_membership_action(name) for name in MEMBERSHIP_ACTIONS]
    change_fields = (
        "organisation",
        "tier",
        "status",
        "joined_on",
        "start_date",
        "end_date",
        "status_override",
        "override_reason",
        "notes",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = MembershipAddForm if obj is None else MembershipChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return MembershipAddForm.Meta.fields if obj is None else self.change_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("organisation", "joined_on", "status", "status_override", "override_reason")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            context["membership_actions"] = [
                (name, label) for name, (label, _, _) in MEMBERSHIP_ACTIONS.items()
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        if change:
            fields = _form_fields(form, set(MembershipChangeForm.Meta.fields))
            services.membership_update(membership=obj, by=request.user, **fields)
            return
        saved = membership_start(
            organisation=form.cleaned_data["organisation"],
            tier=form.cleaned_data["tier"],
            start_date=form.cleaned_data["start_date"],
            by=request.user,
        )
        admin_adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.membership_delete(membership=obj, by=request.user)


@admin.register(Commitment)
class CommitmentAdmin(DeleteEachThroughService, CoalitionExportMixin, HistoryAdmin, ModelAdmin):
    # A deleted record's discrepancies go with it, though staff never delete one by hand.
    deleted_along = (Discrepancy,)
    list_display = (
        "organisation",
        "kind",
        "target_year",
        "reduction_percent",
        "baseline_year",
        "status",
        "is_interim",
        "announced_on",
    )
    list_filter = (
        "kind",
        "status",
        "is_interim",
        "organisation__kind",
        ("organisation__country", AllCountriesFilter),
        "organisation__sector",
    )
    search_fields = ("organisation__name", "title")
    autocomplete_fields = ("organisation",)
    list_select_related = ("organisation",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    history_list_display = ("kind", "status", "target_year", "reduction_percent")
    fieldsets = (
        (None, {"fields": ("organisation", "kind", "title", "status", "is_interim")}),
        (
            "Target",
            {"fields": ("target_year", "reduction_percent", "baseline_year", "baseline_emissions_mtco2e")},
        ),
        ("Coverage", {"fields": ("gases", "scope", "uses_removals", "uses_offsets")}),
        ("Integrity", {"fields": CLIMATE_INTEGRITY_FIELDS, "description": CLIMATE_INTEGRITY_HELP}),
        ("Source", {"fields": ("announced_on", "status_date", "source_url", "source_identifier", "notes")}),
    )

    def save_model(self, request, obj, form, change):
        if change:
            commitment_update(commitment=obj, by=request.user)
            return
        fields = _model_fields(obj, exclude=("organisation",))
        saved = commitment_create(organisation=obj.organisation, by=request.user, **fields)
        admin_adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.commitment_delete(commitment=obj, by=request.user)


class EngagementForm(ServiceModelForm):
    def service_validate(self, instance) -> None:
        if instance.organisation_id and "contacts" in self.cleaned_data:
            services.engagement_validate(
                organisation=instance.organisation, contacts=self.cleaned_data["contacts"]
            )


@admin.register(Engagement)
class EngagementAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = EngagementForm
    list_display = ("occurred_at", "organisation", "kind", "summary")
    list_filter = (
        "kind",
        "organisation__kind",
        ("organisation__country", AllCountriesFilter),
        "occurred_at",
    )
    search_fields = ("summary", "organisation__name", "contacts__name")
    autocomplete_fields = ("organisation", "contacts", "staff")
    list_select_related = ("organisation",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    class Media:
        # The contact picker's searches name the organisation chosen on the form (ContactAdmin).
        js = ("members/engagement_contacts.js",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "contacts" and field is not None:
            field.widget.attrs["data-limit-by"] = "organisation"
        return field

    def save_model(self, request, obj, form, change):
        if change:
            # Contacts and staff are many-to-many: the admin sets them right after this, as on add.
            fields = _form_fields(form, {"kind", "summary", "details", "occurred_at", "organisation"})
            services.engagement_update(engagement=obj, **fields)
            return
        # Contacts and staff are many-to-many: the admin sets them on the created row right after this.
        saved = engagement_create(
            organisation=obj.organisation,
            kind=obj.kind,
            summary=obj.summary,
            occurred_at=obj.occurred_at,
            details=obj.details,
        )
        admin_adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.engagement_delete(engagement=obj, by=request.user)
