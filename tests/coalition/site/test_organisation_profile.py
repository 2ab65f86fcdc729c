"""The organisation's profile in the admin: a read-only summary first, then tabs; the form behind "Edit";
what each staff group may do from it."""

import pytest
from django.urls import reverse

from members import demo
from members.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def denmark():
    demo.load(profile="gone")
    return Organisation.objects.get(kind="country", country="DK")


def _url(organisation, **query) -> str:
    url = reverse("admin:members_organisation_change", args=[organisation.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_organisation_page_opens_on_a_read_only_summary_with_tabs(client, admin_user, denmark):
    client.force_login(admin_user)
    response = client.get(_url(denmark))
    html = response.content.decode()

    assert response.template_name == "admin/members/organisation/profile.html"
    assert "adminform" not in response.context and "<textarea" not in html
    summary = html[html.index('class="profile-summary"') : html.index('role="tablist"')]
    facts = ["Country", "Denmark", "Public sector", "en.kefm.dk", "Founding member", "Active", "Freja Holm"]
    for fact in facts:
        assert fact in summary, fact
    assert "flags/dk.gif" in summary
    tabs = ["Contacts", "Membership", "Commitments", "Timeline", "Campaigns", "Enquiries", "Subscriptions"]
    for tab in tabs:
        assert f'id="tab-{tab.lower()}"' in html, tab
    assert "Climate neutrality by 2045" in html and "Emissions 110 % below 1990 by 2050" in html
    assert 'id="timeline-heading"' in html and "Membership created: Founding member, Active" in html
    assert f'href="{_url(denmark, edit=1)}"' in html


def test_edit_opens_the_usual_form_and_save_and_continue_stays_on_it(client, admin_user, denmark):
    client.force_login(admin_user)
    response = client.get(_url(denmark, edit=1))
    assert "adminform" in response.context

    form = response.context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.pop("parent")
    for prefix in ("contacts", "memberships", "commitments", "engagements"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    saved = client.post(_url(denmark), {**data, "_continue": "1"})
    assert saved.status_code == 302 and saved["Location"].endswith("?edit=1")


def test_the_membership_tab_offers_the_membership_actions_to_who_may_use_them(client, admin_user, denmark):
    client.force_login(admin_user)
    html = client.get(_url(denmark)).content.decode()
    panel = html[html.index('id="panel-membership"') : html.index('id="panel-commitments"')]
    assert 'action="/admin/members/membership/"' in panel
    for action in ["renew_memberships", "set_status_override", "suspend_memberships"]:
        assert f'value="{action}"' in panel


@pytest.mark.parametrize("who", ["viewer_user", "comms_user"])
def test_viewers_and_communications_officers_see_no_edit_button_and_no_membership_actions(
    client, who, request, denmark
):
    client.force_login(request.getfixturevalue(who))
    html = client.get(_url(denmark)).content.decode()
    assert "Founding member" in html
    assert 'id="profile-edit"' not in html and "?edit=1" not in html
    assert 'value="renew_memberships"' not in html and 'class="membership-actions"' not in html


def test_a_viewer_sees_no_add_or_edit_buttons_in_the_lists(client, viewer_user, denmark):
    client.force_login(viewer_user)
    changelist = client.get(reverse("admin:members_organisation_changelist")).content.decode()
    assert reverse("admin:members_organisation_add") not in changelist
    membership = denmark.memberships.get()
    page = client.get(reverse("admin:members_membership_change", args=[membership.pk])).content.decode()
    assert 'name="_save"' not in page and 'value="renew_memberships"' not in page


def test_a_communications_officer_reaches_newsletters_and_subscribers_but_no_membership_action(
    client, comms_user, denmark
):
    client.force_login(comms_user)
    for name in ["newsletters_newsletter_changelist", "newsletters_subscriber_changelist"]:
        assert client.get(reverse(f"admin:{name}")).status_code == 200
    html = client.get("/dashboard/").content.decode()
    assert "<span>Newsletters</span>" in html and "<span>Subscribers</span>" in html
    membership = denmark.memberships.get()
    page = client.get(reverse("admin:members_membership_change", args=[membership.pk])).content.decode()
    assert 'value="renew_memberships"' not in page


def test_campaigns_targeting_it_show_as_tags_and_in_the_campaigns_tab_and_subscribers_in_theirs(
    client, staff_user, denmark
):
    from tests.campaigns.factories import CampaignFactory, TargetFactory
    from tests.newsletters.factories import SubscriberFactory

    campaign = CampaignFactory(name="Net negative in NDCs before COP31")
    TargetFactory(campaign=campaign, organisation=denmark)
    SubscriberFactory(email="freja.updates@example.org", contact=denmark.contacts.get(name="Freja Holm"))
    client.force_login(staff_user)
    html = client.get(_url(denmark)).content.decode()
    summary = html[html.index('class="profile-summary"') : html.index('role="tablist"')]
    assert "Net negative in NDCs before COP31" in summary
    campaigns = html[html.index('id="panel-campaigns"') : html.index('id="panel-enquiries"')]
    assert "Net negative in NDCs before COP31" in campaigns and "Identified" in campaigns
    assert "freja.updates@example.org" in html[html.index('id="panel-subscriptions"') :]
