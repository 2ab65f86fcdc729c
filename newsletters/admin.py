"""Staff screens: topics, subscribers (export, erase), the newsletter editor (preview, test send, schedule,
send, pause, resume, cancel) with a progress bar, and deliveries. Each button calls one service."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django_countries import countries
from unfold.admin import ModelAdmin

from coalition import scheduler
from coalition.admin_inlines import TabularInline
from coalition.exceptions import InvalidTransition
from members.admin_export import CoalitionExportMixin
from members.models import Organisation
from newsletters import api, selectors, services
from newsletters.forms import ScheduleForm, TestSendForm
from newsletters.models import (
    BounceEvent,
    ConsentRecord,
    ConsentWording,
    Delivery,
    Newsletter,
    Subscriber,
    Topic,
)
from newsletters.resources import NewsletterResource
from newsletters.sending import services as sending
from newsletters.subscriptions import services as subscriptions


def _wants_json(request: HttpRequest) -> bool:
    """The editor's script asks for JSON (the test send keeps the page, and so the unsaved edits)."""
    return "application/json" in request.headers.get("Accept", "")


def _progress_bar(progress: selectors.Progress) -> str:
    eta = ""
    if progress.eta_seconds is not None:
        minutes, seconds = divmod(progress.eta_seconds, 60)
        eta = f" · about {minutes} min {seconds} s left" if minutes else f" · about {seconds} s left"
    return format_html(
        '<div class="newsletter-progress" style="min-width:14em">'
        '<div class="progress" role="progressbar" aria-valuenow="{}" aria-valuemin="0" aria-valuemax="100" '
        'style="background:#d5dfdb;height:.8rem;border-radius:4px;overflow:hidden">'
        '<span style="display:block;height:100%;width:{}%;background:#0b6e4f"></span></div>'
        "<small>{} %: {} sent, {} queued, {} failed, {} skipped of {}{}</small></div>",
        progress.percent,
        progress.percent,
        progress.percent,
        progress.sent,
        progress.queued,
        progress.failed,
        progress.skipped,
        progress.total,
        eta,
    )


@admin.register(Topic)
class TopicAdmin(CoalitionExportMixin, ModelAdmin):
    list_display = ["name", "slug", "public", "default", "sort_order", "subscriber_count"]
    list_editable = ["public", "default", "sort_order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def get_queryset(self, request):
        from django.db.models import Count, Q

        return (
            super()
            .get_queryset(request)
            .annotate(
                n_subscribers=Count("subscribers", filter=Q(subscribers__status=Subscriber.Status.CONFIRMED))
            )
        )

    @admin.display(description="Confirmed subscribers", ordering="n_subscribers")
    def subscriber_count(self, obj) -> int:
        return obj.n_subscribers


@admin.register(ConsentWording)
class ConsentWordingAdmin(ModelAdmin):
    list_display = ["version", "text", "created_at"]
    readonly_fields = ["version"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Published wording is evidence of what people agreed to: add a new version instead.
        return False

    def save_model(self, request, obj, form, change):
        created = subscriptions.consent_wording_publish(text=obj.text)
        obj.pk, obj.version = created.pk, created.version


class ConsentInline(TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = ["created_at", "method", "wording", "ip_address", "requested_name", "confirmed_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(CoalitionExportMixin, ModelAdmin):
    list_display = ["email", "name", "status", "topic_list", "organisation", "confirmed_at"]
    list_filter = ["status", "topics"]
    search_fields = ["email", "name"]
    list_select_related = ["contact__organisation"]
    autocomplete_fields = ["contact"]
    filter_horizontal = ["topics"]
    readonly_fields = ["status", "confirmed_at", "status_changed_at", "key", "created_at"]
    inlines = [ConsentInline]
    change_form_template = "admin/newsletters/subscriber/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    @admin.display(description="Topics")
    def topic_list(self, obj) -> str:
        return ", ".join(t.name for t in obj.topics.all())

    @admin.display(description="Organisation")
    def organisation(self, obj) -> str:
        return obj.contact.organisation.name if obj.contact_id else ""

    def get_urls(self):
        return [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                # Not "…_export": that name is the list export's (CoalitionExportMixin).
                name="newsletters_subscriber_data_export",
            ),
            path(
                "<int:pk>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="newsletters_subscriber_erase",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        subscriber = get_object_or_404(Subscriber, pk=pk)
        data = selectors.subscriber_export(subscriber=subscriber)
        response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="subscriber-{pk}.json"'
        return response

    def erase_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_delete_permission(request):
            raise PermissionDenied
        subscriber = get_object_or_404(Subscriber, pk=pk)
        if request.method == "POST":
            result = subscriptions.subscriber_erase(subscriber=subscriber)
            self.message_user(
                request,
                f"Erased. {result.deliveries_kept} delivery records are kept without personal data.",
                messages.SUCCESS,
            )
            return redirect("admin:newsletters_subscriber_changelist")
        return TemplateResponse(
            request,
            "admin/newsletters/subscriber/erase.html",
            {**self.admin_site.each_context(request), "subscriber": subscriber, "opts": self.model._meta},
        )


class NewsletterAdminForm(forms.ModelForm):
    """The audience's organisation kinds and countries as choices, not raw JSON."""

    organisation_kinds = forms.MultipleChoiceField(
        choices=Organisation.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optionally narrow to subscribers whose linked organisation is of these kinds.",
    )
    organisation_countries = forms.MultipleChoiceField(
        choices=list(countries),
        required=False,
        help_text="Optionally narrow to subscribers whose linked organisation is in these countries.",
    )

    class Meta:
        model = Newsletter
        fields = [
            "subject",
            "preheader",
            "body_markdown",
            "topics",
            "organisation_kinds",
            "organisation_countries",
            "kind",
            "period_start",
            "period_end",
        ]

    # Set per request by NewsletterAdmin.get_form: validating the admin's form writes through the service,
    # so the service's refusal (no longer editable, invalid values) is shown on the form, never bypassed.
    write_through_service = False
    user = None
    saved: Newsletter | None = None

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.write_through_service and not self.errors:
            self._save_through_service()

    def _save_through_service(self) -> None:
        data = self.cleaned_data
        fields = {name: data[name] for name in Newsletter.CONTENT_FIELDS if name in data and name != "topics"}
        topics = list(data["topics"]) if "topics" in data else None
        try:
            if self.instance.pk is None:
                self.saved = services.newsletter_create(by=self.user, topics=topics, **fields)
            else:
                self.saved = services.newsletter_update(newsletter=self.instance, topics=topics, **fields)
        except InvalidTransition as exc:
            self.add_error(None, str(exc))
        except ValidationError as exc:
            self._add_service_error(exc)

    def _add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, exc)

    def unsaved_draft(self) -> Newsletter:
        """The newsletter as the form has it now (not saved): what "Send test" sends."""
        draft = self.instance
        for name in ("subject", "preheader", "body_markdown"):
            if name in self.cleaned_data:
                setattr(draft, name, self.cleaned_data[name])
        draft.rendered_html = draft.rendered_text = ""
        return draft


@admin.register(Newsletter)
class NewsletterAdmin(CoalitionExportMixin, ModelAdmin):
    form = NewsletterAdminForm
    resource_classes = [NewsletterResource]
    list_display = ["subject", "kind", "status", "scheduled_at", "started_at", "progress_bar"]
    list_filter = ["status", "kind", "topics"]
    search_fields = ["subject"]
    filter_horizontal = ["topics"]
    fields = [
        "subject",
        "preheader",
        "body_markdown",
        "topics",
        "organisation_kinds",
        "organisation_countries",
        "kind",
        "period_start",
        "period_end",
    ]
    change_form_template = "admin/newsletters/newsletter/change_form.html"

    def get_queryset(self, request):
        return selectors.newsletters_with_progress()

    def get_readonly_fields(self, request, obj=None):
        readonly = ["kind", "period_start", "period_end"]
        if obj is not None and not obj.is_editable:
            readonly = [*self.fields]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"write_through_service": True, "user": request.user})

    def save_model(self, request, obj, form, change):
        # The form already saved through newsletter_create/newsletter_update while validating (so a
        # refusal is a form error); adopt the saved row for the admin's message, log and redirect.
        obj.pk = form.saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Topics were set by the service; there are no inlines.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description="Progress")
    def progress_bar(self, obj) -> str:
        if obj.status in (Newsletter.Status.DRAFT, Newsletter.Status.SCHEDULED):
            return "–"
        return _progress_bar(selectors.newsletter_progress(newsletter=obj))

    def get_urls(self):
        def view(fn, name):
            return path(
                f"<int:pk>/{name}/", self.admin_site.admin_view(fn), name=f"newsletters_newsletter_{name}"
            )

        return [
            view(self.preview_view, "preview"),
            view(self.progress_view, "progress"),
            view(self.action_view, "act"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        newsletter = get_object_or_404(Newsletter, pk=pk)
        response = HttpResponse(api.preview_html(newsletter, name=request.user.get_full_name()))
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        newsletter = get_object_or_404(Newsletter, pk=pk)
        progress = selectors.newsletter_progress(newsletter=newsletter)
        return JsonResponse(
            {
                **progress.as_dict(),
                "html": _progress_bar(progress),
                "status_display": newsletter.get_status_display(),
            }
        )

    def _test_send(self, request: HttpRequest, newsletter: Newsletter) -> str:
        """Send a test of what the editor holds now: the posted (unsaved) form when there is one."""
        to_form = TestSendForm(request.POST)
        if not to_form.is_valid():
            raise ValidationError(_("Enter a valid email address for the test."))
        to = to_form.cleaned_data["to"]
        draft, which = newsletter, _("the saved version")
        if newsletter.is_editable and "subject" in request.POST:
            form = self.get_form(request, newsletter, change=True)(request.POST, instance=newsletter)
            form.write_through_service = False  # a test never saves
            if not form.is_valid():
                raise ValidationError(
                    _("The form has errors, so no test was sent: %(errors)s")
                    % {"errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)}
                )
            draft, which = form.unsaved_draft(), _("the form as it is now (unsaved edits included)")
        services.newsletter_test_send(newsletter=draft, to=to, name=request.user.get_full_name())
        return _("A test of %(which)s is on its way to %(to)s.") % {"which": which, "to": to}

    def action_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        newsletter = get_object_or_404(Newsletter, pk=pk)
        what = request.POST.get("do", "")
        try:
            if what == "send":
                sending.newsletter_send(newsletter=newsletter, by=request.user)
                done = "Sending started."
            elif what == "pause":
                sending.newsletter_pause(newsletter=newsletter)
                done = "Paused. Messages already sent stay sent; resume to send the rest."
            elif what == "resume":
                sending.newsletter_resume(newsletter=newsletter)
                done = "Resumed."
            elif what == "cancel":
                sending.newsletter_cancel(newsletter=newsletter)
                done = "Cancelled. Nobody who had not received it yet will receive it."
            elif what == "unschedule":
                sending.newsletter_unschedule(newsletter=newsletter)
                done = "Back to draft."
            elif what == "schedule":
                form = ScheduleForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("Enter the date and time to send at, e.g. 2026-12-01 09:00.")
                sending.newsletter_schedule(
                    newsletter=newsletter, at=form.cleaned_data["at"], by=request.user
                )
                done = f"Scheduled for {form.cleaned_data['at']:%d %b %Y %H:%M} UTC."
            elif what == "test":
                done = self._test_send(request, newsletter)
            else:
                raise ValidationError("Unknown action.")
        except (InvalidTransition, ValidationError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            if _wants_json(request):
                return JsonResponse({"ok": False, "message": text}, status=400)
            self.message_user(request, text, messages.ERROR)
        else:
            if _wants_json(request):
                return JsonResponse({"ok": True, "message": done})
            self.message_user(request, done, messages.SUCCESS)
        return redirect(reverse("admin:newsletters_newsletter_change", args=[pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        newsletter = self.get_object(request, object_id)
        extra = extra_context or {}
        if newsletter is not None:
            extra.update(
                progress_html=_progress_bar(selectors.newsletter_progress(newsletter=newsletter)),
                audience_count=selectors.newsletter_audience_count(newsletter=newsletter),
                schedule_form=ScheduleForm(),
                test_form=TestSendForm(initial={"to": request.user.email}),
                newsletter=newsletter,
                scheduler_running=scheduler.scheduler_running(),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)


@admin.register(Delivery)
class DeliveryAdmin(CoalitionExportMixin, ModelAdmin):
    list_display = ["id", "newsletter", "subscriber", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "newsletter"]
    list_select_related = ["newsletter", "subscriber"]
    search_fields = ["subscriber__email"]
    autocomplete_fields = ["subscriber"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BounceEvent)
class BounceEventAdmin(CoalitionExportMixin, ModelAdmin):
    list_display = ["subscriber", "kind", "provider", "occurred_at", "description"]
    list_filter = ["kind", "provider"]
    list_select_related = ["subscriber"]
    search_fields = ["subscriber__email"]
    autocomplete_fields = ["subscriber"]

    def has_add_permission(self, request) -> bool:
        return False
