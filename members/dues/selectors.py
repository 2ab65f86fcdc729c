"""Reads of the dues: invoices with what is paid, open invoices by age, and their CSV export."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Invoice, Payment

ZERO = Decimal("0.00")
# Ageing buckets, by days since the invoice was issued.
AGEING_BUCKETS = (("0-30", _("0–30 days")), ("31-60", _("31–60 days")), ("60+", _("over 60 days")))


def invoice_list() -> QuerySet:
    """Invoices with their organisation, tier and membership, and ``paid_total`` annotated (one query)."""
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Invoice.objects.select_related("organisation", "tier", "membership").annotate(
        paid_total=Coalesce(
            Subquery(paid, output_field=DecimalField(max_digits=12, decimal_places=2)),
            Value(ZERO),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
    )


def payment_list() -> QuerySet:
    return Payment.objects.select_related("invoice", "invoice__organisation", "recorded_by")


def ageing_bucket(*, days: int) -> str:
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    return "60+"


@dataclass(frozen=True)
class OpenInvoice:
    invoice: Invoice
    paid: Decimal
    balance: Decimal
    age_days: int
    bucket: str


def invoices_open(*, today: date | None = None) -> list[OpenInvoice]:
    """Open invoices, oldest first, each with what is paid, what is owed and its age bucket (one query)."""
    today = today or timezone.localdate()
    rows = invoice_list().filter(status=Invoice.Status.OPEN).order_by("issued_on", "number")
    out = []
    for invoice in rows:
        age = max(0, (today - invoice.issued_on).days)
        out.append(
            OpenInvoice(
                invoice=invoice,
                paid=invoice.paid_total,
                balance=invoice.amount - invoice.paid_total,
                age_days=age,
                bucket=ageing_bucket(days=age),
            )
        )
    return out


@dataclass(frozen=True)
class AgeingBucket:
    key: str
    label: str
    count: int
    # Owed per currency: amounts in different currencies are never added together.
    owed: dict[str, Decimal]


def invoices_ageing(*, today: date | None = None) -> list[AgeingBucket]:
    """Open invoices summed by age bucket and currency, for the dashboard (one query)."""
    rows = invoices_open(today=today)
    buckets = []
    for key, label in AGEING_BUCKETS:
        owed: dict[str, Decimal] = {}
        in_bucket = [r for r in rows if r.bucket == key]
        for r in in_bucket:
            owed[r.invoice.currency] = owed.get(r.invoice.currency, ZERO) + r.balance
        buckets.append(AgeingBucket(key=key, label=str(label), count=len(in_bucket), owed=owed))
    return buckets


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ tab or CR gets a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


CSV_HEADER = (
    "number", "organisation", "issued_on", "due_on", "currency", "amount", "paid", "balance", "age_days",
    "ageing",
)  # fmt: skip


def invoices_open_csv(*, rows: Iterable[OpenInvoice]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows:
        i = r.invoice
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    i.display_number,
                    i.organisation.name,
                    i.issued_on.isoformat(),
                    i.due_on.isoformat(),
                    i.currency,
                    i.amount,
                    r.paid,
                    r.balance,
                    r.age_days,
                    r.bucket,
                )  # fmt: skip
            ]
        )
    return out.getvalue()
