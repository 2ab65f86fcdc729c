"""Invoice PDFs, drawn with ReportLab (pure Python: no system libraries to install, unlike WeasyPrint)."""

from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from members.models import Invoice


def _p(text: str, style) -> Paragraph:
    # Paragraph reads a small XML markup: names such as "Smith & Co <Ltd>" must be escaped.
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The invoice as a one-page A4 PDF: the coalition's name and address, bill-to, number, dates, the
    membership period, the amount with its currency, and the tax note."""
    styles = getSampleStyleSheet()
    normal, heading = styles["Normal"], styles["Heading1"]
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=_("Invoice %s") % invoice.display_number,
        author=settings.COALITION_NAME,
    )
    period = formats.date_format(invoice.period_start, "j F Y")
    if invoice.period_end:
        period += " – " + formats.date_format(invoice.period_end, "j F Y")
    amount = f"{invoice.amount:,.2f} {invoice.currency}"
    story = [
        _p(settings.COALITION_NAME, styles["Heading2"]),
        _p(settings.COALITION_ADDRESS, normal),
        Spacer(1, 10 * mm),
        _p(_("Invoice %s") % invoice.display_number, heading),
        Table(
            [
                [_("Issued on"), formats.date_format(invoice.issued_on, "j F Y")],
                [_("Due on"), formats.date_format(invoice.due_on, "j F Y")],
            ],
            hAlign="LEFT",
        ),
        Spacer(1, 6 * mm),
        _p(_("Bill to"), styles["Heading3"]),
        _p(invoice.bill_to, normal),
        Spacer(1, 8 * mm),
    ]
    lines = Table(
        [
            [_("Description"), _("Amount")],
            [
                _p(
                    _("Membership dues: %(tier)s, %(period)s")
                    % {"tier": invoice.tier.name_in(get_language()), "period": period},
                    normal,
                ),
                amount,
            ],
            [_("Total"), amount],
        ],
        colWidths=[120 * mm, 50 * mm],
    )
    lines.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [lines, Spacer(1, 8 * mm)]
    if invoice.tax_note:
        story.append(_p(invoice.tax_note, normal))
    story.append(Spacer(1, 4 * mm))
    story.append(
        _p(_("Please quote %s with your payment.") % invoice.display_number, normal),
    )
    doc.build(story)
    return buffer.getvalue()
