"""Writes of the dues: invoices (gap-free numbers), sending them, payments, and renewal reminders.

Amounts are ``Decimal`` with a currency, never floats.
"""

import logging
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from coalition.dates import secretariat_today
from coalition.exceptions import InvalidTransition
from coalition.outbox.rendering import absolute_url, attachment
from coalition.outbox.services import email_queue
from members.models import Contact, Invoice, InvoiceSequence, Membership, Organisation, Payment

log = logging.getLogger(__name__)

Status = Membership.Status
CENT = Decimal("0.01")


# --- Invoice numbers ------------------------------------------------------------------------------------


def invoice_number_take(*, sequence: str) -> int:
    """The next number of ``sequence``, taken inside the caller's transaction.

    The counter row is locked (``SELECT … FOR UPDATE``) until the transaction ends: a concurrent caller waits
    and then reads the incremented value, so two invoices never share a number; and a rolled-back invoice
    rolls its increment back too, so the sequence has no gaps.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_number_take() must run inside the transaction that saves the invoice")
    InvoiceSequence.objects.get_or_create(name=sequence)
    counter = InvoiceSequence.objects.select_for_update().get(name=sequence)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


# --- Invoices ---------------------------------------------------------------------------------------------


def bill_to(*, organisation: Organisation) -> str:
    """The bill-to block, from the organisation as it is when the invoice is issued."""
    lines = [organisation.name]
    contact = billing_contact(organisation=organisation)
    if contact is not None:
        lines.append(_("Attn. %s") % contact.name)
    if organisation.country:
        lines.append(str(organisation.country.name))
    return "\n".join(lines)


def billing_contact(*, organisation: Organisation) -> Contact | None:
    """Who receives invoices and reminders: the primary contact, else the first contact with an email."""
    contacts = organisation.contacts.exclude(email="").order_by("-is_primary", "name", "pk")
    return contacts.first()


def membership_fee(*, membership: Membership) -> Decimal | None:
    fee = membership.tier.annual_fee
    if fee is None or fee <= 0:
        return None
    return fee.quantize(CENT)


@transaction.atomic
def invoice_issue_for_period(
    *, membership: Membership, period_start: date, by=None, today: date | None = None
) -> Invoice | None:
    """Invoice one period of ``membership`` if its tier has a fee, and send it; None for a free tier.

    Idempotent per period: an existing (not void) invoice for the same period is returned as it is.
    """
    amount = membership_fee(membership=membership)
    if amount is None:
        return None
    existing = (
        Invoice.objects.filter(membership=membership, period_start=period_start)
        .exclude(status=Invoice.Status.VOID)
        .first()
    )
    if existing is not None:
        return existing
    today = today or secretariat_today()
    sequence = settings.INVOICE_SEQUENCE
    invoice = Invoice(
        sequence=sequence,
        number=invoice_number_take(sequence=sequence),
        membership=membership,
        organisation=membership.organisation,
        tier=membership.tier,
        period_start=period_start,
        period_end=membership.end_date,
        issued_on=today,
        due_on=today + timedelta(days=settings.INVOICE_DUE_DAYS),
        amount=amount,
        currency=membership.tier.currency,
        bill_to=bill_to(organisation=membership.organisation),
        tax_note=settings.INVOICE_TAX_NOTE,
    )
    invoice.full_clean(validate_constraints=False)
    invoice.save()
    invoice_send(invoice=invoice)
    return invoice


def invoice_send(*, invoice: Invoice):
    """Email the invoice with its PDF to the organisation's billing contact, once (outbox dedupe key).

    Returns the outbox row, or None when the organisation has no contact with an email (the invoice stays
    open; staff send it once a contact is recorded).
    """
    from members.dues.pdf import invoice_pdf

    contact = billing_contact(organisation=invoice.organisation)
    if contact is None:
        log.warning("invoice %s not sent: %s has no contact with an email", invoice, invoice.organisation)
        return None
    return email_queue(
        kind="dues.invoice",
        to=contact.email,
        template="dues_invoice",
        context={"invoice": invoice, "contact": contact, "organisation": invoice.organisation},
        dedupe_key=f"dues.invoice:{invoice.sequence}-{invoice.number}",
        language=contact.preferred_language,
        attachments=[
            attachment(
                filename=f"{invoice.display_number}.pdf",
                mimetype="application/pdf",
                content=invoice_pdf(invoice=invoice),
            )
        ],
        reply_to=settings.SECRETARIAT_EMAIL,
    )


@transaction.atomic
def invoice_void(*, invoice: Invoice, by=None) -> Invoice:
    """Cancel an open invoice without payments. Its number stays used (no gap, no reuse)."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != Invoice.Status.OPEN:
        raise InvalidTransition(_("Only an open invoice can be voided."))
    if locked.payments.exists():
        raise InvalidTransition(_("This invoice has payments; it cannot be voided."))
    locked.status = Invoice.Status.VOID
    locked.save(update_fields=["status", "updated_at"])
    invoice.refresh_from_db()
    return locked


def invoice_paid_total(*, invoice: Invoice) -> Decimal:
    return invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


# --- A tier change ----------------------------------------------------------------------------------------


def period_invoice(*, membership: Membership) -> Invoice | None:
    """The invoice of the period ``membership`` runs to (the one ending on its end date), or None."""
    return period_invoices(memberships=[membership]).get(membership.pk)


def period_invoices(*, memberships: list[Membership]) -> dict[int, Invoice]:
    """Each of ``memberships``' period invoice (the one ending on its end date), by membership pk. One query.

    A membership's latest invoice that is not void and whose period reaches the membership's end date (an
    open-ended membership's has no end either). An older invoice belongs to a period before a renewal, on
    the tier of that period, and stays as it is.
    """
    by_pk = {membership.pk: membership for membership in memberships}
    if not by_pk:
        return {}
    invoices = (
        Invoice.objects.filter(membership_id__in=by_pk)
        .exclude(status=Invoice.Status.VOID)
        .order_by("membership_id", "-period_start", "-pk")
    )
    found: dict[int, Invoice] = {}
    for invoice in invoices:
        end = by_pk[invoice.membership_id].end_date
        reaches = invoice.period_end is None or (end is not None and invoice.period_end >= end)
        if reaches:
            found.setdefault(invoice.membership_id, invoice)
    return found


def memberships_fee_paid(*, memberships: list[Membership]) -> set[int]:
    """The pks of those of ``memberships`` whose period invoice is paid in full. One query."""
    found = period_invoices(memberships=memberships)
    return {pk for pk, invoice in found.items() if invoice.status == Invoice.Status.PAID}


def tier_change_validate(*, membership: Membership) -> Invoice | None:
    """Check that ``membership`` (as stored, before the change) may change tier; return its period's invoice.

    A tier change invoices the period again at the new tier, so the period's invoice must be voidable:
    money received against one tier's invoice is not moved to another's (there are no credit notes). With a
    payment recorded, the period stays on its tier and the change waits for the renewal, which takes a tier.
    """
    invoice = period_invoice(membership=membership)
    if invoice is None:
        return None
    paid = invoice_paid_total(invoice=invoice)
    if paid > 0:
        raise ValidationError(
            {
                "tier": _(
                    "Invoice %(number)s of this period has payments recorded (%(paid)s of %(amount)s "
                    "%(currency)s), so the period stays on the %(tier)s tier. Change the tier at renewal "
                    "(“Renew for one period”, choosing the new tier)."
                )
                % {
                    "number": invoice.display_number,
                    "paid": paid,
                    "amount": invoice.amount,
                    "currency": invoice.currency,
                    "tier": invoice.tier.name,
                }
            }
        )
    return invoice


@transaction.atomic
def invoices_follow_tier_change(
    *, membership: Membership, invoice: Invoice | None, period_start: date | None, by=None
) -> Invoice | None:
    """After ``membership`` changed tier: void its period's open ``invoice`` (the number stays used) and
    invoice the period from ``period_start`` at the new tier. Returns the new invoice; None when the new
    tier has no fee or there is no period to invoice (``period_start`` None)."""
    if invoice is not None:
        invoice_void(invoice=invoice, by=by)
    if period_start is None:
        return None
    return invoice_issue_for_period(membership=membership, period_start=period_start, by=by)


# --- Payments ---------------------------------------------------------------------------------------------


def _as_amount(value) -> Decimal:
    if isinstance(value, float):
        raise ValidationError({"amount": _("Give the amount as a decimal string, not a float.")})
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"amount": _("Not an amount: %s.") % value}) from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": _("A payment amount must be positive.")})
    if amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("An amount has at most two decimals.")})
    return amount


def payment_validate(
    *, invoice: Invoice, amount, currency: str | None, paid_on: date | None = None, today: date | None = None
) -> tuple[Decimal, str, Decimal]:
    """The payment rules, as messages: an open invoice, a positive amount of at most two decimals, in the
    invoice's currency, no more than the balance, and a payment date that is not later than today (in the
    secretariat's time zone). Returns the amount, the currency and the balance."""
    if invoice.status != Invoice.Status.OPEN:
        raise InvalidTransition(
            _("Invoice %(number)s is %(status)s; payments are recorded against open invoices only.")
            % {"number": invoice.display_number, "status": invoice.get_status_display().lower()}
        )
    amount = _as_amount(amount)
    currency = (currency or invoice.currency).upper()
    if currency != invoice.currency:
        raise ValidationError(
            {"currency": _("This invoice is in %(currency)s.") % {"currency": invoice.currency}}
        )
    today = today or secretariat_today()
    if paid_on is not None and paid_on > today:
        raise ValidationError(
            {
                "paid_on": _(
                    "A payment cannot be dated in the future: %(paid_on)s is later than today, %(today)s."
                )
                % {"paid_on": paid_on.isoformat(), "today": today.isoformat()}
            }
        )
    balance = invoice.amount - invoice_paid_total(invoice=invoice)
    if amount > balance:
        raise ValidationError(
            {
                "amount": _("Only %(balance)s %(currency)s is still owed.")
                % {"balance": balance, "currency": currency}
            }
        )
    return amount, currency, balance


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount,
    paid_on: date | None = None,
    method: str = Payment.Method.BANK_TRANSFER,
    reference: str = "",
    currency: str | None = None,
    by=None,
    today: date | None = None,
) -> Payment:
    """Record money received against an open invoice. Partial payments are allowed; more than the balance
    is refused, and so is a payment dated later than ``today`` (by default today in the secretariat's time
    zone). When the invoice is paid in full it is marked paid, and a pending membership of a fee-first tier
    becomes active (on its start date, if that is still to come: ``memberships_recompute_statuses``)."""
    today = today or secretariat_today()
    locked = Invoice.objects.select_for_update().select_related("membership__tier").get(pk=invoice.pk)
    amount, currency, balance = payment_validate(
        invoice=locked, amount=amount, currency=currency, paid_on=paid_on, today=today
    )
    payment = Payment(
        invoice=locked,
        paid_on=paid_on or today,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference,
        recorded_by=by,
    )
    payment.full_clean(validate_constraints=False)
    payment.save()
    if amount == balance:
        locked.status = Invoice.Status.PAID
        locked.paid_on = payment.paid_on
        locked.save(update_fields=["status", "paid_on", "updated_at"])
        _activate_on_payment(invoice=locked, by=by, today=today)
    invoice.refresh_from_db()
    return payment


def _activate_on_payment(*, invoice: Invoice, by, today: date) -> None:
    from members.services import membership_activate

    membership = invoice.membership
    tier = membership.tier
    fee_first = tier.fee_first or tier.starts_pending
    if membership.status == Status.PENDING and fee_first and membership.start_date <= today:
        membership_activate(membership=membership, by=by, today=today)


# --- Renewal reminders ------------------------------------------------------------------------------------

REMINDER_FIRST, REMINDER_SECOND, REMINDER_GRACE = "first", "second", "grace"


def reminder_due(*, membership: Membership, today: date) -> str | None:
    """Which renewal reminder ``membership`` is due on ``today``, by its dates and its tier, or None.

    Before the end date, the latest reminder whose window has opened (so a membership that starts inside
    the 60-day window gets only the 14-day one); after it, the grace reminder while the dates say grace.
    """
    from members.services import membership_status_on

    if membership.end_date is None or membership.status_override:
        return None
    status = membership_status_on(membership=membership, on=today)
    tier = membership.tier
    if status == Status.ACTIVE:
        days_left = (membership.end_date - today).days
        windows = [
            (days, kind)
            for days, kind in (
                (tier.first_reminder_days, REMINDER_FIRST),
                (tier.second_reminder_days, REMINDER_SECOND),
            )
            if days is not None and days_left <= days
        ]
        return min(windows)[1] if windows else None
    if status == Status.GRACE and tier.grace_reminder:
        return REMINDER_GRACE
    return None


def renewal_reminder_key(*, membership: Membership, kind: str) -> str:
    # The period is identified by its end date: a renewal moves it, and the next period's reminders follow.
    return f"renewal-reminder:{membership.pk}:{membership.end_date.isoformat()}:{kind}"


def renewal_reminders_send(*, today: date | None = None) -> int:
    """Queue the renewal reminders due on ``today``; return how many new ones were queued.

    Each reminder is sent once per membership period (outbox dedupe key), so the daily task may run any
    number of times a day, or catch up after a missed day, without sending one twice.
    """
    from coalition.models import OutboundEmail

    today = today or secretariat_today()
    horizon = max(366, settings.INVOICE_DUE_DAYS)
    candidates = (
        Membership.objects.filter(
            status__in=(Status.ACTIVE, Status.GRACE),
            status_override=False,
            end_date__isnull=False,
            end_date__gte=today - timedelta(days=horizon),
            end_date__lte=today + timedelta(days=horizon),
        )
        .select_related("tier", "organisation")
        .order_by("pk")
    )
    due = []
    for membership in candidates.iterator(chunk_size=1000):
        kind = reminder_due(membership=membership, today=today)
        if kind is not None:
            due.append((membership, kind, renewal_reminder_key(membership=membership, kind=kind)))
    if not due:
        return 0
    sent = set(
        OutboundEmail.objects.filter(dedupe_key__in=[k for _m, _k, k in due]).values_list(
            "dedupe_key", flat=True
        )
    )
    queued = 0
    for membership, kind, key in due:
        if key in sent:
            continue
        with transaction.atomic():
            if renewal_reminder_queue(membership=membership, kind=kind, today=today) is not None:
                queued += 1
    return queued


def renewal_reminder_queue(*, membership: Membership, kind: str, today: date):
    contact = billing_contact(organisation=membership.organisation)
    if contact is None:
        return None
    return email_queue(
        kind=f"dues.renewal_reminder.{kind}",
        to=contact.email,
        template="dues_renewal_reminder",
        context={
            "membership": membership,
            "organisation": membership.organisation,
            "contact": contact,
            "kind": kind,
            "days_left": (membership.end_date - today).days,
            # For the secretariat's follow-up, copied into the footer of the message they receive in reply.
            "renewal_url": absolute_url(reverse("admin:members_membership_change", args=[membership.pk])),
        },
        dedupe_key=renewal_reminder_key(membership=membership, kind=kind),
        reply_to=settings.SECRETARIAT_EMAIL,
        language=contact.preferred_language,
    )


def invoices_follow_organisation_merge(*, keep: Organisation, gone: Organisation) -> None:
    """Hook ``organisations_merged``: invoices move to the kept record; what they said (bill-to) stays."""
    Invoice.objects.filter(organisation=gone).update(organisation=keep)
