"""Serializers of the affiliations API. Writes go through ``members.affiliations.services``."""

from rest_framework import serializers

from coalition.representation import ModelSerializer
from members.models import Affiliation, Contact, Organisation


class AffiliationSerializer(ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    is_current = serializers.BooleanField(read_only=True)
    start_on = serializers.DateField(required=False, help_text="Defaults to today.")

    class Meta:
        model = Affiliation
        fields = [
            "id",
            "contact",
            "contact_name",
            "organisation",
            "organisation_name",
            "role",
            "job_title",
            "start_on",
            "end_on",
            "is_primary",
            "is_current",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []  # the conditional constraints are checked by the service


class AffiliationUpdateSerializer(AffiliationSerializer):
    """Corrections only: the person, the organisation and the primary flag change through a move."""

    class Meta(AffiliationSerializer.Meta):
        read_only_fields = ["contact", "organisation", "is_primary", "created_at", "updated_at"]


class AffiliationEndSerializer(serializers.Serializer):
    end_on = serializers.DateField(required=False, help_text="Last day; defaults to today.")


class AffiliationMoveSerializer(serializers.Serializer):
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all())
    to_organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    on = serializers.DateField(required=False, help_text="First day at the new organisation; default today.")
    role = serializers.ChoiceField(choices=Affiliation.Role.choices, default=Affiliation.Role.STAFF)
    job_title = serializers.CharField(required=False, allow_blank=True, max_length=200)


# The roles held as terms, for the appointment endpoint (named in the schema by ENUM_NAME_OVERRIDES).
FOCAL_POINT_ROLE_CHOICES = [(role.value, role.label) for role in Affiliation.FOCAL_POINT_ROLES]


class FocalPointAppointSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all())
    role = serializers.ChoiceField(
        choices=FOCAL_POINT_ROLE_CHOICES,
        default=Affiliation.Role.NATIONAL_FOCAL_POINT,
    )
    start_on = serializers.DateField(required=False)
    job_title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
