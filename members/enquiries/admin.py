"""Admin for the enquiry pipeline: every stage change is a button (or list action) calling one service.

Staff cannot edit the stage directly; a change the current stage does not allow is refused with a message
and changes nothing (the service raises ``InvalidTransition``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from coalition.admin_inlines import TabularInline
from coalition.exceptions import InvalidTransition
from coalition.forms import DeleteEachThroughService, ReadOnlyRecords
from members.admin_export import CoalitionExportMixin
from members.enquiries import services
from members.models import Enquiry, EnquiryNote, EnquiryTransition, MembershipTier, Organisation

S = Enquiry.Status


def _admin_link(obj) -> str:
    if obj is None:
        return "–"
    try:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(obj)
    return format_html('<a href="{}">{}</a>', url, obj)


# What the applicant sent, shown read-only (the requested tier and the language stay editable: staff may
# correct them, through their services).
APPLICATION_FIELDS = [
    f for f in services.APPLICANT_FIELDS if f not in ("requested_tier", "preferred_language")
]


class EnquiryNoteInline(TabularInline):
    model = EnquiryNote
    extra = 1
    fields = ["body", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    verbose_name = "internal note (never shown to the applicant)"
    verbose_name_plural = "internal notes (never shown to the applicant)"

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # notes are a record: add, do not rewrite

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EnquiryTransitionInline(ReadOnlyRecords, TabularInline):
    model = EnquiryTransition
    extra = 0
    fields = ["at", "from_status", "to_status", "by", "by_applicant", "note"]
    readonly_fields = fields
    verbose_name_plural = "stage changes"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class InformationRequestForm(forms.Form):
    message = forms.CharField(
        label="Question for the applicant (sent by email; they answer on their status page)",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason (included, courteously, in the email to the applicant)",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
    )


class ApproveForm(forms.Form):
    LINK, OTHER, CREATE = "link", "other", "create"
    choice = forms.ChoiceField(label="Organisation", widget=forms.RadioSelect)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        required=False,
        # Picked by name: type "Den", choose "Denmark" (the admin's organisation search).
        widget=AutocompleteSelect(Enquiry._meta.get_field("suggested_organisation"), admin.site),
        label="Existing organisation to link (if 'another organisation'): type part of its name",
        error_messages={"invalid_choice": "Choose an organisation from the list."},
    )
    tier = forms.ModelChoiceField(queryset=MembershipTier.objects.all(), label="Membership tier")

    def __init__(self, *args, enquiry: Enquiry, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if enquiry.suggested_organisation_id:
            choices.append((self.LINK, f"Link the suggested match: {enquiry.suggested_organisation}"))
        choices.append((self.OTHER, "Link another existing organisation (choose it by name)"))
        if enquiry.organisation_kind == Organisation.Kind.COUNTRY:
            choices.append((self.CREATE, "Create the country record (an existing one is always linked)"))
        else:
            choices.append((self.CREATE, f"Create a new organisation: {enquiry.organisation_name}"))
        self.fields["choice"].choices = choices
        self.fields["choice"].initial = choices[0][0] if enquiry.suggested_organisation_id else self.CREATE
        self.fields["tier"].initial = enquiry.requested_tier_id

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("choice") == self.OTHER and not cleaned.get("organisation"):
            self.add_error("organisation", "Choose the organisation to link.")
        return cleaned


PIPELINE = {
    # action: (label, target stage, form or None)
    "review": ("Start review", S.UNDER_REVIEW, None),
    "request_information": ("Request information", S.AWAITING_INFORMATION, InformationRequestForm),
    "approve": ("Approve", S.APPROVED, ApproveForm),
    "decline": ("Decline", S.DECLINED, DeclineForm),
    "spam": ("Mark as spam", S.SPAM, None),
}


@admin.register(Enquiry)
class EnquiryAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    list_display = [
        "organisation_name",
        "organisation_kind",
        "country",
        "status",
        "requested_tier",
        "assignee",
        "created_at",
        "last_activity_at",
    ]
    list_filter = ["status", "organisation_kind", "source", "assignee", "requested_tier"]
    search_fields = ["organisation_name", "email", "contact_name", "website"]
    autocomplete_fields = ["requested_tier"]
    list_select_related = ["assignee", "requested_tier"]
    date_hierarchy = "created_at"
    inlines = [EnquiryNoteInline, EnquiryTransitionInline]
    actions = ["start_review", "mark_spam", "approve_with_suggested_match"]
    readonly_fields = [
        "status",
        "pipeline_buttons",
        "suggested_match",
        "source",
        *APPLICATION_FIELDS,
        "organisation_link",
        "contact_link",
        "membership",
        "information_request",
        "applicant_reply",
        "decline_reason",
        "submitted_ip",
        "created_at",
        "last_activity_at",
        "decided_at",
    ]
    fieldsets = [
        (
            "Stage",
            {
                "fields": [
                    "status",
                    "pipeline_buttons",
                    "assignee",
                    "requested_tier",
                    "preferred_language",
                    "last_activity_at",
                ]
            },
        ),
        ("Possible existing records", {"fields": ["suggested_match"]}),
        (
            "Application",
            {
                "fields": [
                    *APPLICATION_FIELDS,
                    "source",
                    "submitted_ip",
                    "created_at",
                ]
            },
        ),
        (
            "Exchange with the applicant",
            {"fields": ["information_request", "applicant_reply", "decline_reason"]},
        ),
        ("Outcome", {"fields": ["organisation_link", "contact_link", "membership", "decided_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "assignee",
                "requested_tier",
                "suggested_organisation",
                "suggested_contact__organisation",
                "organisation",
                "contact",
                "membership__tier",
            )
        )

    def has_add_permission(self, request) -> bool:
        return False  # enquiries come from applicants, through the form or the API

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from django.contrib.auth import get_user_model

        if db_field.name == "assignee":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- Display -------------------------------------------------------------------------------------

    @admin.display(description="Suggested match")
    def suggested_match(self, obj: Enquiry) -> str:
        if not (obj.suggested_organisation_id or obj.suggested_contact_id):
            return (
                "No existing organisation or contact looks like this applicant: approval creates new records."
            )
        parts = []
        if obj.suggested_organisation_id:
            parts.append(format_html("Organisation: {}", _admin_link(obj.suggested_organisation)))
        if obj.suggested_contact_id:
            c = obj.suggested_contact
            parts.append(format_html("Contact: {} ({}) at {}", _admin_link(c), c.email, c.organisation))
        hint = "On approval, choose to link the suggested organisation or create a new one."
        return format_html("{}<br>{}", format_html_join("<br>", "{}", ((p,) for p in parts)), hint)

    @admin.display(description="Organisation")
    def organisation_link(self, obj: Enquiry) -> str:
        return _admin_link(obj.organisation)

    @admin.display(description="Contact")
    def contact_link(self, obj: Enquiry) -> str:
        return _admin_link(obj.contact)

    @admin.display(description="Move to")
    def pipeline_buttons(self, obj: Enquiry) -> str:
        if obj.pk is None:
            return "–"
        buttons = [
            (reverse("admin:members_enquiry_pipeline", args=[obj.pk, name]), label)
            for name, (label, target, _form) in PIPELINE.items()
            if services.enquiry_can(enquiry=obj, to_status=target)
            and not (name == "request_information" and obj.status == S.AWAITING_INFORMATION)
        ]
        if not buttons:
            return "This enquiry is closed."
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', buttons)

    # --- Saving goes through the services ------------------------------------------------------------

    def save_model(self, request, obj: Enquiry, form, change) -> None:
        if "assignee" in form.changed_data:
            try:
                services.enquiry_assign(enquiry=obj, assignee=obj.assignee, by=request.user)
            except (InvalidTransition, ValidationError) as exc:
                self.message_user(request, " ".join(_messages(exc)), messages.ERROR)
        if "requested_tier" in form.changed_data:
            try:
                services.enquiry_set_requested_tier(enquiry=obj, tier=obj.requested_tier, by=request.user)
            except InvalidTransition as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if "preferred_language" in form.changed_data:
            services.enquiry_set_language(enquiry=obj, language=obj.preferred_language, by=request.user)

    def delete_blockers(self, obj) -> list[str]:
        return [services.enquiry_delete_blocker(enquiry=obj)]

    def delete_model(self, request, obj) -> None:
        services.enquiry_delete(enquiry=obj)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not EnquiryNote:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for note_form in formset.forms:
            if note_form.has_changed() and not note_form.instance.pk and note_form.cleaned_data.get("body"):
                note = services.enquiry_note_add(
                    enquiry=form.instance, author=request.user, body=note_form.cleaned_data["body"]
                )
                formset.new_objects.append(note)

    # --- Pipeline pages ------------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<int:object_id>/pipeline/<str:step>/",
                self.admin_site.admin_view(self.pipeline_view),
                name="members_enquiry_pipeline",
            ),
            *super().get_urls(),
        ]

    def pipeline_view(self, request: HttpRequest, object_id: int, step: str):
        if step not in PIPELINE:
            raise PermissionDenied
        enquiry = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, enquiry):
            raise PermissionDenied
        label, _target, form_class = PIPELINE[step]
        change_url = reverse("admin:members_enquiry_change", args=[enquiry.pk])
        form = None
        if form_class is not None:
            kwargs = {"enquiry": enquiry} if form_class is ApproveForm else {}
            form = form_class(request.POST or None, **kwargs)
        if request.method == "POST" and (form is None or form.is_valid()):
            data = form.cleaned_data if form is not None else {}
            try:
                self._run(step, enquiry, request.user, data)
            except InvalidTransition as exc:
                self.message_user(request, f"Nothing was changed. {exc}", messages.ERROR)
                return HttpResponseRedirect(change_url)
            except ValidationError as exc:
                self.message_user(request, "Nothing was changed. " + " ".join(_messages(exc)), messages.ERROR)
            else:
                enquiry.refresh_from_db()
                self.message_user(
                    request,
                    f"{enquiry.organisation_name}: now {enquiry.get_status_display().lower()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{label}: {enquiry.organisation_name}",
            "enquiry": enquiry,
            "form": form,
            "step_label": label,
            "change_url": change_url,
            "suggested_match": self.suggested_match(enquiry),
        }
        return TemplateResponse(request, "admin/members/enquiry/pipeline_step.html", context)

    @staticmethod
    def _run(step: str, enquiry: Enquiry, user, data: dict) -> None:
        if step == "review":
            services.enquiry_review_start(enquiry=enquiry, by=user)
        elif step == "spam":
            services.enquiry_mark_spam(enquiry=enquiry, by=user)
        elif step == "request_information":
            services.enquiry_information_request(enquiry=enquiry, by=user, message=data["message"])
        elif step == "decline":
            services.enquiry_decline(enquiry=enquiry, by=user, reason=data["reason"])
        elif step == "approve":
            choice = data["choice"]
            services.enquiry_approve(
                enquiry=enquiry,
                by=user,
                organisation=data.get("organisation") if choice == ApproveForm.OTHER else None,
                create_organisation=choice == ApproveForm.CREATE,
                tier=data["tier"],
            )

    # --- List actions (several enquiries at once) ---------------------------------------------------

    def _bulk(self, request, queryset, run, done: str) -> None:
        if not request.user.has_perm("members.change_enquiry"):
            raise PermissionDenied
        ok, problems = 0, []
        for enquiry in queryset:
            try:
                run(enquiry)
                ok += 1
            except (InvalidTransition, ValidationError) as exc:
                problems.append(f"{enquiry.organisation_name}: {' '.join(_messages(exc))}")
        if ok:
            self.message_user(request, f"{ok} enquir{'y' if ok == 1 else 'ies'} {done}.", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, f"Not changed — {problem}", messages.ERROR)

    @admin.action(description="Start review of the selected enquiries", permissions=["change"])
    def start_review(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda e: services.enquiry_review_start(enquiry=e, by=request.user),
            "under review",
        )

    @admin.action(description="Mark the selected enquiries as spam (no email)", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda e: services.enquiry_mark_spam(enquiry=e, by=request.user),
            "marked as spam",
        )

    @admin.action(
        description="Approve the selected enquiries (link the suggested match, requested tier)",
        permissions=["change"],
    )
    def approve_with_suggested_match(self, request, queryset):
        self._bulk(
            request, queryset, lambda e: services.enquiry_approve(enquiry=e, by=request.user), "approved"
        )


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc)]
