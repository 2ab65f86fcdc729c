"""Reads of the dues: invoices with what is paid, open invoices by age, and their CSV export."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from coalition.dates import secretariat_today
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
    today = today or secretariat_today()
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


def _bucket_conditions(*, today: date, prefix: str = "") -> dict[str, Q]:
    """The ageing buckets as conditions on the issue date (the same cut-offs as ``ageing_bucket``)."""
    field = f"{prefix}issued_on"
    day_30, day_60 = today - timedelta(days=30), today - timedelta(days=60)
    return {
        "0-30": Q(**{f"{field}__gte": day_30}),
        "31-60": Q(**{f"{field}__lt": day_30, f"{field}__gte": day_60}),
        "60+": Q(**{f"{field}__lt": day_60}),
    }


def invoices_ageing(*, today: date | None = None) -> list[AgeingBucket]:
    """Open invoices counted and summed by age bucket and currency, for the dashboard.

    Two grouped queries (invoiced, then paid so far) whatever the number of invoices.
    """
    today = today or secretariat_today()
    keys = [key for key, _label in AGEING_BUCKETS]
    billed_q = _bucket_conditions(today=today)
    paid_q = _bucket_conditions(today=today, prefix="invoice__")
    billed = list(
        Invoice.objects.filter(status=Invoice.Status.OPEN)
        .order_by()
        .values("currency")
        .annotate(
            **{f"n{i}": Count("pk", filter=billed_q[k]) for i, k in enumerate(keys)},
            **{f"a{i}": Sum("amount", filter=billed_q[k]) for i, k in enumerate(keys)},
        )
    )
    paid = (
        Payment.objects.filter(invoice__status=Invoice.Status.OPEN)
        .order_by()
        .values("invoice__currency")
        .annotate(**{f"p{i}": Sum("amount", filter=paid_q[k]) for i, k in enumerate(keys)})
    )
    paid_by_currency = {row["invoice__currency"]: row for row in paid}
    buckets = []
    for i, (key, label) in enumerate(AGEING_BUCKETS):
        count, owed = 0, {}
        for row in billed:
            if not row[f"n{i}"]:
                continue
            count += row[f"n{i}"]
            paid_row = paid_by_currency.get(row["currency"], {})
            owed[row["currency"]] = (row[f"a{i}"] or ZERO) - (paid_row.get(f"p{i}") or ZERO)
        buckets.append(AgeingBucket(key=key, label=str(label), count=count, owed=owed))
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
