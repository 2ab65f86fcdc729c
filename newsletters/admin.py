"""Staff screens: topics, subscribers (export, erase), the newsletter editor (preview, test send, schedule,
send, pause, resume, cancel) with a progress bar, and deliveries. Each button calls one service."""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from coalition import scheduler
from coalition.admin_inlines import TabularInline
from coalition.dates import secretariat_today
from coalition.exceptions import InvalidTransition
from coalition.forms import DeleteEachThroughService, ReadOnlyRecords, admin_adopt_saved, labelled_cells_form
from coalition.translations_admin import TranslationsAdminMixin, translations_form
from members.admin_export import CoalitionExportMixin
from members.matching import normalise_email
from members.models import Organisation
from newsletters import api, selectors, services
from newsletters.forms import ScheduleForm, TestSendForm
from newsletters.models import (
    BounceEvent,
    ConsentRecord,
    ConsentWording,
    Delivery,
    ErasedAddress,
    Newsletter,
    NewsletterTranslation,
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
        '<div class="progress" role="progressbar" aria-label="{}" aria-valuenow="{}" aria-valuemin="0" '
        'aria-valuemax="100" '
        'style="background:#d5dfdb;height:.8rem;border-radius:4px;overflow:hidden">'
        '<span style="display:block;height:100%;width:{}%;background:#0b6e4f"></span></div>'
        "<small>{} %: {} sent, {} queued, {} failed, {} skipped of {}{}</small></div>",
        _("Sending progress"),
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


def _sentence(template: str, **parts) -> SafeString:
    """A translated sentence as HTML: the sentence and every part escaped (a part may be markup already
    made safe, such as a <time> element); the server's words are untrusted text."""
    escaped = {key: conditional_escape(value) for key, value in parts.items()}
    return mark_safe(conditional_escape(template) % escaped)  # noqa: S308 - the sentence and parts are escaped


def _local_time(value) -> str:
    """The time in the site's zone, as the page writes times: the hour today, with the date otherwise."""
    local = timezone.localtime(value)
    same_day = local.date() == secretariat_today()
    return dateformat.format(local, "H:i" if same_day else "d M Y H:i")


def _waiting_line(waiting: selectors.Waiting | None, *, status: str) -> str:
    """Why nothing moves: how many messages wait for a retry, what the mail server said and when the
    next try is (or that sending is paused). Empty when nothing waits."""
    if waiting is None:
        return ""
    n = waiting.count
    reason = Truncator(waiting.reason).chars(300)
    if not reason:
        said = _sentence(
            ngettext("%(count)s message waits for a retry.", "%(count)s messages wait for a retry.", n),
            count=n,
        )
    elif waiting.reason_count < n:
        said = _sentence(
            ngettext(
                "%(count)s message waits for a retry — for %(common)s of them the mail server said: "
                "%(reason)s",
                "%(count)s messages wait for a retry — for %(common)s of them the mail server said: "
                "%(reason)s",
                n,
            ),
            count=n,
            common=waiting.reason_count,
            reason=format_html('<q class="newsletter-waiting-reason">{}</q>', reason),
        )
    else:
        said = _sentence(
            ngettext(
                "%(count)s message waits for a retry — the mail server said: %(reason)s",
                "%(count)s messages wait for a retry — the mail server said: %(reason)s",
                n,
            ),
            count=n,
            reason=format_html('<q class="newsletter-waiting-reason">{}</q>', reason),
        )
    when = format_html(
        '<time datetime="{}">{}</time>',
        waiting.next_attempt_at.isoformat(),
        _local_time(waiting.next_attempt_at),
    )
    if status == Newsletter.Status.PAUSED:
        template = ngettext(
            "Sending is paused: it is tried again once sending resumes, not before %(time)s (%(zone)s).",
            "Sending is paused: they are tried again once sending resumes, not before %(time)s (%(zone)s).",
            n,
        )
    else:
        template = _("Next try at %(time)s (%(zone)s).")
    return format_html(
        '<p class="newsletter-waiting" id="newsletter-waiting"><strong>{}</strong> {} {}</p>',
        _("Waiting:"),
        said,
        _sentence(template, time=when, zone=timezone.get_current_timezone_name()),
    )


def _waiting_json(waiting: selectors.Waiting | None) -> dict | None:
    if waiting is None:
        return None
    return {
        **waiting.as_dict(),
        "next_attempt_at": waiting.next_attempt_at.isoformat(),
        "next_attempt_local": _local_time(waiting.next_attempt_at),
        "time_zone": timezone.get_current_timezone_name(),
    }


def _progress_panel(newsletter: Newsletter, progress: selectors.Progress, waiting: selectors.Waiting | None):
    """The editor's progress panel: the bar, then why messages wait, if they do."""
    return format_html("{}{}", _progress_bar(progress), _waiting_line(waiting, status=newsletter.status))


# Statuses after which a newsletter has an outcome to show (delivered, failed, bounced, unsubscribed).
OUTCOME_STATUSES = (
    Newsletter.Status.SENDING,
    Newsletter.Status.PAUSED,
    Newsletter.Status.SENT,
    Newsletter.Status.CANCELLED,
)


@admin.register(Topic)
class TopicAdmin(DeleteEachThroughService, CoalitionExportMixin, TranslationsAdminMixin, ModelAdmin):
    # Name and description as the sign-up and preferences pages show them in French and Spanish.
    translated = {"name_translations": "name", "description_translations": "description"}
    form = translations_form(Topic, translated)
    list_display = ["name", "slug", "public", "default", "sort_order", "subscriber_count"]
    list_editable = ["public", "default", "sort_order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def get_changelist_form(self, request, **kwargs):
        return labelled_cells_form(super().get_changelist_form(request, **kwargs))

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

    # Writes go through the topic services (the list's editable columns too).
    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in services.TOPIC_FIELDS}
        if change:
            services.topic_update(topic=Topic.objects.get(pk=obj.pk), **fields)
        else:
            admin_adopt_saved(obj, services.topic_create(**fields))

    def delete_blockers(self, obj) -> list[str]:
        return [
            format_html("Newsletter not yet sent: {} ({})", n.subject, n.get_status_display().lower())
            for n in services.topic_delete_blockers(topic=obj)
        ]

    def delete_model(self, request, obj):
        services.topic_delete(topic=obj)


@admin.register(ConsentWording)
class ConsentWordingAdmin(ModelAdmin):
    list_display = ["version", "text", "created_at"]
    readonly_fields = ["version"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Published wording is evidence of what people agreed to: add a new version instead.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Nor deleted: the sign-up form may have shown it to someone confirming now, and a deleted latest
        # version would give its number to the next, different text. A new version replaces it.
        return False

    def save_model(self, request, obj, form, change):
        created = subscriptions.consent_wording_publish(text=obj.text)
        obj.pk, obj.version = created.pk, created.version


class ConsentInline(TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "method",
        "wording",
        "language",
        "wording_text",
        "ip_address",
        "requested_name",
        "confirmed_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def topic_boxes(db_field, formfield):
    """Topics as ticked boxes alone: adding or editing a topic is the topics page's job, not a menu beside
    the boxes (the composer's boxes also show each topic's audience)."""
    if db_field.name == "topics" and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
        formfield.widget = formfield.widget.widget
    return formfield


class SubscriberAdminForm(forms.ModelForm):
    class Meta:
        model = Subscriber
        # What staff write (status and dates are read-only fields of the page).
        fields = ["email", "name", "contact", "topics", "preferred_language"]

    def clean_email(self):
        email = self.cleaned_data["email"]
        if self.instance.pk is None:
            # The rule of every staff sign-up (save_model's subscription_request applies it too), shown
            # on the form rather than as an error page.
            try:
                subscriptions.staff_signup_check(email=email)
            except ValidationError as error:
                raise ValidationError(error.message_dict["email"]) from error
        return email


@admin.register(Subscriber)
class SubscriberAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = SubscriberAdminForm
    list_display = ["email", "name", "status", "topic_list", "organisation", "confirmed_at"]
    list_filter = ["status", "topics"]
    search_fields = ["email", "name"]
    list_select_related = ["contact__organisation"]
    autocomplete_fields = ["contact"]
    readonly_fields = ["status", "confirmed_at", "status_changed_at", "key", "created_at"]
    inlines = [ConsentInline]
    change_form_template = "admin/newsletters/subscriber/change_form.html"
    # Bounces are never deleted by hand, but erasing a person erases what the provider said of them.
    deleted_along = (BounceEvent,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    def get_readonly_fields(self, request, obj=None):
        # The address is whom consent was given for: a new address is a new sign-up, confirmed by its owner.
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "email"] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        # The admin is one more door: a staff addition is a sign-up like the API's (pending, an "import"
        # consent record, the confirmation email); an edit goes through subscriber_update.
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in ("name", "contact", "preferred_language") if name in data}
            if "topics" in data:
                fields["topics"] = list(data["topics"])
            subscriptions.subscriber_update(subscriber=obj, by=request.user, **fields)
            return
        subscriptions.subscription_request(
            email=data["email"],
            name=data.get("name") or "",
            topics=list(data.get("topics") or []),
            method=ConsentRecord.Method.IMPORT,
            contact=data.get("contact"),
            language=data.get("preferred_language") or None,
        )
        saved = Subscriber.objects.get(email=normalise_email(data["email"]))
        admin_adopt_saved(obj, saved)
        self.message_user(
            request,
            _("A confirmation email is on its way to %(email)s; newsletters start once they confirm.")
            % {"email": saved.email},
            messages.INFO,
        )

    def save_related(self, request, form, formsets, change):
        # Topics were set by the service (the consent inline is read-only).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        # Deleting is erasing: delivery counts stay, anonymous; queued deliveries are skipped.
        subscriptions.subscriber_erase(subscriber=obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Ticked boxes, as on the composer and the preferences page: a coalition has a handful of topics,
        # and the two-box picker was a control screen readers could not name (axe).
        if db_field.name == "topics":
            kwargs["widget"] = UnfoldAdminCheckboxSelectMultipleWidget()
        return topic_boxes(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

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
        # Ticked topics: the audience count beside them follows each tick.
        widgets = {"topics": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        topics = self.fields.get("topics")
        if topics is not None:
            # Each topic with its confirmed subscribers, so the picker shows who each tick reaches.
            topics.queryset = selectors.topics_with_confirmed_counts()
            topics.label_from_instance = lambda topic: (
                ngettext(
                    "%(name)s (%(count)s confirmed)", "%(name)s (%(count)s confirmed)", topic.n_confirmed
                )
                % {"name": topic.name, "count": topic.n_confirmed}
            )

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


@admin.register(NewsletterTranslation)
class NewsletterTranslationAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    """The newsletter in other languages (its own fields are the English version); a page of its own, so
    the newsletter's editor form is unchanged. Saved and deleted through the newsletter services."""

    list_display = ["newsletter", "language", "subject"]
    list_filter = ["language"]
    list_select_related = ["newsletter"]
    search_fields = ["subject", "newsletter__subject"]
    autocomplete_fields = ["newsletter"]
    fields = ["newsletter", "language", "subject", "preheader", "body_markdown"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "language":  # English is the newsletter's own version
            kwargs["choices"] = [c for c in settings.LANGUAGES if c[0] != "en"]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"newsletter": request.GET.get("newsletter"), "language": request.GET.get("language")}

    def get_readonly_fields(self, request, obj=None):
        return ["newsletter", "language"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        try:
            saved = services.newsletter_translation_save(
                newsletter=obj.newsletter,
                language=obj.language,
                subject=obj.subject,
                preheader=obj.preheader,
                body_markdown=obj.body_markdown,
            )
        except InvalidTransition as exc:
            raise PermissionDenied(str(exc)) from exc
        obj.pk = saved.pk

    def delete_blockers(self, obj) -> list[str]:
        return [services.newsletter_translation_delete_blocker(translated=obj)]

    def delete_model(self, request, obj):
        services.newsletter_translation_delete(translated=obj)

    def response_add(self, request, obj, post_url_continue=None):
        if "_continue" not in request.POST and "_addanother" not in request.POST:
            return redirect(reverse("admin:newsletters_newsletter_change", args=[obj.newsletter_id]))
        return super().response_add(request, obj, post_url_continue)


@admin.register(Newsletter)
class NewsletterAdmin(DeleteEachThroughService, CoalitionExportMixin, ModelAdmin):
    form = NewsletterAdminForm
    resource_classes = [NewsletterResource]
    list_display = ["subject", "kind", "status", "scheduled_at", "started_at", "progress_bar"]
    list_filter = ["status", "kind", "topics"]
    search_fields = ["subject"]
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
    # Deliveries are never deleted by hand, but a newsletter the service lets go (one that reached no one)
    # takes its queued or cancelled rows with it.
    deleted_along = (Delivery,)

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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return topic_boxes(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

    def save_model(self, request, obj, form, change):
        # The form already saved through newsletter_create/newsletter_update while validating (so a
        # refusal is a form error); adopt the saved row for the admin's message, log and redirect.
        obj.pk = form.saved.pk
        obj.refresh_from_db()

    def delete_blockers(self, obj) -> list[str]:
        return [services.newsletter_delete_blocker(newsletter=obj)]

    def delete_model(self, request, obj):
        services.newsletter_delete(newsletter=obj)

    def save_related(self, request, form, formsets, change):
        # Topics were set by the service; there are no inlines (other languages have their own page).
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
            path(
                "composer/preview/",
                self.admin_site.admin_view(self.composer_preview_view),
                name="newsletters_newsletter_composer_preview",
            ),
            path(
                "composer/audience/",
                self.admin_site.admin_view(self.composer_audience_view),
                name="newsletters_newsletter_composer_audience",
            ),
            view(self.preview_view, "preview"),
            view(self.progress_view, "progress"),
            view(self.action_view, "act"),
            view(self.confirm_send_view, "confirm"),
            *super().get_urls(),
        ]

    # --- The composer's live parts: staff-only reads of what the form holds now (nothing is saved) ---

    def composer_preview_view(self, request: HttpRequest) -> HttpResponse:
        """The email as a recipient would get it, from the posted subject, preheader and body."""
        if request.method != "POST" or not self.has_view_permission(request):
            raise PermissionDenied
        data = request.POST
        pk = data.get("newsletter", "")
        saved = get_object_or_404(Newsletter, pk=int(pk)) if pk.isdigit() else None
        if saved is not None and not saved.is_editable:
            draft = saved  # what was sent, frozen: the form shows it read-only
        else:
            draft = Newsletter(
                pk=saved.pk if saved else None,
                subject=data.get("subject", "")[:1000],
                preheader=data.get("preheader", "")[:1000],
                body_markdown=data.get("body_markdown", "")[:200_000],
            )
        rendered = services.newsletter_preview(newsletter=draft, name=request.user.get_full_name())
        return JsonResponse({"subject": rendered.subject, "html": rendered.html, "text": rendered.text})

    def composer_audience_view(self, request: HttpRequest) -> HttpResponse:
        """How many confirmed subscribers the posted topics and organisation filters reach."""
        if request.method != "POST" or not self.has_view_permission(request):
            raise PermissionDenied
        data = request.POST
        topics = [int(pk) for pk in data.getlist("topics") if pk.isdigit()]
        kinds = [k for k in data.getlist("organisation_kinds") if k in Organisation.Kind.values]
        codes = [c for c in data.getlist("organisation_countries") if c in countries]
        count = (
            selectors.audience_count_for(
                topics=topics, organisation_kinds=kinds, organisation_countries=codes
            )
            if topics
            else 0
        )
        if not topics:
            text = _("Choose at least one topic to see who it goes to.")
        else:
            text = ngettext(
                "Goes to %(count)s confirmed subscriber.",
                "Goes to %(count)s confirmed subscribers.",
                count,
            ) % {"count": count}
        return JsonResponse({"count": count, "text": text})

    def confirm_send_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The confirmation step before sending: the saved subject, topics and the audience size, and one
        button that sends through the same action as "Send now"."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        newsletter = get_object_or_404(Newsletter, pk=pk)
        return TemplateResponse(
            request,
            "admin/newsletters/newsletter/confirm_send.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Send “%(subject)s”?") % {"subject": newsletter.subject},
                "newsletter": newsletter,
                "audience_count": selectors.newsletter_audience_count(newsletter=newsletter),
                "can_send": sending.transition_allowed(newsletter=newsletter, to=Newsletter.Status.SENDING),
                "topics": list(newsletter.topics.all()),
            },
        )

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        newsletter = get_object_or_404(Newsletter, pk=pk)
        response = HttpResponse(
            api.preview_html(
                newsletter, name=request.user.get_full_name(), language=request.GET.get("language")
            )
        )
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        newsletter = get_object_or_404(Newsletter, pk=pk)
        progress = selectors.newsletter_progress(newsletter=newsletter)
        waiting = selectors.newsletter_waiting(newsletter=newsletter)
        outcome = None
        if newsletter.status in OUTCOME_STATUSES:
            outcome = selectors.newsletter_outcome(newsletter=newsletter).as_dict()
        return JsonResponse(
            {
                **progress.as_dict(),
                "html": _progress_panel(newsletter, progress, waiting),
                "waiting": _waiting_json(waiting),
                "status_display": newsletter.get_status_display(),
                "outcome": outcome,
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
        language = request.POST.get("test_language") or None
        services.newsletter_test_send(
            newsletter=draft, to=to, name=request.user.get_full_name(), language=language
        )
        if language:
            which = _("%(which)s, in the version for %(language)s readers") % {
                "which": which,
                "language": dict(settings.LANGUAGES).get(language, language),
            }
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
                at = timezone.localtime(form.cleaned_data["at"])
                done = _("Scheduled for %(at)s (%(zone)s).") % {
                    "at": f"{at:%d %b %Y %H:%M}",
                    "zone": timezone.get_current_timezone_name(),
                }
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
                progress_html=_progress_panel(
                    newsletter,
                    selectors.newsletter_progress(newsletter=newsletter),
                    selectors.newsletter_waiting(newsletter=newsletter),
                ),
                audience_count=selectors.newsletter_audience_count(newsletter=newsletter),
                audience_by_language=[
                    (code, dict(settings.LANGUAGES).get(code, code), count)
                    for code, count in selectors.newsletter_audience_by_language(
                        newsletter=newsletter
                    ).items()
                ],
                languages=settings.LANGUAGES,
                versions=list(newsletter.translations.all()),
                schedule_form=ScheduleForm(),
                test_form=TestSendForm(initial={"to": request.user.email}),
                newsletter=newsletter,
                scheduler_running=scheduler.scheduler_running(),
                # On the embedded default the scheduler process does the sending (coalition/queueing.py).
                sent_by_scheduler=settings.CELERY_TASK_ALWAYS_EAGER,
                outcome=selectors.newsletter_outcome(newsletter=newsletter)
                if newsletter.status in OUTCOME_STATUSES
                else None,
                scheduled_local=timezone.localtime(newsletter.scheduled_at)
                if newsletter.scheduled_at
                else None,
            )
        extra.update(self._composer_context(request))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def add_view(self, request, form_url="", extra_context=None):
        extra = {**(extra_context or {}), **self._composer_context(request)}
        return super().add_view(request, form_url, extra_context=extra)

    def _composer_context(self, request: HttpRequest) -> dict:
        return {
            "composer": True,
            "time_zone": timezone.get_current_timezone_name(),
            "now_local": timezone.localtime(),
            "my_email": request.user.email,
        }


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyRecords, CoalitionExportMixin, ModelAdmin):
    # The record of who received what, which a resumed sending reads: never changed or deleted by hand.
    list_display = ["id", "newsletter", "subscriber", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "newsletter"]
    list_select_related = ["newsletter", "subscriber"]
    search_fields = ["subscriber__email"]
    autocomplete_fields = ["subscriber"]
    show_full_result_count = False


@admin.register(BounceEvent)
class BounceEventAdmin(ReadOnlyRecords, CoalitionExportMixin, ModelAdmin):
    # What the mail provider reported, which suppressed (or counts towards suppressing) the address:
    # evidence, read-only. A subscriber who fixed their mailbox signs up again and confirms.
    list_display = ["subscriber", "kind", "provider", "occurred_at", "description"]
    list_filter = ["kind", "provider"]
    list_select_related = ["subscriber"]
    search_fields = ["subscriber__email"]
    autocomplete_fields = ["subscriber"]


@admin.register(ErasedAddress)
class ErasedAddressAdmin(ReadOnlyRecords, ModelAdmin):
    """The marks left by erasures (``subscriber_erase``), read-only: when an address was erased, found by the
    whole address. A mark keeps no address, only a keyed hash of it, so a part of one finds nothing (and
    there is no export: a list of hashes and dates says nothing in a spreadsheet). Deleting a mark would
    let staff sign the person up again; the person's own confirmed sign-up removes it (see ErasedAddress).
    """

    list_display = ["erased_at"]
    search_fields = ["digest"]  # searched by the hash of the address typed (get_search_results)
    search_help_text = gettext_lazy(
        "Type a whole email address to see whether and when it was erased. Only a keyed hash of each "
        "erased address is kept, so a part of an address or a name finds nothing."
    )
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" not in term:
            return queryset.none(), False
        return queryset.filter(digest__in=subscriptions.erased_digests(term)), False
