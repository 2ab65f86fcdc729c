"""Import and export of subscribers (CSV, XLSX), and export of the newsletter list.

``SubscriberResource`` plugs into the import machinery of ``members.imports.services`` (registered as
"subscribers" in ``NewslettersConfig.ready``). A row is matched to a subscriber by email in any case, so
importing never creates a second subscriber for an address. What a row does is decided by
``subscriptions.subscriber_import``: a known subscriber gets the row's name and topics and keeps their status
(someone who unsubscribed stays unsubscribed); a new address becomes a pending subscriber with an "import"
consent record and is sent the usual double opt-in confirmation, so only people who confirm ever receive
newsletters. An address whose owner asked to be erased is refused there (``staff_signup_check``), which the
preview and the import show as the row's error on the email column. A blank name cell leaves a known
subscriber's name as it is.

The ``topics`` column takes topic slugs or names separated by commas; an unknown topic is a row error. For a
known subscriber the cell follows the job's mode, so that an import never takes a topic away by surprise:
"fill" (the default) adds the listed topics to theirs, "overwrite" sets exactly the listed topics, "skip"
leaves them alone; a blank cell removes none unless "blank cells clear fields" is ticked (overwrite only).
The preview lists the topics before → after like any other field: subscribers keep no history, so a
subscriber import cannot be reverted, and the preview is the one chance to see what it will do.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from import_export import fields, resources, widgets

from members.imports.resources import (
    MODE_OVERWRITE,
    MODE_SKIP,
    ChoiceWidget,
    CoalitionResource,
    EmailWidget,
    SingleLineWidget,
    _text,
)
from newsletters.models import Newsletter, Subscriber, Topic
from newsletters.subscriptions import services as subscriptions


class TopicsWidget(widgets.ManyToManyWidget):
    """Topic slugs or names, comma-separated, in any case. Blank gives None: leave the topics as they are."""

    def __init__(self, resource: SubscriberResource | None = None) -> None:
        super().__init__(Topic, separator=",", field="slug")
        self.resource = resource

    def clean(self, value, row=None, **kwargs) -> list[Topic] | None:
        text = _text(value)
        if not text:
            return None
        lookup = self.resource.topics_by_key if self.resource is not None else {}
        chosen: list[Topic] = []
        unknown: list[str] = []
        for part in (p.strip() for p in text.split(self.separator)):
            if not part:
                continue
            topic = lookup.get(part.casefold())
            if topic is None:
                unknown.append(part)
            elif topic not in chosen:
                chosen.append(topic)
        if unknown:
            known = ", ".join(sorted({t.slug for t in lookup.values()})) or "none yet"
            names = ", ".join(f"“{u}”" for u in unknown)
            raise ValueError(f"No topic is called {names}; use a topic slug or name ({known}).")
        return chosen or None

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        # ``.all()`` uses the list's prefetched topics, so an export costs the same for any number of rows.
        return ", ".join(t.slug for t in value.all())


class SubscriberResource(CoalitionResource):
    email = fields.Field(attribute="email", column_name="email", widget=EmailWidget())
    name = fields.Field(attribute="name", column_name="name", widget=SingleLineWidget())
    topics = fields.Field(attribute="topics", column_name="topics", widget=TopicsWidget())
    preferred_language = fields.Field(
        attribute="preferred_language",
        column_name="preferred_language",
        widget=ChoiceWidget(settings.LANGUAGES, noun="language", default="en"),
    )
    # Exported for reading, never imported: status changes only by confirming, unsubscribing or bouncing.
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    confirmed_at = fields.Field(
        attribute="confirmed_at", column_name="confirmed_at", readonly=True, widget=widgets.DateTimeWidget()
    )

    required_columns = ("email",)
    key_column = "email"
    person_names = True

    class Meta:
        model = Subscriber
        fields = ("email", "name", "topics", "preferred_language", "status", "confirmed_at")
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        clean_model_instances = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.topics_by_key: dict[str, Topic] = {}
        self.topics_by_id: dict[int, Topic] = {}
        self.existing: dict[str, Subscriber] = {}
        self.topic_ids: dict[int, set[int]] = {}
        self.fields["topics"].widget = TopicsWidget(self)

    # Keys and matching -------------------------------------------------------------------------------

    @staticmethod
    def _email(row: dict[str, Any]) -> str:
        return _text(row.get("email")).lower()

    def row_key(self, row):
        email = self._email(row)
        return f"email {email}" if email else None

    def key_field(self, row) -> str:
        return "email"

    def prepare(self, dataset) -> None:
        # Topics are a short, staff-managed list: all of them, by slug and by name.
        for topic in Topic.objects.all():
            self.topics_by_id[topic.pk] = topic
            self.topics_by_key[topic.slug.casefold()] = topic
            self.topics_by_key.setdefault(topic.name.casefold(), topic)
        emails = {self._email(row) for row in dataset.dict} - {""}
        if not emails:
            return
        # Lower() matches the unique index on lower(email), and any address stored before it was normalised.
        for subscriber in Subscriber.objects.annotate(email_lower=Lower("email")).filter(
            email_lower__in=emails
        ):
            self.existing[subscriber.email_lower] = subscriber
        for subscriber_id, topic_id in Subscriber.topics.through.objects.filter(
            subscriber_id__in=[s.pk for s in self.existing.values()]
        ).values_list("subscriber_id", "topic_id"):
            self.topic_ids.setdefault(subscriber_id, set()).add(topic_id)

    def match(self, row):
        return self.existing.get(self._email(row))

    # Import workflow ---------------------------------------------------------------------------------

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        # A blank name (or language) keeps a known subscriber's rather than erasing it.
        if (
            field.attribute in ("name", "preferred_language")
            and instance.pk
            and not _text(row.get(field.column_name))
        ):
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # The machinery skips many-to-many cells here and only reads them after saving; topics are read
        # now so an unknown topic is a row error on the topics column, before anything is written.
        instance._import_topics = None
        if "topics" in row:
            try:
                listed = self.fields["topics"].clean(row)
            except ValueError as error:
                errors["topics"] = [str(error)]
            else:
                instance._import_topics = self.topics_after(instance, listed)
                self._note_topics_change(instance)
        if errors:
            raise ValidationError(errors)

    def topics_after(self, instance: Subscriber, listed: list[Topic] | None) -> list[Topic] | None:
        """The subscriber's topics once the row is applied (None: left as they are), by the job's mode.

        A new subscriber gets the listed topics (none listed: the default ones, as any sign-up). A known one
        gets them added in "fill", gets exactly them in "overwrite", and keeps theirs in "skip"; a blank cell
        (``listed`` None) removes nothing unless blank cells clear fields. Topics are what a person chose
        to receive: replacing them is only ever what staff asked for.
        """
        if instance.pk is None:
            return listed
        if self.mode == MODE_SKIP:
            return None
        if listed is None:
            return [] if self.clear_blanks else None
        if self.mode == MODE_OVERWRITE:
            return listed
        current = self.topic_ids.get(instance.pk, set())
        return [*self._topics(current), *(t for t in listed if t.pk not in current)]

    def _topics(self, ids: set[int]) -> list[Topic]:
        return [self.topics_by_id[pk] for pk in ids if pk in self.topics_by_id]

    def _note_topics_change(self, instance: Subscriber) -> None:
        """Add the topics' before → after to the row's changes (the preview's list). The generic diff cannot
        see it: topics are written only when the row is saved, after the diff is taken."""
        after = instance._import_topics
        if instance.pk is None or after is None:
            return
        before = self.topic_ids.get(instance.pk, set())
        if {t.pk for t in after} == before:
            return
        shown = lambda topics: ", ".join(sorted(t.slug for t in topics))  # noqa: E731 - as the export writes them
        self.row_changes.setdefault(self._row_number, []).append(
            [self.fields["topics"].column_name, shown(self._topics(before)), shown(after)]
        )

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if import_validation_errors or instance.pk is None:
            return False
        if self.mode == MODE_SKIP:
            return True
        original = self.original if original is None else original  # kept by CoalitionResource
        if instance.name != original.name or instance.preferred_language != original.preferred_language:
            return False
        topics = getattr(instance, "_import_topics", None)
        return topics is None or {t.pk for t in topics} == self.topic_ids.get(instance.pk, set())

    def save_record(self, instance, is_create: bool) -> None:
        subscriber, _ = subscriptions.subscriber_import(
            email=instance.email,
            name=instance.name,
            topics=instance._import_topics,
            language=instance.preferred_language,
        )
        for name in ("pk", "key", "status", "confirmed_at", "created_at", "updated_at"):
            setattr(instance, name, getattr(subscriber, name))

    def save_m2m(self, instance, row, **kwargs) -> None:
        # ``subscriber_import`` already set the topics.
        return None


class NewsletterResource(resources.ModelResource):
    """The newsletter list as a sheet: what was sent, to which topics, when, and how delivery went."""

    topics = fields.Field(
        attribute="topics", column_name="topics", widget=widgets.ManyToManyWidget(Topic, field="slug")
    )
    sent = fields.Field(attribute="n_sent", column_name="sent", readonly=True)
    failed = fields.Field(attribute="n_failed", column_name="failed", readonly=True)
    total = fields.Field(attribute="total", column_name="recipients", readonly=True)

    class Meta:
        model = Newsletter
        fields = (
            "id",
            "subject",
            "kind",
            "status",
            "topics",
            "scheduled_at",
            "started_at",
            "finished_at",
            "total",
            "sent",
            "failed",
        )
