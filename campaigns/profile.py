"""The organisation profile's Campaigns tab (hook ``organisation_profile``): the campaigns that target the
organisation, at which stage, and the events its people took part in. Read only."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import EventParticipant, Target


def organisation_profile_campaigns(*, organisation, request) -> list[dict]:
    targets = list(
        Target.objects.filter(organisation=organisation)
        .select_related("campaign")
        .order_by("-campaign__deadline")
    )
    participations = list(
        EventParticipant.objects.filter(organisation=organisation)
        .select_related("event", "contact")
        .order_by("-event__starts_at")
    )
    html = render_to_string(
        "campaigns/staff/organisation_profile_tab.html",
        {"targets": targets, "participations": participations},
        request=request,
    )
    tags = [
        (t.campaign.name, reverse("admin:campaigns_campaign_change", args=[t.campaign_id]))
        for t in targets
        if t.campaign.status in ("planned", "active")
    ]
    return [
        {"slug": "campaigns", "title": _("Campaigns"), "count": len(targets), "html": html, "tags": tags},
    ]
