"""API viewsets of this app, registered on the project's one router (coalition/site/api_urls.py).

Writes go through ``services``; each list's queryset comes from ``selectors`` with its joins and
annotations, so a page of 5 rows costs the same queries as a page of 50.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns import selectors, services
from campaigns.models import Campaign, Event, EventParticipant, Target
from coalition.filters import FilterSet
from members.filters import UtcIsoDateTimeFilter
from members.models import Contact, Engagement


def _user(request):
    return request.user if request.user.is_authenticated else None


class CampaignSerializer(serializers.ModelSerializer):
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

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        deadline = attrs.get("deadline", getattr(self.instance, "deadline", None))
        if start and deadline and deadline < start:
            raise serializers.ValidationError({"deadline": "The deadline must not be before the start date."})
        return attrs


class TargetBulkAddSerializer(serializers.Serializer):
    filter = serializers.ChoiceField(choices=list(services.TARGET_FILTERS.items()))
    tier = serializers.IntegerField(required=False, allow_null=True)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False)


class CampaignFilter(FilterSet):
    class Meta:
        model = Campaign
        fields = ["status", "owner"]


class CampaignViewSet(viewsets.ModelViewSet):
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    search_fields = ["name", "objective"]
    ordering_fields = ["deadline", "start_date", "name", "created_at"]

    def get_queryset(self):
        return selectors.campaigns_with_progress(Campaign.objects.select_related("owner"))

    def perform_create(self, serializer):
        serializer.instance = services.campaign_create(by=_user(self.request), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.campaign_update(
            campaign=serializer.instance, by=_user(self.request), **serializer.validated_data
        )

    @extend_schema(
        request=TargetBulkAddSerializer,
        responses=inline_serializer("TargetsAdded", {"added": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"], url_path="add-targets")
    def add_targets(self, request, pk=None):
        """Add targets in bulk: countries without a net-negative target, members of a tier, or countries."""
        campaign = self.get_object()
        data = TargetBulkAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        added = services.targets_add_from_filter(campaign=campaign, by=_user(request), **data.validated_data)
        return Response({"added": added}, status=status.HTTP_200_OK)


class TargetSerializer(serializers.ModelSerializer):
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

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("campaign", "organisation"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {
                            name: "A target cannot move to another campaign or "
                            "organisation; add a new target instead."
                        }
                    )
        return attrs


class TargetFilter(FilterSet):
    class Meta:
        model = Target
        fields = ["campaign", "stage", "organisation", "owner"]


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


class TargetViewSet(viewsets.ModelViewSet):
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    search_fields = ["organisation__name", "next_action", "notes"]
    ordering_fields = ["next_action_due", "stage_changed_at", "organisation__name", "created_at"]

    def get_queryset(self):
        return selectors.targets_for_list()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        note = data.pop("stage_note", "")
        serializer.instance = services.target_add(by=_user(self.request), **data)
        if note:
            serializer.instance.stage_changes.filter(from_stage="").update(note=note)

    @transaction.atomic
    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        data.pop("organisation", None)
        stage = data.pop("stage", None)
        note = data.pop("stage_note", "")
        target = serializer.instance
        if stage is not None:
            target = services.target_move(target=target, stage=stage, by=_user(self.request), note=note)
        if data:
            target = services.target_update(target=target, by=_user(self.request), **data)
        serializer.instance = target

    @extend_schema(responses=TargetTimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, pk=None):
        """The target's stage changes and logged actions, newest first."""
        entries = selectors.target_timeline(target=self.get_object())
        return Response(TargetTimelineEntrySerializer(entries, many=True).data)

    @extend_schema(request=ActionSerializer, responses=TargetTimelineEntrySerializer(many=True))
    @action(detail=True, methods=["post"], url_path="actions")
    def log_action(self, request, pk=None):
        """Log an engagement (meeting, call, letter…) against this target and the organisation's history."""
        target = self.get_object()
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.target_log_action(target=target, by=_user(request), **data.validated_data)
        entries = selectors.target_timeline(target=target)
        return Response(
            TargetTimelineEntrySerializer(entries, many=True).data, status=status.HTTP_201_CREATED
        )


class EventSerializer(serializers.ModelSerializer):
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

    def validate(self, attrs):
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_at": "The end must not be before the start."})
        return attrs


class EventFilter(FilterSet):
    # UTC first: PostgreSQL refuses offsets Python accepts, and a 500 is no answer to an odd query string.
    starts_after = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["kind", "campaign"]


class EventViewSet(viewsets.ModelViewSet):
    serializer_class = EventSerializer
    filterset_class = EventFilter
    search_fields = ["title", "location", "description"]
    ordering_fields = ["starts_at", "title", "created_at"]

    def get_queryset(self):
        return selectors.events_for_list()

    def perform_create(self, serializer):
        serializer.instance = services.event_create(by=_user(self.request), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.event_update(
            event=serializer.instance, by=_user(self.request), **serializer.validated_data
        )

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "InvitationsQueued", {"queued": serializers.IntegerField(), "skipped": serializers.IntegerField()}
        ),
    )
    @action(detail=True, methods=["post"], url_path="send-invitations")
    def send_invitations(self, request, pk=None):
        """Email an invitation (with RSVP links and an .ics file) to each participant not invited yet.

        Participants without a contact email are skipped and counted.
        """
        result = services.event_invitations_send(event=self.get_object(), by=_user(request))
        return Response(result)


class ParticipantSerializer(serializers.ModelSerializer):
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

    def validate(self, attrs):
        if self.instance is not None and "event" in attrs and attrs["event"] != self.instance.event:
            raise serializers.ValidationError({"event": "A participant cannot move to another event."})
        return attrs


class ParticipantFilter(FilterSet):
    class Meta:
        model = EventParticipant
        fields = ["event", "organisation", "role", "response", "attended"]


class EventParticipantViewSet(viewsets.ModelViewSet):
    serializer_class = ParticipantSerializer
    filterset_class = ParticipantFilter
    search_fields = ["organisation__name", "contact__name", "contact__email"]
    ordering_fields = ["organisation__name", "role", "response", "created_at"]

    def get_queryset(self):
        return selectors.participants_for_list()

    def perform_create(self, serializer):
        serializer.instance = services.participant_add(by=_user(self.request), **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("event", None)
        serializer.instance = services.participant_update(
            participant=serializer.instance, by=_user(self.request), **data
        )

    @extend_schema(request=None, responses=ParticipantSerializer)
    @action(detail=True, methods=["post"])
    def attended(self, request, pk=None):
        """Mark attendance: an attendance (or speaking-slot) engagement joins the organisation's history."""
        participant = services.participant_mark_attended(participant=self.get_object(), by=_user(request))
        return Response(ParticipantSerializer(self.get_queryset().get(pk=participant.pk)).data)

    @extend_schema(
        request=None, responses=inline_serializer("Queued", {"queued": serializers.BooleanField()})
    )
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Email this participant the invitation (once); 400 if the participant has no contact email."""
        participant = self.get_object()
        if not services.participant_invite(participant=participant, by=_user(request)):
            return Response(
                {"detail": "This participant has no contact with an email address; add one first."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"queued": True})


extra_urlpatterns: list = []


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("campaign-targets", TargetViewSet, basename="campaign-target")
    router.register("events", EventViewSet, basename="event")
    router.register("event-participants", EventParticipantViewSet, basename="event-participant")
