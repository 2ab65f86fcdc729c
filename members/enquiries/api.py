"""Enquiry endpoints: the public POST /api/v1/enquiries/ and the staff pipeline on the same viewset.

Anonymous clients may only create (throttled per IP, honeypot and optional fill-time token); everything
else needs a staff user with the model permissions: view to read, change to move an enquiry along,
add-note to write internal notes.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from coalition.permissions import ActionPermission
from coalition.request_guards import PUBLIC_PARSERS, PUBLIC_POST_ERRORS
from coalition.throttles import PublicRateThrottle, client_ip
from members.enquiries.selectors import enquiry_list
from members.enquiries.serializers import (
    ApproveSerializer,
    AssignSerializer,
    DeclineSerializer,
    EnquirySerializer,
    EnquirySubmitSerializer,
    InformationRequestSerializer,
    NoteCreateSerializer,
    NoteSerializer,
    SubmittedSerializer,
)
from members.enquiries.services import (
    enquiry_approve,
    enquiry_assign,
    enquiry_decline,
    enquiry_information_request,
    enquiry_mark_spam,
    enquiry_note_add,
    enquiry_review_start,
    enquiry_submit,
)
from members.models import Enquiry


class EnquiryViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """POST is the public application (anyone); the rest is the secretariat's pipeline."""

    serializer_class = EnquirySerializer
    throttle_scope = "enquiries"
    parser_classes = PUBLIC_PARSERS
    filterset_fields = ["status", "organisation_kind", "assignee", "source"]
    search_fields = ["organisation_name", "email", "contact_name"]
    ordering_fields = ["created_at", "last_activity_at", "status"]

    def get_queryset(self):
        return enquiry_list()

    action_permissions = {
        **dict.fromkeys(
            ("assign", "request_information", "approve", "decline", "spam", "review"),
            "members.change_enquiry",
        ),
        "note": "members.add_enquirynote",
    }

    def get_permissions(self):
        # Applying is public; the pipeline is staff's, each step guarded by the permission that names it.
        return [AllowAny()] if self.action == "create" else [ActionPermission()]

    def get_throttles(self):
        return [PublicRateThrottle()] if self.action == "create" else []

    def get_serializer_class(self):
        return {
            "create": EnquirySubmitSerializer,
            "assign": AssignSerializer,
            "note": NoteCreateSerializer,
            "request_information": InformationRequestSerializer,
            "decline": DeclineSerializer,
            "approve": ApproveSerializer,
        }.get(self.action, EnquirySerializer)

    @extend_schema(
        request=EnquirySubmitSerializer, responses={201: SubmittedSerializer, **PUBLIC_POST_ERRORS}
    )
    def create(self, request, *args, **kwargs):
        serializer = EnquirySubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k not in ("homepage", "form_started")}
        # Unsaid, the applicant is written to in the language this answer is in (see coalition/i18n.py).
        data.setdefault("preferred_language", get_language())
        try:
            enquiry_submit(data=data, source=Enquiry.Source.API, ip=client_ip(request))
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
        # Never the enquiry's own state or link: a repeat from a stranger must read like a first one.
        return Response(
            {
                "status": Enquiry.Status.RECEIVED,
                "detail": _(
                    "Thank you: we have your enquiry and have sent an email with a link to follow it."
                ),
            },
            status=status.HTTP_201_CREATED,
        )

    def _input(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _answer(self, enquiry: Enquiry) -> Response:
        return Response(EnquirySerializer(enquiry_list().get(pk=enquiry.pk)).data)

    @extend_schema(request=AssignSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = self._input(request)
        return self._answer(
            enquiry_assign(enquiry=self.get_object(), assignee=data["assignee"], by=request.user)
        )

    @extend_schema(request=NoteCreateSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        data = self._input(request)
        note = enquiry_note_add(enquiry=self.get_object(), author=request.user, body=data["body"])
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=EnquirySerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._answer(enquiry_review_start(enquiry=self.get_object(), by=request.user))

    @extend_schema(request=InformationRequestSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"], url_path="request-information")
    def request_information(self, request, pk=None):
        data = self._input(request)
        enquiry = enquiry_information_request(
            enquiry=self.get_object(), by=request.user, message=data["message"]
        )
        return self._answer(enquiry)

    @extend_schema(request=ApproveSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = self._input(request)
        enquiry = enquiry_approve(
            enquiry=self.get_object(),
            by=request.user,
            organisation=data.get("organisation"),
            create_organisation=data.get("create_organisation", False),
            tier=data.get("tier"),
        )
        return self._answer(enquiry)

    @extend_schema(request=DeclineSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        data = self._input(request)
        return self._answer(
            enquiry_decline(enquiry=self.get_object(), by=request.user, reason=data.get("reason", ""))
        )

    @extend_schema(request=None, responses=EnquirySerializer)
    @action(detail=True, methods=["post"])
    def spam(self, request, pk=None):
        return self._answer(enquiry_mark_spam(enquiry=self.get_object(), by=request.user))


extra_urlpatterns: list = []


def register(router) -> None:
    router.register("enquiries", EnquiryViewSet, basename="enquiry")
