"""API viewsets of this app, registered on the project's one router (coalition/site/api_urls.py).

Writes go through ``services`` (in ``perform_create``/``perform_update`` and the actions), whose
``ValidationError`` the project's exception handler answers as a 400 with field messages: the serializers
do not restate the rules. Each state-changing action needs the model permission that names it
(``action_permissions``). Each list's queryset comes from ``selectors`` with its joins and annotations, so
a page of 5 rows costs the same queries as a page of 50.
"""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns import selectors, services
from campaigns.models import Campaign, Event, EventParticipant, Target
from coalition.filters import FilterSet
from coalition.permissions import ActionPermission
from members.filters import UtcIsoDateTimeFilter
from members.models import Contact, Engagement


def _user(request):
    return request.user if request.user.is_authenticated else None


class ServiceWriteMixin:
    """``perform_create``/``perform_update`` through a create and an update service.

    ``create_service(**data)`` and ``update_service(<instance_kwarg>=instance, **data)``, with the
    serializer's validated data; the service's answer becomes the serializer's instance.
    """

    permission_classes = [ActionPermission]
    action_permissions: dict[str, str] = {}
    create_service = None
    update_service = None
    instance_kwarg = ""

    def perform_create(self, serializer):
        # Read from the class: a plain function stored on it must not be bound to the view.
        serializer.instance = type(self).create_service(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = type(self).update_service(
            **{self.instance_kwarg: serializer.instance}, **serializer.validated_data
        )


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


class TargetBulkAddSerializer(serializers.Serializer):
    filter = serializers.ChoiceField(choices=list(services.TARGET_FILTERS.items()))
    tier = serializers.IntegerField(required=False, allow_null=True)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False)


class CampaignFilter(FilterSet):
    class Meta:
        model = Campaign
        fields = ["status", "owner"]


class CampaignViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    serializer_class = CampaignSerializer
    create_service = services.campaign_create
    update_service = services.campaign_update
    instance_kwarg = "campaign"
    action_permissions = {"add_targets": "campaigns.add_target"}
    filterset_class = CampaignFilter
    search_fields = ["name", "objective"]
    ordering_fields = ["deadline", "start_date", "name", "created_at"]

    def get_queryset(self):
        return selectors.campaigns_with_progress(Campaign.objects.select_related("owner"))

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
    permission_classes = [ActionPermission]
    action_permissions = {"log_action": "campaigns.add_campaignaction"}
    filterset_class = TargetFilter
    search_fields = ["organisation__name", "next_action", "notes"]
    ordering_fields = ["next_action_due", "stage_changed_at", "organisation__name", "created_at"]

    def get_queryset(self):
        return selectors.targets_for_list()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        note = data.pop("stage_note", "") or "Added"
        serializer.instance = services.target_add(by=_user(self.request), note=note, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        note = data.pop("stage_note", "")
        serializer.instance = services.target_edit(
            target=serializer.instance, by=_user(self.request), note=note, **data
        )

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


class EventFilter(FilterSet):
    # UTC first: PostgreSQL refuses offsets Python accepts, and a 500 is no answer to an odd query string.
    starts_after = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["kind", "campaign"]


class EventViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    serializer_class = EventSerializer
    create_service = services.event_create
    update_service = services.event_update
    instance_kwarg = "event"
    action_permissions = {"send_invitations": "campaigns.change_eventparticipant"}
    filterset_class = EventFilter
    search_fields = ["title", "location", "description"]
    ordering_fields = ["starts_at", "title", "created_at"]

    def get_queryset(self):
        return selectors.events_for_list()

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
        result = services.event_invitations_send(event=self.get_object())
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


class ParticipantFilter(FilterSet):
    class Meta:
        model = EventParticipant
        fields = ["event", "organisation", "role", "response", "attended"]


class EventParticipantViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    serializer_class = ParticipantSerializer
    create_service = services.participant_add
    update_service = services.participant_update
    instance_kwarg = "participant"
    action_permissions = {
        "attended": "campaigns.change_eventparticipant",
        "invite": "campaigns.change_eventparticipant",
    }
    filterset_class = ParticipantFilter
    search_fields = ["organisation__name", "contact__name", "contact__email"]
    ordering_fields = ["organisation__name", "role", "response", "created_at"]

    def get_queryset(self):
        return selectors.participants_for_list()

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
        if not services.participant_invite(participant=participant):
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
