from django import forms
from django.conf import settings
from django.db import models
from django.utils import timezone


class _LanguageFormField(forms.TypedChoiceField):
    """May be left out of a submitted form: then it has not changed, and the record keeps its language."""

    def has_changed(self, initial, data) -> bool:
        return data is not None and super().has_changed(initial, data)


class LanguageField(models.CharField):
    """A language code from ``settings.LANGUAGES``. Its form field offers only real languages and may be
    left out of a submitted form (the value stays as it was), so forms written before the field existed
    keep working."""

    def formfield(self, **kwargs):
        kwargs.setdefault("choices_form_class", _LanguageFormField)
        field = super().formfield(**kwargs)
        field.required = False
        return field


def preferred_language_field() -> models.CharField:
    """The language a person or organisation is written to in (emails, newsletters): one of
    ``settings.LANGUAGES``, English by default."""
    return LanguageField(
        "preferred language",
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text="Emails and newsletters go out in this language (English where no version exists).",
    )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class StateChange(models.Model):
    """One row of a state-change log: who made the change, when, and why.

    The concrete log adds what changed (its own from/to fields) and what it belongs to. ``at`` defaults to
    now but may be given, so one instant can stamp both the log row and the row it moved.
    """

    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class OutboundEmail(TimeStampedModel):
    """One transactional email (acknowledgement, welcome, confirmation, invitation...).

    The row is written in the same transaction as the change that causes it, so it is the durable record
    of what still has to be sent: a task sends it after commit, and ``outbox_sweep`` re-queues anything a
    broker outage dropped. ``dedupe_key`` makes "send this once" a database constraint.
    Newsletters do not go through here; they have their own per-recipient delivery rows.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(
        max_length=64, db_index=True, help_text="What this email is, e.g. enquiry.acknowledgement"
    )
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    to = models.CharField(max_length=254)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # [{"filename": ..., "mimetype": ..., "content_b64": ...}]
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"
