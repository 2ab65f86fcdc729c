"""The staff workspace (django-unfold): one navigation on every staff page, the System group for the
Secretariat admin only, pickers by name, the CSP allowance for unfold's scripts on staff pages only."""

import re

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin, RelatedFieldWidgetWrapper
from django.test import RequestFactory
from unfold.admin import ModelAdmin, StackedInline, TabularInline

pytestmark = pytest.mark.django_db

NAVIGATION = ["Dashboard", "Organisations", "Contacts", "Enquiries", "Campaigns", "Events"]
NAVIGATION += ["Newsletters", "Subscribers", "Imports", "Duplicates", "Search"]
STAFF_PAGES = ["/admin/", "/dashboard/", "/search/", "/staff/imports/", "/staff/duplicates/"]
STAFF_PAGES += ["/staff/climate/import/", "/admin/members/organisation/"]


SYSTEM_HEADING = re.compile(r"<h2[^>]*>\s*System\b")


def _sidebar(client, path: str) -> str:
    html = client.get(path).content.decode()
    start = html.index('id="nav-sidebar"')
    return html[start : html.index("</nav>", start)]


def test_every_admin_page_and_inline_uses_unfolds_classes(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, ModelAdmin), model
        for inline in model_admin.get_inline_instances(request, None):
            assert isinstance(inline, TabularInline | StackedInline), (model, inline)


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_every_staff_page_shows_the_one_navigation_and_the_search_box(client, admin_user, path):
    client.force_login(admin_user)
    sidebar = _sidebar(client, path)
    for title in NAVIGATION:
        assert f"<span>{title}</span>" in sidebar, (path, title)
    assert 'action="/search/"' in sidebar and 'name="q"' in sidebar


def test_the_secretariat_admin_sees_the_system_group_with_the_technical_tables(client, admin_user):
    client.force_login(admin_user)
    sidebar = _sidebar(client, "/dashboard/")
    assert SYSTEM_HEADING.search(sidebar)
    for title in ["API tokens", "Periodic tasks", "Crontabs", "Clocked", "Solar events", "Outbox"]:
        assert f"<span>{title}</span>" in sidebar
    assert "<span>Import jobs</span>" in sidebar and "<span>Users</span>" in sidebar


@pytest.mark.parametrize("who", ["staff_user", "comms_user", "viewer_user"])
def test_other_staff_groups_get_no_system_group(client, who, request):
    client.force_login(request.getfixturevalue(who))
    for path in ["/dashboard/", "/admin/members/organisation/"]:
        sidebar = _sidebar(client, path)
        assert not SYSTEM_HEADING.search(sidebar)
        assert "Periodic tasks" not in sidebar and "API tokens" not in sidebar and "Outbox" not in sidebar


def test_the_enquiries_item_shows_how_many_wait_and_links_to_them(client, admin_user):
    from tests.members.enquiry_factories import EnquiryFactory

    EnquiryFactory.create_batch(3)
    client.force_login(admin_user)
    sidebar = _sidebar(client, "/dashboard/")
    item = sidebar[
        sidebar.index("/admin/members/enquiry/?status__in=received,under_review,awaiting_information") :
    ]
    badge = item[item.index("<span>Enquiries</span>") : item.index("</a>")]
    assert badge.split("<span", 2)[2].split(">", 1)[1].split("</span>")[0].strip() == "3"


def test_the_admin_index_is_the_dashboard(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/admin/").content.decode()
    assert "Members in good standing" in html and "Enquiries waiting" in html


def test_staff_pages_allow_unfolds_alpine_and_public_pages_keep_the_strict_policy(client, admin_user):
    client.force_login(admin_user)
    for path in ["/admin/", "/dashboard/", "/staff/imports/"]:
        policy = client.get(path)["Content-Security-Policy"]
        assert (
            "'unsafe-eval'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        )
    for path in ["/", "/join/", "/members/"]:
        assert "'unsafe-eval'" not in client.get(path)["Content-Security-Policy"]


PICKED_BY_NAME = [
    "members.Organisation",
    "members.Contact",
    "members.MembershipTier",
    "newsletters.Subscriber",
    "campaigns.Campaign",
    "campaigns.Event",
]


def test_every_admin_form_picks_organisations_contacts_subscribers_tiers_and_campaigns_by_name(superuser):
    targets = {apps.get_model(label) for label in PICKED_BY_NAME}
    request = RequestFactory().get("/admin/")
    request.user = superuser
    numeric = []

    def check(where: str, form_class) -> None:
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model in targets:
                widget = field.widget
                if isinstance(widget, RelatedFieldWidgetWrapper):
                    widget = widget.widget
                if not isinstance(widget, AutocompleteMixin):
                    numeric.append(f"{where}.{name}")

    for model_admin in admin.site._registry.values():
        check(type(model_admin).__name__, model_admin.get_form(request, None))
        for inline in model_admin.get_inline_instances(request, None):
            check(type(inline).__name__, inline.get_formset(request, None).form)
    assert numeric == []


def test_the_enquiry_approval_form_picks_the_organisation_by_name(client, staff_user):
    from tests.members.enquiry_factories import EnquiryFactory

    enquiry = EnquiryFactory()
    client.force_login(staff_user)
    html = client.get(f"/admin/members/enquiry/{enquiry.pk}/pipeline/approve/").content.decode()
    assert (
        'data-ajax--url="/admin/autocomplete/"' in html and 'data-field-name="suggested_organisation"' in html
    )
    assert 'type="number"' not in html


def test_the_organisation_picker_finds_denmark_from_den(client, staff_user):
    from tests.members.factories import CountryFactory

    CountryFactory(name="Denmark", country="DK")
    CountryFactory(name="Norway", country="NO")
    client.force_login(staff_user)
    found = client.get(
        "/admin/autocomplete/",
        {
            "term": "Den",
            "app_label": "members",
            "model_name": "enquiry",
            "field_name": "suggested_organisation",
        },
    ).json()
    assert [r["text"] for r in found["results"]] == ["Denmark"]


def test_dates_read_day_month_year_on_the_staff_side():
    from datetime import date

    from django.utils import formats, translation

    with translation.override("en-gb"):
        assert formats.date_format(date(2026, 4, 3), "SHORT_DATE_FORMAT") == "03/04/2026"
        assert formats.date_format(date(2026, 4, 3)) == "3 Apr 2026"
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%d/%m/%Y"


def test_pages_show_the_secretariats_time_zone_while_the_api_keeps_utc(
    settings, staff_api, client, staff_user
):
    from datetime import UTC, datetime

    from tests.members.factories import EngagementFactory

    settings.TIME_ZONE = "Europe/Copenhagen"
    engagement = EngagementFactory(occurred_at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC))
    row = staff_api.get(f"/api/v1/engagements/{engagement.pk}/").json()
    assert row["occurred_at"] == "2026-11-27T09:30:00Z"
    client.force_login(staff_user)
    page = client.get(f"/admin/members/engagement/{engagement.pk}/change/").content.decode()
    assert 'value="27/11/2026"' in page and 'value="10:30:00"' in page
