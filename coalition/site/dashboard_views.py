from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coalition import charts
from coalition.site import dashboard
from coalition.site.workspace import enquiries_waiting_url
from members.climate import selectors as climate_selectors
from members.models import Enquiry


def _headline_cards(request, context: dict) -> list[dict]:
    """The cards at the top, each linking to the list it summarises (presentation only: the
    figures come from the dashboard's data functions already in the context)."""
    share = context["net_negative_share"]
    labels = dict(Enquiry.Status.choices)
    open_labels = {str(labels[s]) for s in Enquiry.OPEN_STATUSES}
    waiting = sum(n for label, n in context["enquiry_funnel"] if str(label) in open_labels)
    campaigns = context["campaigns"]
    active = [(c, p) for c, p in campaigns if c.status == "active"] or campaigns
    targets = sum(p.total for _, p in active)
    committed = sum(p.committed for _, p in active)
    last = context["recent_sends"][0] if context["recent_sends"] else None
    organisations = reverse("admin:members_organisation_changelist")
    cards = [
        {
            "title": _("Members in good standing"),
            "figure": share.whole,
            "detail": _("active or in their grace period"),
            "url": f"{organisations}?membership_status=good_standing",
        },
        {
            "title": _("Members with net-negative targets"),
            "figure": f"{share.percent}%",
            "detail": _("%(part)s of %(whole)s members in good standing")
            % {"part": share.part, "whole": share.whole},
            "url": reverse("admin:members_commitment_changelist") + "?kind__exact=net_negative",
            "percent": share.percent,
        },
        {
            "title": _("Enquiries waiting"),
            "figure": waiting,
            "detail": _("received, under review or awaiting information"),
            "url": enquiries_waiting_url(request),
        },
        {
            "title": _("Campaign progress"),
            "figure": f"{committed} / {targets}",
            "detail": ngettext(
                "targets committed in %(n)d campaign", "targets committed in %(n)d campaigns", len(active)
            )
            % {"n": len(active)},
            "url": reverse("admin:campaigns_campaign_changelist") + "?status__exact=active",
            "percent": round(100 * committed / targets) if targets else 0,
        },
        {
            "title": _("Last newsletter"),
            "figure": last.delivered if last else "–",
            "detail": _("delivered · %(subject)s") % {"subject": last.subject}
            if last
            else _("No newsletter sent yet"),
            "url": reverse("admin:newsletters_newsletter_change", args=[last.pk])
            if last
            else reverse("admin:newsletters_newsletter_changelist"),
        },
    ]
    return cards


def dashboard_context(request) -> dict:
    over_time = dashboard.members_over_time(months=12)
    by_kind = dashboard.commitments_by_kind()
    by_year = dashboard.commitments_by_target_year()
    funnel = dashboard.enquiry_funnel()
    subscribers = dashboard.subscribers_over_time(months=12)
    context = {
        "members_over_time": over_time,
        "members_chart": charts.line_chart(
            labels=over_time["labels"],
            series=[charts.Series(s["name"], s["values"]) for s in over_time["series"]],
            title="Members at the end of each month, by kind",
        ),
        "commitments_by_kind": by_kind,
        "commitments_kind_chart": charts.bar_chart(
            labels=[k for k, _ in by_kind], values=[n for _, n in by_kind], title="Commitments by kind"
        ),
        "commitments_by_year": by_year,
        "commitments_year_chart": charts.bar_chart(
            labels=[y for y, _ in by_year], values=[n for _, n in by_year], title="Commitments by target year"
        ),
        "net_negative_share": dashboard.members_with_net_negative_targets(),
        "memberships_attention": dashboard.memberships_needing_attention(),
        "countries_without_focal_point": dashboard.countries_without_focal_point(),
        "open_invoices_ageing": dashboard.open_invoices_ageing(),
        "enquiry_funnel": funnel,
        "enquiry_funnel_chart": charts.bar_chart(
            labels=[k for k, _ in funnel], values=[n for _, n in funnel], title="Enquiries at each stage"
        ),
        "enquiry_median_days": dashboard.enquiry_median_days(),
        "enquiries_waiting": dashboard.enquiries_waiting(),
        "campaigns": dashboard.campaign_progress_rows(),
        "targets_overdue": dashboard.targets_overdue(),
        "subscribers_over_time": subscribers,
        "subscribers_chart": charts.line_chart(
            labels=subscribers["labels"],
            series=[charts.Series("Confirmed subscribers", subscribers["values"])],
            title="Confirmed subscribers at the end of each month",
        ),
        "recent_sends": dashboard.recent_sends(),
        "climate": climate_selectors.dashboard_figures(),
    }
    context["headline_cards"] = _headline_cards(request, context)
    return context


@staff_member_required
def dashboard_view(request):
    return render(
        request, "coalition/dashboard.html", {"title": _("Dashboard"), **dashboard_context(request)}
    )


def admin_index_callback(request, context: dict) -> dict:
    """UNFOLD["DASHBOARD_CALLBACK"]: the admin's index page is the dashboard."""
    return {**context, **dashboard_context(request), "title": _("Dashboard")}
