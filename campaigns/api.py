"""API viewsets of this app, registered on the project's one router (coalition/site/api_urls.py).

Writes go through ``services`` (in ``perform_create``/``perform_update`` and the actions), whose
``ValidationError`` the project's exception handler answers as a 400 with field messages: the serializers
do not restate the rules. Each state-changing action needs the model permission that names it
(``action_permissions``). Each list's queryset comes from ``selectors`` with its joins and annotations, so
a page of 5 rows costs the same queries as a page of 50.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns import selectors, services
from campaigns.filters import CampaignFilter, EventFilter, ParticipantFilter, TargetFilter
from campaigns.models import Campaign
from campaigns.serializers import (
    ActionSerializer,
    CampaignSerializer,
    EventSerializer,
    ParticipantSerializer,
    TargetBulkAddSerializer,
    TargetSerializer,
    TargetTimelineEntrySerializer,
)
from coalition.permissions import ActionPermission


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


class CampaignViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    serializer_class = CampaignSerializer
    create_service = services.campaign_create
    update_service = services.campaign_update
    instance_kwarg = "campaign"
    action_permissions = {"add_targets": "campaigns.add_target"}
    filterset_class = CampaignFilter
    search_fields = ["name", "objective"]
    ordering_fields = ["deadline", "start_date", "name", "created_at"]
    ordering = ["-created_at", "-pk"]

    def perform_destroy(self, instance):
        services.campaign_delete(campaign=instance)

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

    def perform_destroy(self, instance):
        services.target_remove(target=instance)

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


class EventViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    serializer_class = EventSerializer
    create_service = services.event_create
    update_service = services.event_update
    instance_kwarg = "event"
    action_permissions = {"send_invitations": "campaigns.change_eventparticipant"}
    filterset_class = EventFilter
    search_fields = ["title", "location", "description"]
    ordering_fields = ["starts_at", "title", "created_at"]
    ordering = ["-starts_at", "-pk"]

    def perform_destroy(self, instance):
        services.event_delete(event=instance)

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

    def perform_destroy(self, instance):
        services.participant_remove(participant=instance)

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
