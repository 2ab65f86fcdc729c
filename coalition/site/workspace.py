"""The staff workspace's navigation (django-unfold's sidebar), built per request.

One navigation for every staff page, admin and custom pages alike. Each item shows only to users who
may open it (unfold's ``permission`` callback); the technical tables are grouped under "System" and that
group is built only for the Secretariat admin group (and superusers), so nobody else even gets its title.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from coalition.groups import SECRETARIAT_ADMIN


def is_secretariat_admin(request: HttpRequest) -> bool:
    """Secretariat admins and superusers (asked once per request)."""
    cached = getattr(request, "_coalition_secretariat_admin", None)
    if cached is None:
        user = request.user
        cached = bool(
            user.is_active
            and user.is_staff
            and (user.is_superuser or user.groups.filter(name=SECRETARIAT_ADMIN).exists())
        )
        request._coalition_secretariat_admin = cached
    return cached


def _may(*perms: str) -> Callable[[HttpRequest], bool]:
    """A permission callback: the user holds every one of ``perms``."""

    def check(request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.has_perms(perms)

    return check


def _may_any(*perms: str) -> Callable[[HttpRequest], bool]:
    def check(request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and any(user.has_perm(p) for p in perms)

    return check


def _may_import(request: HttpRequest) -> bool:
    """The imports page's own rule: at least one kind of record the user may add and change."""
    from members.imports.services import importables_for

    return _staff(request) and bool(importables_for(request.user))


def _staff(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff


def _changelist(app: str, model: str) -> str:
    return reverse_lazy(f"admin:{app}_{model}_changelist")


def _model_item(title, icon: str, app: str, model: str, **extra) -> dict:
    return {
        "title": title,
        "icon": icon,
        "link": _changelist(app, model),
        "permission": _may(f"{app}.view_{model}"),
        **extra,
    }


def enquiries_waiting(request: HttpRequest) -> int:
    """How many enquiries wait for the secretariat (received, under review, awaiting information);
    counted once per request."""
    from members.models import Enquiry

    count = getattr(request, "_coalition_enquiries_waiting", None)
    if count is None:
        count = Enquiry.objects.filter(status__in=Enquiry.OPEN_STATUSES).count()
        request._coalition_enquiries_waiting = count
    return count


def enquiries_waiting_badge(request: HttpRequest) -> str:
    """The Enquiries item's badge (unfold's ``badge`` callback)."""
    return str(enquiries_waiting(request))


def enquiries_waiting_url(request: HttpRequest) -> str:
    from members.models import Enquiry

    statuses = ",".join(str(s) for s in Enquiry.OPEN_STATUSES)
    return f"{reverse('admin:members_enquiry_changelist')}?status__in={statuses}"


def sidebar_navigation(request: HttpRequest) -> list[dict]:
    """UNFOLD["SIDEBAR"]["navigation"]: the groups this user may see."""
    groups: list[dict] = [
        {
            "title": _("Workspace"),
            "items": [
                {
                    "title": _("Dashboard"),
                    "icon": "dashboard",
                    "link": reverse_lazy("dashboard"),
                    "permission": _staff,
                },
                {
                    "title": _("Search"),
                    "icon": "search",
                    "link": reverse_lazy("staff_search"),
                    "permission": _staff,
                },
            ],
        },
        {
            "title": _("Members"),
            "items": [
                _model_item(_("Organisations"), "apartment", "members", "organisation"),
                _model_item(_("Contacts"), "contacts", "members", "contact"),
                _model_item(_("Memberships"), "card_membership", "members", "membership"),
                _model_item(_("Commitments"), "flag", "members", "commitment"),
                _model_item(
                    _("Enquiries"),
                    "inbox",
                    "members",
                    "enquiry",
                    link=enquiries_waiting_url,
                    # No badge at all when nothing waits (unfold would show an empty one).
                    **(
                        {"badge": "coalition.site.workspace.enquiries_waiting_badge"}
                        if request.user.has_perm("members.view_enquiry") and enquiries_waiting(request)
                        else {}
                    ),
                ),
                _model_item(_("Engagements"), "history", "members", "engagement"),
                _model_item(_("Invoices"), "receipt_long", "members", "invoice"),
                {
                    "title": _("Imports"),
                    "icon": "upload_file",
                    "link": reverse_lazy("imports"),
                    "permission": _may_import,
                },
                {
                    "title": _("Duplicates"),
                    "icon": "join",
                    "link": reverse_lazy("duplicates"),
                    "permission": _may("members.view_organisation"),
                },
                {
                    "title": _("Climate data"),
                    "icon": "public",
                    "link": reverse_lazy("climate-import"),
                    "permission": _may_any("members.add_commitment", "members.add_ndcsubmission"),
                },
                _model_item(_("Discrepancies"), "rule", "members", "discrepancy"),
            ],
        },
        {
            "title": _("Campaigns"),
            "items": [
                _model_item(_("Campaigns"), "campaign", "campaigns", "campaign"),
                _model_item(_("Targets"), "ads_click", "campaigns", "target"),
                _model_item(_("Events"), "event", "campaigns", "event"),
            ],
        },
        {
            "title": _("Newsletters"),
            "items": [
                _model_item(_("Newsletters"), "mail", "newsletters", "newsletter"),
                _model_item(_("Subscribers"), "group", "newsletters", "subscriber"),
                _model_item(_("Topics"), "label", "newsletters", "topic"),
                _model_item(_("Erased addresses"), "person_off", "newsletters", "erasedaddress"),
            ],
        },
    ]
    if is_secretariat_admin(request):
        groups.append(
            {
                "title": _("System"),
                "collapsible": True,
                "items": [
                    {
                        "title": _("API tokens"),
                        "icon": "key",
                        "link": _changelist("authtoken", "tokenproxy"),
                        "permission": is_secretariat_admin,
                    },
                    _system_item(_("Periodic tasks"), "schedule", "django_celery_beat", "periodictask"),
                    _system_item(_("Intervals"), "timer", "django_celery_beat", "intervalschedule"),
                    _system_item(_("Crontabs"), "event_repeat", "django_celery_beat", "crontabschedule"),
                    _system_item(_("Clocked"), "alarm", "django_celery_beat", "clockedschedule"),
                    _system_item(_("Solar events"), "wb_sunny", "django_celery_beat", "solarschedule"),
                    _system_item(_("Outbox"), "outbox", "coalition", "outboundemail"),
                    _system_item(_("Import jobs"), "work_history", "members", "importjob"),
                    _system_item(_("Login attempts"), "lock_person", "axes", "accessattempt"),
                    _system_item(_("Users"), "person", "auth", "user"),
                    _system_item(_("Groups"), "groups", "auth", "group"),
                ],
            }
        )
    return groups


def _system_item(title, icon: str, app: str, model: str) -> dict:
    item = _model_item(title, icon, app, model)
    check = item["permission"]
    item["permission"] = lambda request: is_secretariat_admin(request) and check(request)
    return item
