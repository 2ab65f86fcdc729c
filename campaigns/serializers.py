"""Serializers of the campaigns API (the viewsets are in ``campaigns/api.py``).

No serializer restates a rule: the services check the constraints and their ``ValidationError`` becomes a
400 with field messages (hence ``validators = []`` on the model serializers).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns import selectors, services
from campaigns.models import Campaign, Event, EventParticipant, Target
from coalition.representation import ModelSerializer
from members.models import Contact, Engagement


class CampaignSerializer(ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_staff=True), allow_null=True, required=False
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "objective",
            "description",
            "status",
            "owner",
            "start_date",
            "deadline",
            "ask_kind",
            "ask_min_status",
            "ask_target_year",
            "ask_in_ndc",
            "progress",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []  # the services check the constraints and answer with a field message

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_progress(self, obj: Campaign) -> dict:
        return selectors.campaign_progress(campaign=obj).as_dict()


class TargetBulkAddSerializer(serializers.Serializer):
    filter = serializers.ChoiceField(choices=list(services.TARGET_FILTERS.items()))
    tier = serializers.IntegerField(required=False, allow_null=True)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False)


class TargetSerializer(ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_staff=True), allow_null=True, required=False
    )
    stage_note = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Why the stage changed (kept in the history).",
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "campaign",
            "campaign_name",
            "organisation",
            "organisation_name",
            "stage",
            "stage_note",
            "stage_changed_at",
            "owner",
            "next_action",
            "next_action_due",
            "notes",
            "commitment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["stage_changed_at", "commitment", "created_at", "updated_at"]
        validators: list = []


class ActionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Engagement.Kind.choices)
    summary = serializers.CharField(max_length=300)
    occurred_at = serializers.DateTimeField(required=False)
    details = serializers.CharField(required=False, allow_blank=True)
    contacts = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), many=True, required=False)


class TargetTimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    category = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    by = serializers.CharField()
    object_id = serializers.IntegerField(allow_null=True)


class EventSerializer(ModelSerializer):
    campaign_name = serializers.SerializerMethodField()
    participants_count = serializers.IntegerField(source="n_participants", read_only=True, default=0)
    accepted_count = serializers.IntegerField(source="n_accepted", read_only=True, default=0)
    attended_count = serializers.IntegerField(source="n_attended", read_only=True, default=0)

    class Meta:
        model = Event
        fields = [
            "id",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "location",
            "online_url",
            "description",
            "campaign",
            "campaign_name",
            "participants_count",
            "accepted_count",
            "attended_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []

    # A method, not CharField(default=""): on a PATCH, DRF leaves a field's default out of the answer.
    def get_campaign_name(self, obj: Event) -> str:
        return obj.campaign.name if obj.campaign_id else ""


class ParticipantSerializer(ModelSerializer):
    event_title = serializers.CharField(source="event.title", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    contact_name = serializers.SerializerMethodField()

    class Meta:
        model = EventParticipant
        fields = [
            "id",
            "event",
            "event_title",
            "organisation",
            "organisation_name",
            "contact",
            "contact_name",
            "role",
            "response",
            "invited_at",
            "responded_at",
            "attended",
            "engagement",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "invited_at",
            "responded_at",
            "attended",
            "engagement",
            "created_at",
            "updated_at",
        ]
        validators: list = []

    def get_contact_name(self, obj: EventParticipant) -> str:
        return obj.contact.name if obj.contact_id else ""
