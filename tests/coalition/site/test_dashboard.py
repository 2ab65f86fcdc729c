import datetime

import pytest
from django.utils import timezone

from coalition.site import dashboard
from members.models import Commitment, Membership, MembershipTier, Organisation


def _fill(n: int) -> list[Organisation]:
    tier = MembershipTier.objects.create(name="Member", slug="member")
    today = timezone.localdate()
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"Org {i}", kind=Organisation.Kind.COMPANY if i % 3 else Organisation.Kind.CITY)
        for i in range(n)
    )
    Membership.objects.bulk_create(
        Membership(
            organisation=o,
            tier=tier,
            status=Membership.Status.ACTIVE if i % 4 else Membership.Status.GRACE,
            joined_on=today - datetime.timedelta(days=30 * (i % 12)),
            start_date=today - datetime.timedelta(days=20),
            end_date=today + datetime.timedelta(days=i % 60),
        )
        for i, o in enumerate(orgs)
    )
    Commitment.objects.bulk_create(
        Commitment(
            organisation=o,
            kind=Commitment.Kind.NET_NEGATIVE if i % 2 else Commitment.Kind.NET_ZERO,
            target_year=2030 + i % 25,
        )
        for i, o in enumerate(orgs)
    )
    return orgs


def _fill_everything(n: int) -> None:
    """Members, enquiries, campaign targets, subscribers and newsletter deliveries: ``n`` of each."""
    from campaigns.models import Campaign, Target
    from members.models import Enquiry
    from newsletters.models import Delivery, Newsletter, Subscriber

    orgs = _fill(n)
    now = timezone.now()
    today = timezone.localdate()
    statuses = [s for s, _ in Enquiry.Status.choices]
    Enquiry.objects.bulk_create(
        Enquiry(
            organisation_name=f"Applicant {i}",
            organisation_kind="company",
            contact_name="A. Person",
            email=f"a{i}@example.org",
            motivation="To help.",
            consent_to_contact=True,
            status=statuses[i % len(statuses)],
            decided_at=now if i % 7 == 0 else None,
        )
        for i in range(n)
    )
    campaign = Campaign.objects.create(
        name="Net-negative targets in NDCs",
        objective="Get net-negative targets into NDCs.",
        status=Campaign.Status.ACTIVE,
        start_date=today - datetime.timedelta(days=100),
        deadline=today + datetime.timedelta(days=100),
    )
    stages = [s for s, _ in Target.Stage.choices]
    Target.objects.bulk_create(
        Target(
            campaign=campaign,
            organisation=o,
            stage=stages[i % len(stages)],
            next_action_due=today - datetime.timedelta(days=1 + i % 5),
        )
        for i, o in enumerate(orgs)
    )
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(
            email=f"s{i}@example.org",
            status=Subscriber.Status.CONFIRMED if i % 5 else Subscriber.Status.BOUNCED,
            confirmed_at=now - datetime.timedelta(days=i % 300),
            status_changed_at=now,
        )
        for i in range(n)
    )
    newsletter = Newsletter.objects.create(subject="Progress update", body_markdown="Hello", started_at=now)
    Delivery.objects.bulk_create(
        Delivery(newsletter=newsletter, subscriber=s, status=Delivery.Status.SENT) for s in subscribers
    )


@pytest.mark.parametrize("rows", [10, 10_000])
def test_the_dashboard_costs_the_same_queries_at_ten_rows_and_at_ten_thousand(
    rows, admin_user, client, django_assert_max_num_queries
):
    _fill_everything(rows)
    client.force_login(admin_user)
    # 20 before the climate-data and dues panels joined the page (two and one queries); the point is
    # that the bound does not move between 10 and 10,000 rows.
    # 25: the workspace's navigation adds three (permissions, the Secretariat admin check, enquiries waiting).
    with django_assert_max_num_queries(25):
        response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 5
    assert "Net-negative targets in NDCs" in html and "Progress update" in html


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_logged_in_non_staff_account_cannot_see_the_dashboard(client, outsider_user):
    client.force_login(outsider_user)
    assert client.get("/dashboard/").status_code == 302


def test_the_net_negative_share_counts_current_members_only(db):
    _fill(10)  # 5 of 10 have net-negative targets
    lapsed = Organisation.objects.create(name="Gone Ltd", kind=Organisation.Kind.COMPANY)
    Membership.objects.create(
        organisation=lapsed,
        tier=MembershipTier.objects.get(),
        status=Membership.Status.LAPSED,
        joined_on=datetime.date(2020, 1, 1),
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2020, 12, 31),
    )
    Commitment.objects.create(organisation=lapsed, kind=Commitment.Kind.NET_NEGATIVE)
    share = dashboard.members_with_net_negative_targets()
    assert (share.part, share.whole, share.percent) == (5, 10, 50.0)


def test_members_over_time_counts_a_member_from_the_month_it_joined(db):
    tier = MembershipTier.objects.create(name="Member", slug="member")
    org = Organisation.objects.create(name="Panama", kind=Organisation.Kind.COUNTRY, country="PA")
    today = timezone.localdate()
    Membership.objects.create(
        organisation=org, tier=tier, status=Membership.Status.ACTIVE, joined_on=today, start_date=today
    )
    figures = dashboard.members_over_time(months=3)
    assert figures["series"] == [{"name": "Country", "values": [0, 0, 1]}]


def test_a_former_member_counts_until_its_end_date_and_not_after(db):
    tier = MembershipTier.objects.create(name="Member", slug="member")
    org = Organisation.objects.create(name="Former Ltd", kind=Organisation.Kind.COMPANY)
    today = timezone.localdate()
    Membership.objects.create(
        organisation=org,
        tier=tier,
        status=Membership.Status.LAPSED,
        joined_on=today - datetime.timedelta(days=400),
        start_date=today - datetime.timedelta(days=400),
        end_date=today - datetime.timedelta(days=70),
    )
    values = dashboard.members_over_time(months=12)["series"][0]["values"]
    assert values[0] == 1 and values[-1] == 0
