"""Dues API: invoices (issued by the services, never edited), their PDFs, open invoices by age, payments.

Staff only, by Django model permissions. An invoice is issued, voided or paid through the services, so its
number stays gap-free and its amounts stay as issued.
"""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coalition.dates import secretariat_today
from members.affiliations.api import StaffChangePermissions, as_api_errors
from members.dues import selectors, services
from members.dues.filters import InvoiceFilter
from members.dues.pdf import invoice_pdf
from members.dues.serializers import (
    InvoiceIssueSerializer,
    InvoiceSerializer,
    OpenInvoiceSerializer,
    PaymentSerializer,
)


def _user(request: Request):
    return request.user if request.user.is_authenticated else None


class InvoiceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Invoices, with what is paid. POST issues the invoice of a membership period (and sends it)."""

    filterset_class = InvoiceFilter
    search_fields = ["organisation__name", "bill_to"]
    ordering_fields = ["issued_on", "due_on", "number", "amount"]

    def get_queryset(self):
        return selectors.invoice_list()

    def get_serializer_class(self):
        return InvoiceIssueSerializer if self.action == "create" else InvoiceSerializer

    @extend_schema(request=InvoiceIssueSerializer, responses={201: InvoiceSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self._input(InvoiceIssueSerializer, request)
        membership = data["membership"]
        with as_api_errors():
            invoice = services.invoice_issue_for_period(
                membership=membership,
                period_start=data.get("period_start") or membership.start_date,
                by=_user(request),
            )
        if invoice is None:
            return Response(
                {"membership": ["This membership's tier has no fee: there is nothing to invoice."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(self._data(invoice.pk), status=status.HTTP_201_CREATED)

    def _input(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _data(self, pk: int) -> dict:
        return InvoiceSerializer(
            selectors.invoice_list().get(pk=pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def void(self, request: Request, pk=None) -> Response:
        """Cancel an open invoice without payments; its number stays used."""
        invoice = services.invoice_void(invoice=self.get_object(), by=_user(request))
        return Response(self._data(invoice.pk))

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filter_backends=[])
    def pdf(self, request: Request, pk=None) -> HttpResponse:
        invoice = self.get_object()
        response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.display_number}.pdf"'
        return response

    @extend_schema(responses=OpenInvoiceSerializer(many=True))
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def open(self, request: Request) -> Response:
        """Open invoices, oldest first: paid, balance, age in days and ageing bucket (0-30, 31-60, 60+)."""
        rows = selectors.invoices_open(today=secretariat_today())
        return Response(OpenInvoiceSerializer(rows, many=True).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None, url_path="open-csv")
    def open_csv(self, request: Request) -> HttpResponse:
        rows = selectors.invoices_open(today=secretariat_today())
        response = HttpResponse(
            selectors.invoices_open_csv(rows=rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="open-invoices.csv"'
        return response


class PaymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Payments recorded by staff; partial payments allowed. A payment that settles an invoice marks it paid
    and activates a fee-first membership."""

    serializer_class = PaymentSerializer
    filterset_fields = ["invoice", "method"]
    ordering_fields = ["paid_on", "created_at"]

    def get_queryset(self):
        return selectors.payment_list()

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        with as_api_errors():
            serializer.instance = services.payment_record(by=_user(self.request), **data)


def register(router) -> None:
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("payments", PaymentViewSet, basename="payment")
