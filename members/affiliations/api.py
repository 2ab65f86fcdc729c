"""Affiliations API: people's dated links to organisations, moves and focal-point terms.

Staff only, by Django model permissions, like the rest of ``/api/v1/``. Writes call the services.
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.request import Request
from rest_framework.response import Response

from coalition.permissions import StaffModelPermissions
from members.affiliations import selectors, services
from members.affiliations.filters import AffiliationFilter
from members.affiliations.serializers import (
    AffiliationEndSerializer,
    AffiliationMoveSerializer,
    AffiliationSerializer,
    AffiliationUpdateSerializer,
    FocalPointAppointSerializer,
)


@contextmanager
def as_api_errors():
    """A service's Django ValidationError as DRF's 400, keeping the field names."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(get_error_detail(exc)) from exc


class StaffChangePermissions(StaffModelPermissions):
    """For POST actions that change an existing object: the model's change permission."""

    perms_map = {**StaffModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


def _user(request: Request):
    return request.user if request.user.is_authenticated else None


class AffiliationViewSet(viewsets.ModelViewSet):
    """Who is (and was) at which organisation, in what role, from when to when."""

    filterset_class = AffiliationFilter
    search_fields = ["contact__name", "organisation__name", "job_title"]
    ordering_fields = ["start_on", "end_on", "created_at"]

    def get_queryset(self):
        return selectors.affiliation_list()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return AffiliationUpdateSerializer
        return AffiliationSerializer

    def perform_create(self, serializer) -> None:
        with as_api_errors():
            serializer.instance = services.affiliation_create(
                by=_user(self.request), **serializer.validated_data
            )

    def perform_update(self, serializer) -> None:
        with as_api_errors():
            serializer.instance = services.affiliation_update(
                affiliation=serializer.instance, by=_user(self.request), **serializer.validated_data
            )

    def perform_destroy(self, instance) -> None:
        services.affiliation_delete(affiliation=instance, by=_user(self.request))

    def _respond(self, affiliation, code=status.HTTP_200_OK) -> Response:
        return Response(
            AffiliationSerializer(affiliation, context=self.get_serializer_context()).data, status=code
        )

    def _input(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(request=AffiliationEndSerializer, responses=AffiliationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def end(self, request: Request, pk=None) -> Response:
        """End the affiliation (or focal-point term); it stays in the history."""
        data = self._input(AffiliationEndSerializer, request)
        with as_api_errors():
            affiliation = services.affiliation_end(
                affiliation=self.get_object(), end_on=data.get("end_on"), by=_user(request)
            )
        return self._respond(affiliation)

    @extend_schema(request=AffiliationMoveSerializer, responses=AffiliationSerializer)
    @action(detail=False, methods=["post"])
    def move(self, request: Request) -> Response:
        """Move a person to another organisation: the old affiliation ends, a new primary one starts, and the
        person's engagements stay with them."""
        data = self._input(AffiliationMoveSerializer, request)
        with as_api_errors():
            affiliation = services.affiliation_move(
                contact=data["contact"],
                to_organisation=data["to_organisation"],
                on=data.get("on"),
                role=data["role"],
                job_title=data.get("job_title"),
                by=_user(request),
            )
        return self._respond(affiliation, status.HTTP_201_CREATED)

    @extend_schema(request=FocalPointAppointSerializer, responses=AffiliationSerializer)
    @action(detail=False, methods=["post"])
    def appoint(self, request: Request) -> Response:
        """Appoint a focal point (or head of delegation); the current holder's term ends the day before."""
        data = self._input(FocalPointAppointSerializer, request)
        with as_api_errors():
            affiliation = services.focal_point_appoint(by=_user(request), **data)
        return self._respond(affiliation, status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("affiliations", AffiliationViewSet, basename="affiliation")
