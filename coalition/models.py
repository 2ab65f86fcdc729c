import logging
from contextlib import nullcontext

from django import forms
from django.conf import settings
from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, Q
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE
from django.utils import timezone

log = logging.getLogger(__name__)


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


def _failing_checks(instance, model_class, checks: list, *, exclude, using: str) -> set[int] | None:
    """The ids of the ``checks`` (``CheckConstraint``s of ``model_class``) the instance's values break,
    asked in one query; None if the database could not answer it.

    Django asks each check constraint in a query of its own, in a savepoint of its own when in a
    transaction: three queries a constraint, for every ``full_clean``. This is the same question (each
    condition over the instance's values, NULL counting as met, as a CHECK does), one column per
    constraint. A constraint naming a field in ``exclude`` is skipped, as Django skips it."""
    query = Query(None)
    against = instance._get_field_expression_map(meta=model_class._meta, exclude=exclude)
    # Only the fields the conditions name ("pk" among them if one does); Django's own check binds every field
    # of the model. The map holds expressions already (each value a ``Value`` of its field).
    named = set().union(*(Q(constraint.condition).referenced_base_fields for constraint in checks))
    for name, value in against.items():
        if name in named:
            query.add_annotation(value, name, select=False)
    asked = []
    for constraint in checks:
        try:
            query.add_annotation(
                Coalesce(Q(constraint.condition), True, output_field=BooleanField()), f"_check_{len(asked)}"
            )
        except FieldError:  # it names an excluded field
            continue
        asked.append(constraint)
    if not asked:
        return set()
    connection = connections[using]
    try:
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError:
        log.warning("could not check the constraints of %s in one query", model_class.__name__, exc_info=True)
        return None
    return {id(constraint) for constraint, met in zip(asked, row, strict=True) if not met}


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        """Django's ``validate_constraints`` (the same errors, in the same order), with a model's check
        constraints asked in one query (``_failing_checks``) instead of one each."""
        using = router.db_for_write(self.__class__, instance=self)
        errors: dict = {}
        for model_class, constraints in self.get_constraints():
            checks = [c for c in constraints if isinstance(c, models.CheckConstraint)]
            failing = (
                _failing_checks(self, model_class, checks, exclude=exclude, using=using) if checks else set()
            )
            for constraint in constraints:
                try:
                    if failing is not None and isinstance(constraint, models.CheckConstraint):
                        if id(constraint) in failing:
                            raise ValidationError(
                                constraint.get_violation_error_message(), code=constraint.violation_error_code
                            )
                        continue
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


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
