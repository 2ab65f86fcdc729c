from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from coalition import charts
from coalition.site import dashboard
from members.climate import selectors as climate_selectors


@staff_member_required
def dashboard_view(request):
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
    return render(request, "coalition/dashboard.html", context)
