"""Serializers of the newsletters API (the viewsets are in ``newsletters/api.py``).

Writes go through the services; these only read and check the shape of what is sent.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy
from django_countries import countries
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from coalition.antispam import spam_problem
from coalition.api import TranslationsField
from coalition.representation import ModelSerializer
from coalition.validators import validate_single_line
from members.models import Contact, Organisation
from newsletters import selectors
from newsletters.models import Newsletter, NewsletterTranslation, Subscriber, Topic


class SubscriptionRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254,
        error_messages={"invalid": gettext_lazy("Please send an email address like name@example.org.")},
    )
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[validate_single_line]
    )
    topics = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Topic.objects.filter(public=True),
        many=True,
        required=False,
        error_messages={"does_not_exist": gettext_lazy("There is no topic {value} to subscribe to.")},
    )
    homepage = serializers.CharField(required=False, allow_blank=True, help_text="Honeypot: leave empty.")
    form_started = serializers.CharField(required=False, allow_blank=True)
    preferred_language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The language of the confirmation email and of the newsletters; by default the request's "
        "language (Accept-Language), else English.",
    )

    def validate(self, attrs):
        problem = spam_problem(
            honeypot=attrs.get("homepage"), started_token=attrs.get("form_started"), require_started=False
        )
        if problem:
            raise serializers.ValidationError({"detail": problem})
        return attrs


class TopicSerializer(ModelSerializer):
    name_translations = TranslationsField(max_length=Topic._meta.get_field("name").max_length)
    description_translations = TranslationsField(max_length=Topic._meta.get_field("description").max_length)

    class Meta:
        model = Topic
        fields = [
            "id",
            "name",
            "name_translations",
            "slug",
            "description",
            "description_translations",
            "public",
            "default",
            "sort_order",
        ]


class SubscriberSerializer(ModelSerializer):
    topics = serializers.SlugRelatedField(slug_field="slug", queryset=Topic.objects.all(), many=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    organisation = serializers.SerializerMethodField()

    class Meta:
        model = Subscriber
        fields = [
            "id",
            "email",
            "name",
            "status",
            "topics",
            "contact",
            "organisation",
            "preferred_language",
            "confirmed_at",
            "status_changed_at",
            "created_at",
        ]
        read_only_fields = ["status", "confirmed_at", "status_changed_at", "created_at"]

    def get_organisation(self, obj) -> str | None:
        return obj.contact.organisation.name if obj.contact_id else None


class SubscriberCreateSerializer(serializers.Serializer):
    """Staff add someone (an import, a card at an event): they still confirm by email."""

    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[validate_single_line]
    )
    topics = serializers.SlugRelatedField(
        slug_field="slug", queryset=Topic.objects.all(), many=True, required=False
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    preferred_language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The language of their emails; English by default.",
    )


class _ExportedConsentSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    method = serializers.CharField()
    wording_version = serializers.IntegerField()
    wording = serializers.CharField()
    ip_address = serializers.IPAddressField(allow_null=True)
    requested_name = serializers.CharField()
    requested_topics = serializers.ListField(child=serializers.CharField())
    confirmed_at = serializers.DateTimeField(allow_null=True)


class _ExportedDeliverySerializer(serializers.Serializer):
    newsletter = serializers.CharField(help_text="The newsletter's subject.")
    status = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)


class _ExportedBounceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    provider = serializers.CharField()
    at = serializers.DateTimeField()
    description = serializers.CharField()


class _LinkedContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    organisation = serializers.CharField()


class SubscriberExportSerializer(serializers.Serializer):
    """Documents the answer of a data access request (``selectors.subscriber_export``)."""

    email = serializers.EmailField()
    name = serializers.CharField()
    status = serializers.CharField()
    subscribed_since = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    status_changed_at = serializers.DateTimeField(allow_null=True)
    linked_contact = _LinkedContactSerializer(allow_null=True)
    topics = serializers.ListField(child=serializers.CharField())
    consents = _ExportedConsentSerializer(many=True)
    deliveries = _ExportedDeliverySerializer(many=True)
    bounces_and_complaints = _ExportedBounceSerializer(many=True)


class ErasedSerializer(serializers.Serializer):
    deliveries_kept = serializers.IntegerField(
        help_text="Deliveries kept, without the address, for the counts."
    )
    emails_deleted = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    status = serializers.CharField()
    total = serializers.IntegerField()
    queued = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    percent = serializers.FloatField()
    eta_seconds = serializers.IntegerField(allow_null=True)


class NewsletterVersionSerializer(ModelSerializer):
    """The newsletter in another language (the newsletter's own fields are the English version)."""

    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="Not English: the newsletter's own fields are the English version.",
    )

    class Meta:
        model = NewsletterTranslation
        fields = ["language", "subject", "preheader", "body_markdown"]


class AudienceSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_language = serializers.DictField(child=serializers.IntegerField())


class NewsletterSerializer(ModelSerializer):
    topics = serializers.SlugRelatedField(slug_field="slug", queryset=Topic.objects.all(), many=True)
    organisation_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Organisation.Kind.choices), required=False
    )
    organisation_countries = serializers.ListField(
        child=serializers.ChoiceField(choices=list(countries)), required=False
    )
    progress = serializers.SerializerMethodField()
    translations = NewsletterVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Newsletter
        fields = [
            "id",
            "kind",
            *Newsletter.CONTENT_FIELDS,
            "status",
            "scheduled_at",
            "started_at",
            "finished_at",
            "period_start",
            "period_end",
            "progress",
            "translations",
            "created_at",
        ]
        read_only_fields = [
            "kind",
            "status",
            "scheduled_at",
            "started_at",
            "finished_at",
            "period_start",
            "period_end",
            "created_at",
        ]

    @extend_schema(responses=ProgressSerializer)
    def get_progress(self, obj) -> dict:
        return selectors.newsletter_progress(newsletter=obj).as_dict()


class FailedDeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(allow_null=True)
    attempts = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)


class WaitingSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Queued messages waiting for a retry after a refusal.")
    next_attempt_at = serializers.DateTimeField(help_text="When the first of them is tried again.")
    reason = serializers.CharField(
        allow_blank=True, help_text="What the mail server said to most of them, word for word."
    )
    reason_count = serializers.IntegerField(help_text="How many of them got that answer.")


class SendSummarySerializer(ProgressSerializer):
    waiting_for_retry = serializers.IntegerField()
    waiting = WaitingSerializer(
        allow_null=True, help_text="Set while a sending or paused newsletter has messages waiting."
    )
    failed_deliveries = FailedDeliverySerializer(many=True)


class RetryFailedSerializer(serializers.Serializer):
    retried = serializers.IntegerField()
    newsletter = NewsletterSerializer()


class ScheduleSerializer(serializers.Serializer):
    at = serializers.DateTimeField()


class TestSendSerializer(serializers.Serializer):
    to = serializers.EmailField()
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, help_text="Send the version readers of this language get."
    )
