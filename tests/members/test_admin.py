"""The admin secretariat staff work in: lists, search, filters, the organisation page and its timeline."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from coalition import hooks
from members import demo
from members.models import Commitment, Engagement, Membership, MembershipTier, Organisation
from tests.members.factories import (
    CommitmentFactory,
    ContactFactory,
    CountryFactory,
    EngagementFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def recorded_commitments():
    """What the ``commitment_recorded`` hook heard: proof that a write went through the service."""
    heard: list[tuple[int, bool]] = []

    def handler(*, commitment, created, by):
        heard.append((commitment.pk, created))

    hooks.register("commitment_recorded", handler)
    yield heard
    hooks._handlers["commitment_recorded"].remove(handler)


def _changelist(model) -> str:
    return reverse(f"admin:members_{model._meta.model_name}_changelist")


def _names_listed(response) -> list[str]:
    return [str(o) for o in response.context["cl"].result_list]


@pytest.mark.parametrize(
    "model", ["organisation", "contact", "membershiptier", "membership", "commitment", "engagement"]
)
def test_every_members_model_has_a_list_and_an_add_page_for_the_secretariat_admin(
    admin_client_for, admin_user, model
):
    client = admin_client_for(admin_user)
    MembershipFactory()
    CommitmentFactory()
    EngagementFactory()
    ContactFactory()
    assert client.get(reverse(f"admin:members_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:members_{model}_add")).status_code == 200


def test_organisations_are_found_by_website_domain_and_by_contact_name_or_email(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    wri = OrganisationFactory(name="World Resources Institute", website="https://www.wri.org/")
    ContactFactory(organisation=wri, name="Jordan Ellis", email="jordan.ellis@example.org")
    OrganisationFactory(name="Someone Else")

    for query in ("wri.org", "Jordan", "jordan.ellis@example.org"):
        response = client.get(_changelist(Organisation), {"q": query})
        assert _names_listed(response) == ["World Resources Institute"], query


def test_organisations_filter_by_kind_country_sector_current_status_and_tier(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    founding = MembershipTierFactory(name="Founding member", slug="founding-member")
    denmark = CountryFactory(name="Denmark", country="DK")
    finland = CountryFactory(name="Finland", country="FI")
    company = OrganisationFactory(name="AirLoop Capture", sector=Organisation.Sector.TECHNOLOGY)
    MembershipFactory(organisation=denmark, tier=founding)
    MembershipFactory(organisation=finland, status=Membership.Status.GRACE)
    MembershipFactory(organisation=company, status=Membership.Status.LAPSED)

    def listed(**params):
        return sorted(_names_listed(client.get(_changelist(Organisation), params)))

    assert listed(kind="country") == ["Denmark", "Finland"]
    assert listed(country="FI") == ["Finland"]
    assert listed(sector="technology") == ["AirLoop Capture"]
    assert listed(membership_status="grace") == ["Finland"]
    assert listed(membership_status="none") == ["AirLoop Capture"]
    assert listed(tier=str(founding.pk)) == ["Denmark"]


def test_commitments_filter_by_kind_and_status(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    CommitmentFactory(kind=Commitment.Kind.NET_NEGATIVE, status=Commitment.Status.LAW)
    CommitmentFactory(kind=Commitment.Kind.NET_ZERO, status=Commitment.Status.PLEDGE)
    response = client.get(_changelist(Commitment), {"kind": "net_negative", "status": "law"})
    assert [c.kind for c in response.context["cl"].result_list] == ["net_negative"]


@pytest.mark.parametrize("rows", [5, 50])
def test_the_organisation_list_costs_the_same_queries_for_5_or_50_rows(
    admin_client_for, admin_user, django_assert_max_num_queries, rows
):
    client = admin_client_for(admin_user)
    for membership in MembershipFactory.create_batch(rows):
        ContactFactory(organisation=membership.organisation)
    with django_assert_max_num_queries(12):
        response = client.get(_changelist(Organisation))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    assert "(Active)" in response.content.decode()


@pytest.mark.parametrize("model", [Membership, Commitment, Engagement])
@pytest.mark.parametrize("rows", [5, 50])
def test_related_lists_cost_the_same_queries_for_5_or_50_rows(
    admin_client_for, admin_user, django_assert_max_num_queries, model, rows
):
    client = admin_client_for(admin_user)
    factory = {Membership: MembershipFactory, Commitment: CommitmentFactory, Engagement: EngagementFactory}
    factory[model].create_batch(rows)
    # 13: the workspace's navigation asks who is a Secretariat admin and how many enquiries wait.
    with django_assert_max_num_queries(13):
        response = client.get(_changelist(model))
    assert len(response.context["cl"].result_list) == rows


def test_denmarks_page_shows_its_membership_both_commitments_and_its_timeline_newest_first(
    admin_client_for, admin_user
):
    demo.load(profile="gone")
    client = admin_client_for(admin_user)
    denmark = Organisation.objects.get(kind="country", country="DK")

    page = client.get(reverse("admin:members_organisation_change", args=[denmark.pk])).content.decode()

    assert "Founding member" in page and "Active" in page
    assert "Climate neutrality by 2045" in page
    assert "Emissions 110 % below 1990 by 2050" in page
    timeline = page[page.index('id="timeline-heading"') :]
    dates = re.findall(r'<time datetime="([^"]+)"', timeline)
    assert len(dates) >= 6
    assert dates == sorted(dates, reverse=True)
    assert "Launched the Group of Negative Emitters at COP28, Dubai" in timeline
    assert "Membership created: Founding member, Active" in timeline
    assert "target year: 2050 → 2045" in timeline


def test_the_add_page_has_no_timeline(admin_client_for, admin_user):
    page = admin_client_for(admin_user).get(reverse("admin:members_organisation_add")).content.decode()
    assert 'id="timeline-heading"' not in page


def test_a_commitment_added_in_the_admin_goes_through_the_service_and_its_revision_is_kept(
    admin_client_for, admin_user, recorded_commitments
):
    client = admin_client_for(admin_user)
    finland = CountryFactory(name="Finland", country="FI")
    fields = {
        "organisation": finland.pk,
        "kind": "carbon_neutral",
        "title": "Carbon neutral by 2035",
        "status": "policy_document",
        "target_year": "2035",
        "gases": "all_ghg",
        "scope": "economy_wide",
        "uses_removals": "yes",
        "uses_offsets": "unknown",
    }
    response = client.post(reverse("admin:members_commitment_add"), fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    commitment = Commitment.objects.get(organisation=finland)

    response = client.post(
        reverse("admin:members_commitment_change", args=[commitment.pk]), {**fields, "status": "law"}
    )
    assert response.status_code == 302

    assert recorded_commitments == [(commitment.pk, True), (commitment.pk, False)]
    history = list(commitment.history.order_by("history_date"))
    assert [h.status for h in history] == ["policy_document", "law"]
    assert all(h.history_user == admin_user for h in history)
    page = client.get(reverse("admin:members_organisation_change", args=[finland.pk])).content.decode()
    assert "status: In policy document → In law" in page


def test_an_impossible_commitment_is_refused_with_a_message_not_an_error(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    org = OrganisationFactory()
    response = client.post(
        reverse("admin:members_commitment_add"),
        {
            "organisation": org.pk,
            "kind": "net_zero",
            "status": "pledge",
            "target_year": "2030",
            "baseline_year": "2040",
            "gases": "unknown",
            "scope": "unknown",
            "uses_removals": "unknown",
            "uses_offsets": "unknown",
        },
    )
    assert response.status_code == 200
    assert "The target year must come after the baseline year." in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_membership_added_in_the_admin_takes_its_dates_and_status_from_the_tier(
    admin_client_for, admin_user
):
    client = admin_client_for(admin_user)
    tier = MembershipTierFactory(name="Member", slug="member", period_months=12)
    org = OrganisationFactory()
    start = timezone.localdate() - datetime.timedelta(days=10)

    response = client.post(
        reverse("admin:members_membership_add"),
        {"organisation": org.pk, "tier": tier.pk, "start_date": start.isoformat()},
    )

    assert response.status_code == 302
    membership = Membership.objects.get(organisation=org)
    assert membership.status == Membership.Status.ACTIVE
    assert membership.joined_on == start
    assert membership.end_date is not None and membership.end_date > start


def test_a_second_current_membership_is_refused_with_a_message(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    current = MembershipFactory()
    response = client.post(
        reverse("admin:members_membership_add"),
        {
            "organisation": current.organisation.pk,
            "tier": current.tier.pk,
            "start_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "already has a current membership" in response.content.decode()
    assert Membership.objects.count() == 1


def test_an_engagement_and_a_commitment_added_inline_on_the_organisation_page_are_saved(
    admin_client_for, admin_user, recorded_commitments
):
    client = admin_client_for(admin_user)
    org = OrganisationFactory(name="Humber Bioenergy", website="https://humber.example.com/")
    url = reverse("admin:members_organisation_change", args=[org.pk])
    form = client.get(url, {"edit": "1"}).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(
        name="Humber Bioenergy", kind="company", sector="energy", website="https://humber.example.com/"
    )
    data.pop("country", None)
    for prefix in ("contacts", "memberships", "commitments", "engagements"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(
        {
            "commitments-TOTAL_FORMS": "1",
            "commitments-0-kind": "net_negative",
            "commitments-0-title": "Carbon negative by 2030",
            "commitments-0-target_year": "2030",
            "commitments-0-status": "pledge",
            "engagements-TOTAL_FORMS": "1",
            "engagements-0-occurred_at_0": "2025-03-04",
            "engagements-0-occurred_at_1": "10:00:00",
            "engagements-0-kind": "meeting",
            "engagements-0-summary": "Site visit to the capture plant",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response

    commitment = org.commitments.get()
    assert commitment.title == "Carbon negative by 2030"
    assert recorded_commitments == [(commitment.pk, True)]
    assert org.engagements.get().summary == "Site visit to the capture plant"


def test_recording_an_engagement_for_several_organisations_at_once(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    orgs = OrganisationFactory.create_batch(3)
    selected = [str(o.pk) for o in orgs[:2]]
    url = _changelist(Organisation)

    form_page = client.post(url, {"action": "record_engagement", "_selected_action": selected})
    assert form_page.status_code == 200 and b"Record an engagement" in form_page.content

    response = client.post(
        url,
        {
            "action": "record_engagement",
            "_selected_action": selected,
            "apply": "1",
            "kind": "event_attendance",
            "occurred_at": "2025-11-12 14:00",
            "summary": "Side event at COP30: net-negative targets in NDCs",
        },
    )
    assert response.status_code == 302
    engaged = Engagement.objects.filter(summary__startswith="Side event at COP30")
    assert sorted(e.organisation_id for e in engaged) == sorted(o.pk for o in orgs[:2])
    assert all(list(e.staff.all()) == [admin_user] for e in engaged)


def test_an_incomplete_engagement_action_shows_the_form_again(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    org = OrganisationFactory()
    response = client.post(
        _changelist(Organisation),
        {"action": "record_engagement", "_selected_action": [org.pk], "apply": "1", "kind": "meeting"},
    )
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert not Engagement.objects.exists()


def test_starting_memberships_in_bulk_skips_organisations_that_already_have_one(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    tier = MembershipTierFactory(name="Observer / associate", slug="observer")
    new = OrganisationFactory()
    already = MembershipFactory().organisation
    response = client.post(
        _changelist(Organisation),
        {
            "action": "start_membership",
            "_selected_action": [new.pk, already.pk],
            "apply": "1",
            "tier": tier.pk,
            "start_date": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    assert "Membership started for 1 organisation(s)." in response.content.decode()
    assert "1 organisation(s) skipped" in response.content.decode()
    assert new.memberships.get().tier == tier
    assert already.memberships.count() == 1


def test_a_viewer_can_read_an_organisation_but_not_add_one(admin_client_for, viewer_user):
    client = admin_client_for(viewer_user)
    org = OrganisationFactory()
    assert client.get(reverse("admin:members_organisation_change", args=[org.pk])).status_code == 200
    assert client.get(reverse("admin:members_organisation_add")).status_code == 403
    assert client.get(_changelist(MembershipTier)).status_code == 200


def test_a_viewer_is_not_offered_the_bulk_actions(admin_client_for, viewer_user):
    client = admin_client_for(viewer_user)
    OrganisationFactory()
    page = client.get(_changelist(Organisation)).content.decode()
    assert "record_engagement" not in page


def test_someone_who_is_not_staff_is_sent_to_the_login_page(admin_client_for, outsider_user):
    response = admin_client_for(outsider_user).get(_changelist(Organisation))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_commitment_revisions_are_listed_on_its_history_page(admin_client_for, admin_user):
    demo.load(profile="gone")
    client = admin_client_for(admin_user)
    commitment = Commitment.objects.get(organisation__country="DK", kind=Commitment.Kind.CLIMATE_NEUTRAL)
    page = client.get(reverse("admin:members_commitment_history", args=[commitment.pk])).content.decode()
    assert "2045" in page and "2050" in page
