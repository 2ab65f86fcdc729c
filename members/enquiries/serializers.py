"""Serializers of the enquiry API (the viewset is in ``members/enquiries/api.py``).

The applicant's serializer runs the same checks as the join form (``enquiry_validate``); the pipeline's
serializers only shape the input of the services.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy
from django_countries import countries
from django_countries.serializer_fields import CountryField
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from coalition.antispam import spam_problem
from coalition.representation import ModelSerializer
from coalition.validators import validate_single_line
from members.enquiries.services import APPLICANT_FIELDS, TARGET_YEAR_MAX, TARGET_YEAR_MIN, enquiry_validate
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


class TransitionSerializer(ModelSerializer):
    by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = EnquiryTransition
        fields = ["from_status", "to_status", "by", "by_applicant", "at", "note"]


class NoteSerializer(ModelSerializer):
    author = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = EnquiryNote
        fields = ["id", "author", "body", "created_at"]


class SuggestedOrganisationSerializer(ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name"]


class SuggestedContactSerializer(ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "organisation_id"]


class SubmittedSerializer(serializers.Serializer):
    """The answer to an application. It is the same whether the address had applied before or not (a
    repeat would otherwise tell anyone who has applied); the status link goes to the mailbox only."""

    status = serializers.CharField()
    detail = serializers.CharField()


class EnquirySerializer(ModelSerializer):
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
