"""The organisation's profile in the admin: a read-only summary, then tabs (Contacts, Membership,
Commitments, Timeline, Campaigns, Enquiries, Subscriptions). Editing is behind an "Edit" button (the
usual change form, ``?edit=1``).

Presentation only: it reads through the selectors and renders; the membership buttons post to the
membership actions (``members.admin.MEMBERSHIP_ACTIONS``), which call the services. The campaigns and
newsletters tabs come from those apps through the ``organisation_profile`` hook (members may not import
them).
"""

from django.http import HttpRequest
from django.utils.translation import gettext as _

from coalition import hooks
from members.affiliations.admin import organisation_relationships
from members.climate import selectors as climate_selectors
from members.models import Commitment, Enquiry, Membership, Organisation
from members.selectors import memberships_newest_first, organisation_timeline

TIMELINE_LIMIT = 200


def _headline(commitments: list[Commitment]) -> Commitment | None:
    """The commitment to name first: a final (not interim) net-negative target if there is one, else the
    final target with the latest year."""
    if not commitments:
        return None
    return sorted(
        commitments,
        key=lambda c: (c.is_interim, c.kind != Commitment.Kind.NET_NEGATIVE, -(c.target_year or 0)),
    )[0]


def organisation_profile_context(
    *, organisation: Organisation, request: HttpRequest, membership_actions: list[tuple[str, str]]
) -> dict:
    memberships = list(memberships_newest_first(organisation.memberships.select_related("tier")))
    current = next((m for m in memberships if m.status in Membership.CURRENT_STATUSES), None)
    commitments = list(organisation.commitments.order_by("is_interim", "target_year", "pk"))
    timeline = organisation_timeline(organisation=organisation)
    revisions: dict[int, list] = {}
    for entry in timeline:
        if entry.category == "commitment" and entry.object_id is not None:
            revisions.setdefault(entry.object_id, []).append(entry)
    contacts = list(organisation.contacts.order_by("-is_primary", "name"))
    enquiries = list(
        Enquiry.objects.filter(organisation=organisation).order_by("-last_activity_at")
        | Enquiry.objects.filter(suggested_organisation=organisation, status__in=Enquiry.OPEN_STATUSES)
    )
    extra_tabs = hooks.collect("organisation_profile", organisation=organisation, request=request)
    tags = [tag for tab in extra_tabs for tag in tab.get("tags", [])]
    tabs = [
        {"slug": "contacts", "title": _("Contacts"), "count": len(contacts)},
        {"slug": "membership", "title": _("Membership"), "count": len(memberships)},
        {"slug": "commitments", "title": _("Commitments"), "count": len(commitments)},
        {"slug": "timeline", "title": _("Timeline"), "count": len(timeline)},
        *[tab for tab in extra_tabs if tab["slug"] == "campaigns"],
        {"slug": "enquiries", "title": _("Enquiries"), "count": len(enquiries)},
        *[tab for tab in extra_tabs if tab["slug"] != "campaigns"],
    ]
    return {
        "organisation": organisation,
        "current_membership": current,
        "memberships": memberships,
        "membership_actions": membership_actions if current is not None else [],
        "action_membership": current,
        "commitments": [(c, revisions.get(c.pk, [])) for c in commitments],
        "headline": _headline(commitments),
        "primary_contact": next((c for c in contacts if c.is_primary), None),
        "contacts": contacts,
        "timeline": timeline[:TIMELINE_LIMIT],
        "timeline_limit": TIMELINE_LIMIT,
        "enquiries": enquiries,
        "campaign_tags": tags,
        "tabs": tabs,
        "extra_tabs": extra_tabs,
        "climate": climate_selectors.organisation_climate(organisation=organisation),
        **organisation_relationships(organisation=organisation),
    }
