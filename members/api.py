"""Members API viewsets, registered on the project's one router (coalition/site/api_urls.py).

Staff only, by Django model permissions (``coalition.permissions.StaffModelPermissions``). Viewsets hold no
rules: ``perform_create``/``perform_update`` call ``services`` (``coalition.api.ServiceWritesMixin``);
reads come from ``selectors`` querysets that prefetch what a row shows, so a page of 5 and a page of 50
cost the same number of queries.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coalition.api import ServiceWritesMixin
from coalition.permissions import ActionPermission
from members import selectors, services
from members.affiliations import api as affiliations_api
from members.climate import api as climate_api
from members.dues import api as dues_api
from members.enquiries import api as enquiry_api
from members.filters import (
    CommitmentFilter,
    ContactFilter,
    EngagementFilter,
    MembershipFilter,
    OrganisationFilter,
)
from members.models import Commitment, MembershipTier, Organisation
from members.serializers import (
    CommitmentRevisionSerializer,
    CommitmentSerializer,
    ContactSerializer,
    EngagementSerializer,
    MembershipOverrideSerializer,
    MembershipReasonSerializer,
    MembershipRenewSerializer,
    MembershipSerializer,
    MembershipTierSerializer,
    OrganisationSerializer,
    TimelineEntrySerializer,
)


class OrganisationViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Organisations and countries, each with its membership (current, else latest) and its commitments."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    search_fields = ["name", "website_domain"]
    ordering_fields = ["name", "kind", "country", "created_at", "membership_status"]
    ordering = ["name"]

    def get_queryset(self):
        if self.action == "timeline":
            # The timeline reads its own rows; the list's prefetches would be wasted queries.
            return Organisation.objects.all()
        return selectors.organisation_list()

    def service_create(self, data, *, by):
        return services.organisation_create(by=by, **data)

    def service_update(self, instance, data, *, by):
        return services.organisation_update(organisation=instance, by=by, **data)

    def service_delete(self, instance, *, by):
        services.organisation_delete(organisation=instance, by=by)

    @extend_schema(
        responses=TimelineEntrySerializer(many=True),
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many entries.")],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request: Request, pk=None) -> Response:
        """Engagements, membership changes and commitment revisions, newest first."""
        organisation = self.get_object()
        limit = request.query_params.get("limit", "")
        entries = selectors.organisation_timeline(
            organisation=organisation, limit=int(limit) if limit.isdigit() and int(limit) > 0 else None
        )
        return Response(TimelineEntrySerializer(entries, many=True).data)


class ContactViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    search_fields = ["name", "email", "organisation__name"]
    ordering_fields = ["name", "email", "created_at"]

    def get_queryset(self):
        return selectors.contact_list()

    def service_create(self, data, *, by):
        return services.contact_create(by=by, **data)

    def service_update(self, instance, data, *, by):
        return services.contact_update(contact=instance, by=by, **data)

    def service_delete(self, instance, *, by):
        services.contact_delete(contact=instance, by=by)


class MembershipTierViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Membership tiers are data: every staff group reads them; who edits them is a model permission."""

    serializer_class = MembershipTierSerializer
    queryset = MembershipTier.objects.all()
    search_fields = ["name", "slug"]
    ordering_fields = ["sort_order", "name"]

    def service_create(self, data, *, by):
        return services.membership_tier_create(**data)

    def service_update(self, instance, data, *, by):
        return services.membership_tier_update(tier=instance, **data)

    def service_delete(self, instance, *, by):
        services.membership_tier_delete(tier=instance)


class MembershipViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Memberships. The status follows the dates (recomputed daily); staff change it through the actions."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    permission_classes = [ActionPermission]
    # Every status change is a change of the membership.
    action_permissions = dict.fromkeys(
        ("renew", "override", "suspend", "withdraw", "reinstate", "activate"), "members.change_membership"
    )
    search_fields = ["organisation__name"]
    ordering_fields = ["start_date", "end_date", "status", "created_at"]

    def get_queryset(self):
        return selectors.membership_list()

    def service_create(self, data, *, by):
        return services.membership_start(by=by, **data)

    def service_update(self, instance, data, *, by):
        data.pop("organisation", None)
        return services.membership_update(membership=instance, by=by, **data)

    def service_delete(self, instance, *, by):
        services.membership_delete(membership=instance, by=by)

    def _respond(self, membership) -> Response:
        return Response(MembershipSerializer(membership, context=self.get_serializer_context()).data)

    def _input(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(request=MembershipRenewSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk=None) -> Response:
        """Renew for one period: active or grace extend from the end date; lapsed restart today.

        Send the end date you saw as ``for_end_date``. If it has changed since, the renewal already happened
        and the membership comes back unchanged: repeating the request never extends twice.
        """
        data = self._input(MembershipRenewSerializer, request)
        membership = services.membership_renew(
            membership=self.get_object(),
            for_end_date=data["for_end_date"],
            by=request.user,
            tier=data.get("tier"),
        )
        return self._respond(membership)

    @extend_schema(request=MembershipOverrideSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request: Request, pk=None) -> Response:
        """Freeze the status (optionally setting it) so the daily recomputation leaves it, or lift it."""
        data = self._input(MembershipOverrideSerializer, request)
        membership = services.membership_set_override(
            membership=self.get_object(),
            override=data["override"],
            status=data.get("status"),
            reason=data["reason"],
            by=request.user,
        )
        return self._respond(membership)

    @extend_schema(request=MembershipReasonSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk=None) -> Response:
        data = self._input(MembershipReasonSerializer, request)
        membership = services.membership_suspend(
            membership=self.get_object(), reason=data["reason"], by=request.user
        )
        return self._respond(membership)

    @extend_schema(request=MembershipReasonSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None) -> Response:
        data = self._input(MembershipReasonSerializer, request)
        membership = services.membership_withdraw(
            membership=self.get_object(), reason=data["reason"], by=request.user
        )
        return self._respond(membership)

    @extend_schema(request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk=None) -> Response:
        return self._respond(services.membership_reinstate(membership=self.get_object(), by=request.user))

    @extend_schema(request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk=None) -> Response:
        """Activate a pending membership of a tier that starts pending (the fee is paid)."""
        return self._respond(services.membership_activate(membership=self.get_object(), by=request.user))


class CommitmentViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Climate targets (Net Zero Tracker fields); every revision is kept."""

    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    search_fields = ["title", "organisation__name"]
    ordering_fields = ["target_year", "announced_on", "created_at"]

    def get_queryset(self):
        return selectors.commitment_list()

    def service_create(self, data, *, by):
        return services.commitment_create(organisation=data.pop("organisation"), by=by, **data)

    def service_update(self, instance, data, *, by):
        return services.commitment_update(commitment=instance, by=by, **data)

    def service_delete(self, instance, *, by):
        services.commitment_delete(commitment=instance, by=by)

    @extend_schema(responses=CommitmentRevisionSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def revisions(self, request: Request, pk=None) -> Response:
        """Every saved version of the commitment, newest first."""
        commitment = self.get_object()
        rows = (
            Commitment.history.filter(id=commitment.pk)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
        )
        return Response(CommitmentRevisionSerializer(rows, many=True).data, status=status.HTTP_200_OK)


class EngagementViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Entries of organisations' histories: meetings, calls, letters, events, endorsements, notes."""

    serializer_class = EngagementSerializer
    filterset_class = EngagementFilter
    search_fields = ["summary", "organisation__name"]
    ordering_fields = ["occurred_at", "created_at"]

    def get_queryset(self):
        return selectors.engagement_list()

    def service_create(self, data, *, by):
        return services.engagement_create(**data)

    def service_update(self, instance, data, *, by):
        return services.engagement_update(engagement=instance, **data)

    def service_delete(self, instance, *, by):
        services.engagement_delete(engagement=instance, by=by)


extra_urlpatterns: list = [*enquiry_api.extra_urlpatterns]


def register(router) -> None:
    router.register("organisations", OrganisationViewSet, basename="organisation")
    router.register("contacts", ContactViewSet, basename="contact")
    router.register("membership-tiers", MembershipTierViewSet, basename="membershiptier")
    router.register("memberships", MembershipViewSet, basename="membership")
    router.register("commitments", CommitmentViewSet, basename="commitment")
    router.register("engagements", EngagementViewSet, basename="engagement")
    enquiry_api.register(router)
    affiliations_api.register(router)
    dues_api.register(router)
    climate_api.register(router)
