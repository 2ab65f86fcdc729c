"""Enquiry endpoints: the public POST /api/v1/enquiries/ and the staff pipeline on the same viewset.

Anonymous clients may only create (throttled per IP, honeypot and optional fill-time token); everything
else needs a staff user with the model permissions: view to read, change to move an enquiry along,
add-note to write internal notes.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_countries import countries
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from coalition.antispam import spam_problem
from coalition.permissions import ActionPermission
from coalition.request_guards import PUBLIC_PARSERS, PUBLIC_POST_ERRORS
from coalition.throttles import PublicRateThrottle, client_ip
from coalition.validators import validate_single_line
from members.enquiries.selectors import enquiry_list
from members.enquiries.services import (
    APPLICANT_FIELDS,
    TARGET_YEAR_MAX,
    TARGET_YEAR_MIN,
    enquiry_approve,
    enquiry_assign,
    enquiry_decline,
    enquiry_information_request,
    enquiry_mark_spam,
    enquiry_note_add,
    enquiry_review_start,
    enquiry_submit,
    enquiry_validate,
)
from members.models import (
    Commitment,
    Contact,
    Enquiry,
    EnquiryNote,
    EnquiryTransition,
    MembershipTier,
    Organisation,
)

TEXT_LIMIT = 5000


def _limit(name: str) -> int:
    return Enquiry._meta.get_field(name).max_length


def _text(name: str, *, required: bool = True, limit: int | None = None, **kwargs) -> serializers.CharField:
    limit = limit or _limit(name)
    return serializers.CharField(
        required=required,
        allow_blank=not required,
        max_length=limit,
        # Lazy: the applicant reads them in the request's language (DRF fills in {max_length}).
        error_messages={
            "max_length": gettext_lazy("Please shorten this to at most {max_length} characters."),
            "blank": gettext_lazy("This field is required."),
            "invalid": gettext_lazy("Please send text here."),
        },
        **kwargs,
    )


class EnquirySubmitSerializer(serializers.Serializer):
    """What an applicant sends; the same fields, limits and rules as the join form."""

    organisation_name = _text("organisation_name", validators=[validate_single_line])
    organisation_kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    country = serializers.ChoiceField(choices=list(countries), required=False, allow_blank=True)
    website = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=_limit("website"),
        error_messages={"invalid": gettext_lazy("Please send a web address such as https://example.org.")},
    )
    contact_name = _text("contact_name", validators=[validate_single_line])
    email = serializers.EmailField(
        max_length=_limit("email"),
        error_messages={"invalid": gettext_lazy("Please send an email address like name@example.org.")},
    )
    job_title = _text("job_title", required=False, validators=[validate_single_line])
    motivation = _text("motivation", limit=TEXT_LIMIT)
    public_description = _text("public_description", required=False)
    intended_commitments = _text("intended_commitments", required=False, limit=TEXT_LIMIT)
    target_kind = serializers.ChoiceField(choices=Commitment.Kind.choices, required=False, allow_blank=True)
    target_year = serializers.IntegerField(
        required=False, allow_null=True, min_value=TARGET_YEAR_MIN, max_value=TARGET_YEAR_MAX
    )
    requested_tier = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=MembershipTier.objects.filter(open_to_applicants=True),
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": gettext_lazy(
                "There is no membership tier {slug_name}={value} open to applicants."
            )
        },
    )
    consent_to_contact = serializers.BooleanField(
        error_messages={
            "required": gettext_lazy(
                "Please agree to be contacted: we cannot process your enquiry otherwise."
            )
        }
    )
    wants_updates = serializers.BooleanField(required=False, default=False)
    list_publicly = serializers.BooleanField(required=False, default=False)
    preferred_language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The language to write to the applicant in (emails, status page link); by default the "
        "request's language (Accept-Language), else English.",
    )
    homepage = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Honeypot: leave empty."
    )
    form_started = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Optional token from the join form."
    )

    def validate(self, attrs):
        problem = spam_problem(
            honeypot=attrs.get("homepage"), started_token=attrs.get("form_started"), require_started=False
        )
        if problem:
            raise ValidationError({"non_field_errors": [problem]})
        problems = enquiry_validate(attrs)
        if problems:
            raise ValidationError({k: [v] for k, v in problems.items()})
        return attrs


class TransitionSerializer(serializers.ModelSerializer):
    by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = EnquiryTransition
        fields = ["from_status", "to_status", "by", "by_applicant", "at", "note"]


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = EnquiryNote
        fields = ["id", "author", "body", "created_at"]


class SuggestedOrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name"]


class SuggestedContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "organisation_id"]


class SubmittedSerializer(serializers.Serializer):
    """The answer to an application. It is the same whether the address had applied before or not (a
    repeat would otherwise tell anyone who has applied); the status link goes to the mailbox only."""

    status = serializers.CharField()
    detail = serializers.CharField()


class EnquirySerializer(serializers.ModelSerializer):
    """The staff view of an enquiry, with its suggested matches, history and internal notes."""

    requested_tier = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    assignee = serializers.StringRelatedField(allow_null=True)
    suggested_organisation = SuggestedOrganisationSerializer(read_only=True, allow_null=True)
    suggested_contact = SuggestedContactSerializer(read_only=True, allow_null=True)
    target_kind = serializers.ChoiceField(choices=Commitment.Kind.choices, allow_blank=True, read_only=True)
    # Optional on the form, so often empty: declared as what they hold, never a typed value that is "".
    country = CountryField(read_only=True, help_text="ISO 3166 code, or empty.")
    website = serializers.CharField(read_only=True, help_text="The web address given, or empty.")
    transitions = TransitionSerializer(many=True, read_only=True)
    notes = NoteSerializer(many=True, read_only=True)

    class Meta:
        model = Enquiry
        fields = [
            "id",
            "status",
            "source",
            *APPLICANT_FIELDS,
            "assignee",
            "suggested_organisation",
            "suggested_contact",
            "organisation",
            "contact",
            "membership",
            "information_request",
            "applicant_reply",
            "decline_reason",
            "created_at",
            "last_activity_at",
            "decided_at",
            "transitions",
            "notes",
        ]
        read_only_fields = fields


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True), allow_null=True
    )


class NoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_LIMIT)


class InformationRequestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=TEXT_LIMIT)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_LIMIT, required=False, allow_blank=True)


class ApproveSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text="Link this existing organisation (default: the suggested match, if any).",
    )
    create_organisation = serializers.BooleanField(
        required=False, default=False, help_text="Create a new organisation instead of linking the match."
    )
    tier = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=MembershipTier.objects.all(),
        required=False,
        allow_null=True,
        help_text="Membership tier (default: the one requested).",
    )

    def validate(self, attrs):
        if attrs.get("organisation") and attrs.get("create_organisation"):
            raise ValidationError("Either link an organisation or create one, not both.")
        return attrs


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
