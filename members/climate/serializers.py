"""API shapes for climate data: NDC submissions and the integrity summary of a commitment."""

from rest_framework import serializers

from coalition.representation import ModelSerializer
from members.climate.integrity import integrity_summary
from members.models import NdcSubmission


class IntegrityCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    explanation = serializers.CharField(help_text="What meeting the criterion means, in plain words.")
    result = serializers.ChoiceField(choices=["met", "not_met", "unknown"])


class IntegritySummarySerializer(serializers.Serializer):
    met = serializers.IntegerField()
    not_met = serializers.IntegerField()
    unknown = serializers.IntegerField()
    total = serializers.IntegerField()
    criteria = IntegrityCriterionSerializer(many=True)


def integrity_data(commitment) -> dict:
    return integrity_summary(commitment).as_dict()


class NdcSubmissionSerializer(ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, default=None)

    class Meta:
        model = NdcSubmission
        fields = [
            "id", "party_code", "party", "organisation", "organisation_name", "title", "round", "version",
            "status", "language", "submitted_on", "url", "file_type", "original_filename",
            "net_negative_flagged", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
