"""Admin for campaigns, targets, events and participants. Every change goes through ``services``.

Change forms, inlines and actions save through the services, on change as on add; the forms validate with
the services' own checks (``ServiceModelForm``), so a rule's error shows on its field and nothing is saved.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from campaigns import charts, selectors, services
from campaigns.models import Campaign, Event, EventParticipant, Target
from coalition.admin_inlines import TabularInline
from coalition.dates import secretariat_today
from coalition.exceptions import InvalidTransition
from coalition.forms import DeleteEachThroughService, ServiceModelForm
from members.admin_export import CoalitionExportMixin
from members.models import MembershipTier


def _record_inline_saves(formset, *, new=(), changed=(), deleted=()) -> None:
    """What ``formset.save()`` would have noted, for the admin's change message and history."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = (
        list(new),
        list(changed),
        list(deleted),
    )


# --- Campaigns ----------------------------------------------------------------------------------------------


class CampaignForm(ServiceModelForm):
    service_validate = staticmethod(services.campaign_check)

    class Meta:
        model = Campaign
        fields = list(services.CAMPAIGN_FIELDS)


class TargetInlineForm(ServiceModelForm):
    service_validate = staticmethod(services.target_check)


class TargetInline(TabularInline):
    model = Target
    form = TargetInlineForm
    extra = 0
    can_delete = False
    fields = ["organisation_link", "stage", "stage_changed_at", "owner", "next_action", "next_action_due"]
    readonly_fields = ["organisation_link", "stage", "stage_changed_at"]
    ordering = ["organisation__name"]
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # targets are added one by one on the target page, or in bulk

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "owner")

    @admin.display(description="Organisation")
    def organisation_link(self, obj: Target) -> str:
        return obj.organisation.name


class TargetsAddForm(forms.Form):
    filter = forms.ChoiceField(choices=list(services.TARGET_FILTERS.items()), widget=forms.RadioSelect)
    tier = forms.ModelChoiceField(
        queryset=MembershipTier.objects.all(), required=False, help_text="For “current members of a tier”."
    )
    countries = forms.CharField(
        required=False,
        help_text="For “a list of countries”: ISO 3166 codes separated by commas or spaces, e.g. DK, PA, FI.",
    )


@admin.register(Campaign)
class CampaignAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = CampaignForm
    list_display = [
        "name",
        "status",
        "deadline",
        "days_left",
        "owner",
        "progress_bar",
        "committed",
    ]
    list_filter = ["status", "owner"]
    search_fields = ["name", "objective"]
    date_hierarchy = "deadline"
    inlines = [TargetInline]
    readonly_fields = ["progress_panel"]
    actions = ["add_countries_without_net_negative"]
    fieldsets = [
        (None, {"fields": ["name", "status", "owner", "start_date", "deadline", "objective", "description"]}),
        (
            "The ask (a commitment that counts as success)",
            {
                "fields": ["ask_kind", "ask_min_status", "ask_target_year", "ask_in_ndc"],
                "description": "When a target records a commitment that satisfies the ask, it moves to "
                "“committed” with the commitment linked. Net negative also satisfies an ask for net zero "
                "or neutrality; “must be in the NDC” accepts the NDC or a stronger status (law, achieved).",
            },
        ),
        ("Progress", {"fields": ["progress_panel"]}),
    ]

    def get_queryset(self, request):
        return selectors.campaigns_with_progress(super().get_queryset(request).select_related("owner"))

    @admin.display(description="Days to deadline", ordering="deadline")
    def days_left(self, obj: Campaign) -> str:
        days = selectors.campaign_progress(campaign=obj).days_to_deadline
        return f"in {days} days" if days >= 0 else f"{-days} days ago"

    @admin.display(description="Targets by stage")
    def progress_bar(self, obj: Campaign) -> str:
        return charts.stacked_bar(selectors.campaign_progress(campaign=obj))

    @admin.display(description="Committed")
    def committed(self, obj: Campaign) -> str:
        p = selectors.campaign_progress(campaign=obj)
        return f"{p.committed}/{p.total} ({p.share_committed:.0%})" if p.total else "–"

    @admin.display(description="Progress")
    def progress_panel(self, obj: Campaign) -> str:
        if not obj.pk:
            return "Save the campaign, then add targets."
        progress = selectors.campaign_progress(campaign=obj)
        chart = charts.committed_chart(
            points=selectors.campaign_committed_over_time(campaign=obj),
            total=progress.total,
            start=obj.start_date,
            deadline=obj.deadline,
            today=secretariat_today(),
        )
        add_url = reverse("admin:campaigns_campaign_add_targets", args=[obj.pk])
        days = progress.days_to_deadline
        when = f"{days} days to the deadline" if days >= 0 else f"the deadline passed {-days} days ago"
        return format_html(
            "<p><strong>{} of {} targets committed ({})</strong>, {}. "
            '<a class="button" href="{}">Add targets in bulk</a></p>{}<div style="margin-top:12px">{}</div>',
            progress.committed,
            progress.total,
            f"{progress.share_committed:.0%}",
            when,
            add_url,
            charts.stage_bars(progress),
            chart,
        )

    def delete_model(self, request, obj):
        services.campaign_delete(campaign=obj)

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name] for name in services.CAMPAIGN_FIELDS if name in form.cleaned_data
        }
        if change:
            services.campaign_update(campaign=obj, **fields)
        else:
            form.instance = services.campaign_create(**fields)
            obj.pk = form.instance.pk

    def save_formset(self, request, form, formset, change):
        # The one inline lists targets (no adding or deleting there): edits go through target_edit.
        changed = []
        with transaction.atomic():
            for inline_form in formset.initial_forms:
                if inline_form.has_changed():
                    data = {k: inline_form.cleaned_data[k] for k in inline_form.changed_data}
                    target = services.target_edit(target=inline_form.instance, by=request.user, **data)
                    changed.append((target, inline_form.changed_data))
        _record_inline_saves(formset, changed=changed)

    def get_urls(self):
        return [
            path(
                "<int:pk>/add-targets/",
                self.admin_site.admin_view(self.add_targets_view),
                name="campaigns_campaign_add_targets",
            ),
            *super().get_urls(),
        ]

    def add_targets_view(self, request, pk: int):
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_change_permission(request, campaign):
            return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[pk]))
        form = TargetsAddForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            tier = form.cleaned_data["tier"]
            codes = form.cleaned_data["countries"].replace(",", " ").split()
            try:
                added = services.targets_add_from_filter(
                    campaign=campaign,
                    filter=form.cleaned_data["filter"],
                    tier=tier.pk if tier else None,
                    countries=codes,
                    by=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.message_user(request, f"{added} new targets added to “{campaign}”.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": campaign,
            "title": f"Add targets to “{campaign}”",
            "form": form,
        }
        return TemplateResponse(request, "admin/campaigns/campaign/add_targets.html", context)

    @admin.action(description="Add countries without a net-negative commitment as targets")
    def add_countries_without_net_negative(self, request, queryset):
        for campaign in queryset:
            added = services.targets_add_from_filter(
                campaign=campaign, filter=services.FILTER_COUNTRIES_WITHOUT_NET_NEGATIVE, by=request.user
            )
            self.message_user(request, f"{campaign}: {added} new targets.", messages.SUCCESS)


# --- Targets ------------------------------------------------------------------------------------------------


class TargetForm(ServiceModelForm):
    service_validate = staticmethod(services.target_check)

    move_to = forms.ChoiceField(
        label="Move to stage",
        choices=[("", "– keep the current stage –"), *Target.Stage.choices],
        required=False,
    )
    stage_note = forms.CharField(label="Why (kept in the history)", required=False, widget=forms.Textarea)

    class Meta:
        model = Target
        fields = ["campaign", "organisation", "owner", "next_action", "next_action_due", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Only the moves the stage table allows from where the target stands.
            allowed = services.target_stages_allowed(stage=self.instance.stage)
            self.fields["move_to"].choices = [
                ("", "– keep the current stage –"),
                *((stage, Target.Stage(stage).label) for stage in allowed),
            ]


def _move_action(stage: str):
    label = Target.Stage(stage).label.lower()

    def move(modeladmin, request, queryset):
        moved = refused = 0
        with transaction.atomic():
            for target in queryset:
                if target.stage == stage:
                    continue
                try:
                    services.target_move(
                        target=target, stage=stage, by=request.user, note="Moved from the list"
                    )
                except InvalidTransition:
                    refused += 1
                else:
                    moved += 1
        modeladmin.message_user(request, f"{moved} targets moved to {label}.")
        if refused:
            modeladmin.message_user(
                request, f"{refused} targets cannot move to {label} from their stage.", messages.WARNING
            )

    move.__name__ = f"move_to_{stage}"
    return admin.action(description=f"Move selected targets to {label}")(move)


# A list action for every stage a target can move to (none can go back to "identified").
_MOVE_STAGES = [
    s for s in Target.Stage.values if any(s in allowed for allowed in services.ALLOWED_TRANSITIONS.values())
]


@admin.register(Target)
class TargetAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = TargetForm
    list_display = [
        "organisation",
        "campaign",
        "stage",
        "owner",
        "next_action",
        "next_action_due",
        "commitment",
    ]
    list_filter = ["campaign", "stage", "owner"]
    list_select_related = ["organisation", "campaign", "owner", "commitment__organisation"]
    search_fields = ["organisation__name", "next_action", "notes"]
    autocomplete_fields = ["organisation", "campaign"]
    readonly_fields = ["stage", "stage_changed_at", "commitment", "timeline"]
    actions = [_move_action(stage) for stage in _MOVE_STAGES]

    def get_fieldsets(self, request, obj=None):
        main = ["campaign", "organisation", "owner", "next_action", "next_action_due", "notes"]
        if obj is None:
            return [(None, {"fields": main})]
        return [
            (None, {"fields": main}),
            ("Stage", {"fields": ["stage", "stage_changed_at", "commitment", "move_to", "stage_note"]}),
            ("Timeline", {"fields": ["timeline"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "campaign", "organisation"] if obj else self.readonly_fields

    @admin.display(description="Stage changes and actions, newest first")
    def timeline(self, obj: Target) -> str:
        entries = selectors.target_timeline(target=obj)
        if not entries:
            return "–"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((f"{e.at:%d %b %Y %H:%M}", e.title, e.detail, e.by) for e in entries),
        )
        return format_html(
            "<table><thead><tr><th>When</th><th>What</th><th>Detail</th><th>By</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    def delete_model(self, request, obj):
        services.target_remove(target=obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        editable = {k: data[k] for k in services.TARGET_EDITABLE_FIELDS if k in data}
        if not change:
            form.instance = services.target_add(
                campaign=data["campaign"], organisation=data["organisation"], by=request.user, **editable
            )
            obj.pk = form.instance.pk
            return
        services.target_edit(
            target=obj,
            by=request.user,
            stage=data.get("move_to") or None,
            note=data.get("stage_note", ""),
            **editable,
        )


# --- Events -------------------------------------------------------------------------------------------------


PARTICIPANT_FIELDS = ["organisation", "contact", "role", "response"]


class ParticipantInlineForm(ServiceModelForm):
    service_validate = staticmethod(services.participant_check)

    class Meta:
        model = EventParticipant
        fields = PARTICIPANT_FIELDS


class ParticipantInline(TabularInline):
    model = EventParticipant
    form = ParticipantInlineForm
    extra = 1
    fields = ["organisation", "contact", "role", "response", "invited_at", "attended"]
    readonly_fields = ["invited_at", "attended"]
    autocomplete_fields = ["organisation", "contact"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "contact")


class EventForm(ServiceModelForm):
    service_validate = staticmethod(services.event_check)

    class Meta:
        model = Event
        fields = list(services.EVENT_FIELDS)


@admin.register(Event)
class EventAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = EventForm
    list_display = [
        "title",
        "kind",
        "starts_at",
        "location",
        "campaign",
        "participants",
        "accepted",
        "attended",
    ]
    list_filter = ["kind", "campaign"]
    search_fields = ["title", "location", "description"]
    autocomplete_fields = ["campaign"]
    date_hierarchy = "starts_at"
    inlines = [ParticipantInline]
    actions = ["send_invitations", "mark_accepted_attended"]

    def get_queryset(self, request):
        return selectors.events_for_list()

    @admin.display(description="Participants", ordering="n_participants")
    def participants(self, obj: Event) -> int:
        return obj.n_participants

    @admin.display(description="Accepted", ordering="n_accepted")
    def accepted(self, obj: Event) -> int:
        return obj.n_accepted

    @admin.display(description="Attended", ordering="n_attended")
    def attended(self, obj: Event) -> int:
        return obj.n_attended

    def delete_model(self, request, obj):
        services.event_delete(event=obj)

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name] for name in services.EVENT_FIELDS if name in form.cleaned_data
        }
        if change:
            services.event_update(event=obj, **fields)
        else:
            form.instance = services.event_create(**fields)
            obj.pk = form.instance.pk

    def save_formset(self, request, form, formset, change):
        # The one inline lists participants: additions, edits and removals go through their services.
        new, changed, deleted = [], [], []
        with transaction.atomic():
            for inline_form in formset.forms:
                participant = inline_form.instance
                if inline_form in formset.deleted_forms:
                    if participant.pk:
                        services.participant_remove(participant=participant)
                        deleted.append(participant)
                    continue
                if not inline_form.has_changed():
                    continue
                data = inline_form.cleaned_data
                if participant.pk:
                    fields = {k: data[k] for k in inline_form.changed_data if k in PARTICIPANT_FIELDS}
                    changed.append(
                        (services.participant_update(participant=participant, **fields), list(fields))
                    )
                else:
                    fields = {k: data[k] for k in PARTICIPANT_FIELDS if k in data}
                    new.append(services.participant_add(event=form.instance, **fields))
        _record_inline_saves(formset, new=new, changed=changed, deleted=deleted)

    @admin.action(description="Send invitations (to participants not invited yet)")
    def send_invitations(self, request, queryset):
        for event in queryset:
            result = services.event_invitations_send(event=event)
            level = messages.SUCCESS if result["queued"] else messages.WARNING
            skipped = f"; {result['skipped']} without a contact email" if result["skipped"] else ""
            self.message_user(
                request, f"{event.title}: {result['queued']} invitations queued{skipped}.", level
            )

    @admin.action(description="Mark participants who accepted as attended")
    def mark_accepted_attended(self, request, queryset):
        participants = EventParticipant.objects.filter(
            event__in=queryset, response=EventParticipant.Response.ACCEPTED, attended=False
        )
        count = services.participants_mark_attended(participants=list(participants), by=request.user)
        self.message_user(
            request, f"{count} participants marked attended; their attendance joined the history."
        )


@admin.register(EventParticipant)
class EventParticipantAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = ParticipantInlineForm
    list_display = ["organisation", "contact", "event", "role", "response", "invited_at", "attended"]
    list_filter = ["role", "response", "attended", "event"]
    list_select_related = ["organisation", "contact", "event"]
    search_fields = ["organisation__name", "contact__name", "contact__email", "event__title"]
    autocomplete_fields = ["event", "organisation", "contact"]
    actions = ["send_invitation", "mark_attended"]

    def get_fields(self, request, obj=None):
        return ["event", *PARTICIPANT_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["event"] if obj else []  # a participant cannot move to another event

    def get_form(self, request, obj=None, **kwargs):
        kwargs["fields"] = PARTICIPANT_FIELDS if obj else ["event", *PARTICIPANT_FIELDS]
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {k: data.get(k) for k in PARTICIPANT_FIELDS}
        if change:
            services.participant_update(participant=obj, **fields)
        else:
            form.instance = services.participant_add(event=data["event"], **fields)
            obj.pk = form.instance.pk

    def delete_model(self, request, obj):
        services.participant_remove(participant=obj)

    @admin.action(description="Send the invitation")
    def send_invitation(self, request, queryset):
        sent = sum(services.participant_invite(participant=p) for p in queryset)
        self.message_user(request, f"{sent} invitations queued (participants without an email are skipped).")

    @admin.action(description="Mark attended")
    def mark_attended(self, request, queryset):
        count = services.participants_mark_attended(participants=list(queryset), by=request.user)
        self.message_user(
            request, f"{count} participants marked attended; their attendance joined the history."
        )
