"""NDC submissions on the API (read-only: the registry list is imported, never typed)."""

from rest_framework import viewsets

from members.climate.filters import NdcSubmissionFilter
from members.climate.selectors import ndc_submission_list
from members.climate.serializers import NdcSubmissionSerializer


class NdcSubmissionViewSet(viewsets.ReadOnlyModelViewSet):
    """Parties' filings in the UNFCCC NDC registry. ``country`` takes alpha-2, alpha-3 or a name, and gives an
    EU member state the EU's submissions too; ``round`` is first, updated or ndc3."""

    serializer_class = NdcSubmissionSerializer
    filterset_class = NdcSubmissionFilter
    search_fields = ["party", "title"]
    ordering_fields = ["submitted_on", "party", "created_at"]

    def get_queryset(self):
        return ndc_submission_list()


def register(router) -> None:
    router.register("ndc-submissions", NdcSubmissionViewSet, basename="ndcsubmission")
