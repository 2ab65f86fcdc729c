"""The public member directory and commitments tracker: who is shown, filters, pages, chart, downloads."""

import csv
import datetime
import io
import json

import pytest
from django.http import StreamingHttpResponse

from coalition.throttles import PublicRateThrottle
from members.models import Commitment, Membership, Organisation
from members.services import organisation_membership_refresh
from tests.members.factories import (
    CommitmentFactory,
    CountryFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


def public_member(**organisation_fields) -> Organisation:
    organisation_fields.setdefault("listed_publicly", True)
    organisation = OrganisationFactory(**organisation_fields)
    MembershipFactory(organisation=organisation, status=Membership.Status.ACTIVE)
    return organisation


def bulk_public_members(count: int, *, commitments_each: int = 1) -> None:
    """``count`` listed active members, each with ``commitments_each`` commitments, in a few INSERTs."""
    tier = MembershipTierFactory(slug="member", name="Member")
    kinds = [Commitment.Kind.NET_ZERO, Commitment.Kind.NET_NEGATIVE, Commitment.Kind.EMISSIONS_REDUCTION]
    statuses = [Commitment.Status.PLEDGE, Commitment.Status.LAW, Commitment.Status.NDC]
    countries = ["DK", "FI", "PA", "BT", "SE", "NO", "GB", "KE"]
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"Member organisation {i:05d}",
            kind=Organisation.Kind.COMPANY if i % 3 else Organisation.Kind.NGO,
            country=countries[i % len(countries)],
            sector=Organisation.Sector.ENERGY,
            website=f"https://member{i}.example.org/",
            website_domain=f"member{i}.example.org",
            listed_publicly=True,
        )
        for i in range(count)
    )
    joined = datetime.date(2024, 1, 15)
    Membership.objects.bulk_create(
        Membership(
            organisation=o,
            tier=tier,
            status=Membership.Status.ACTIVE,
            joined_on=joined,
            start_date=joined,
            end_date=joined + datetime.timedelta(days=364),
        )
        for o in organisations
    )
    Commitment.objects.bulk_create(
        Commitment(
            organisation=o,
            kind=kinds[(i + j) % len(kinds)],
            target_year=2030 + 5 * ((i + j) % 5),
            status=statuses[(i + j) % len(statuses)],
            source_url=f"https://member{i}.example.org/targets",
        )
        for i, o in enumerate(organisations)
        for j in range(commitments_each)
    )
    # Bulk writes skip the services; point the organisations at their memberships as the services would.
    organisation_membership_refresh()


def streamed_text(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


# --- Who is shown ---------------------------------------------------------------------------------------


def test_the_directory_lists_listed_members_that_are_active_or_in_grace(client):
    active = public_member(name="Denmark Energy Agency")
    grace = OrganisationFactory(name="Finnish Forest Research", listed_publicly=True)
    MembershipFactory(organisation=grace, status=Membership.Status.GRACE)
    hidden = {
        "Unlisted Active Member": (False, Membership.Status.ACTIVE),
        "Lapsed Listed Member": (True, Membership.Status.LAPSED),
        "Pending Listed Member": (True, Membership.Status.PENDING),
        "Suspended Listed Member": (True, Membership.Status.SUSPENDED),
    }
    for name, (listed, status) in hidden.items():
        MembershipFactory(organisation=OrganisationFactory(name=name, listed_publicly=listed), status=status)
    OrganisationFactory(name="Listed Non Member", listed_publicly=True)

    html = client.get("/members/").content.decode()

    assert active.name in html and grace.name in html
    for name in [*hidden, "Listed Non Member"]:
        assert name not in html
    assert "Showing 1–2 of 2 members" in html


def test_a_member_with_a_lapsed_past_membership_and_a_current_one_is_listed_once(client):
    organisation = public_member(name="Panama Climate Office")
    MembershipFactory(
        organisation=organisation,
        status=Membership.Status.LAPSED,
        joined_on=datetime.date(2020, 1, 1),
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2020, 12, 31),
    )
    html = client.get("/members/").content.decode()
    assert html.count("Panama Climate Office") == 1


def test_the_directory_filters_by_kind_and_country(client):
    public_member(name="Danish Removals Company", kind=Organisation.Kind.COMPANY, country="DK")
    public_member(name="Danish Climate NGO", kind=Organisation.Kind.NGO, country="DK")
    public_member(name="Finnish Removals Company", kind=Organisation.Kind.COMPANY, country="FI")

    html = client.get("/members/", {"kind": "company", "country": "DK"}).content.decode()

    assert "Danish Removals Company" in html
    assert "Danish Climate NGO" not in html and "Finnish Removals Company" not in html
    assert "matching your filters" in html


def test_the_country_filter_offers_only_countries_with_listed_members(client):
    public_member(country="DK")
    public_member(country="FI", listed_publicly=False)
    MembershipFactory(organisation=OrganisationFactory(country="PA", listed_publicly=True), status="lapsed")

    form = client.get("/members/").context["form"]

    assert [code for code, _ in form.fields["country"].choices] == ["", "DK"]


def test_an_unknown_filter_value_is_explained_and_ignored(client):
    public_member(name="Denmark Energy Agency")
    response = client.get("/members/", {"kind": "spaceship"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in html
    assert "Denmark Energy Agency" in html


def test_the_directory_shows_fifty_members_a_page_and_keeps_filters_in_page_links(client):
    bulk_public_members(120, commitments_each=0)

    first = client.get("/members/", {"country": "DK"})
    assert len(first.context["page"].rows) == 15  # 120 members, one in eight in Denmark
    everyone = client.get("/members/", {"page": 3})
    assert len(everyone.context["page"].rows) == 20
    assert "Showing 101–120 of 120 members" in everyone.content.decode()
    assert client.get("/members/", {"page": 4}).status_code == 404
    assert client.get("/members/", {"page": "not-a-number"}).status_code == 200

    bulk_page = client.get("/members/", {"kind": "company", "page": 2}).content.decode()
    assert "kind=company&amp;page=1" in bulk_page and "kind=company&amp;page=3" not in bulk_page


def test_the_directory_says_so_when_nobody_is_listed(client):
    html = client.get("/members/").content.decode()
    assert "No members are listed yet." in html


# --- Commitments tracker --------------------------------------------------------------------------------


def test_the_tracker_shows_only_commitments_of_public_members(client):
    denmark = CountryFactory(name="Denmark", country="DK", listed_publicly=True)
    MembershipFactory(organisation=denmark)
    CommitmentFactory(
        organisation=denmark,
        kind=Commitment.Kind.NET_NEGATIVE,
        target_year=2050,
        reduction_percent=110,
        status=Commitment.Status.LAW,
        source_url="https://example.org/climate-act",
    )
    unlisted = OrganisationFactory(name="Quiet Member", listed_publicly=False)
    MembershipFactory(organisation=unlisted)
    CommitmentFactory(organisation=unlisted, title="Unlisted target")
    CommitmentFactory(organisation=OrganisationFactory(name="Not A Member"), title="Outsider target")

    html = client.get("/commitments/").content.decode()

    assert "Denmark" in html and "Net negative, 110 % reduction" in html and "In law" in html
    assert "https://example.org/climate-act" in html
    assert "Unlisted target" not in html and "Outsider target" not in html


def test_the_tracker_charts_commitments_by_kind_and_target_year(client):
    member = public_member()
    for kind, year in [("net_zero", 2050), ("net_zero", 2045), ("net_negative", 2050), ("net_zero", None)]:
        CommitmentFactory(organisation=member, kind=kind, target_year=year)

    response = client.get("/commitments/")
    figures = response.context["figures"]
    by_kind, by_year = response.context["charts"]
    html = response.content.decode()

    assert figures.by_kind == [("net_zero", "Net zero", 3), ("net_negative", "Net negative", 1)]
    assert figures.by_target_year == [(2045, 1), (2050, 2), (None, 1)]
    assert [(b.label, b.value) for b in by_year.bars] == [("2045", 1), ("2050", 2), ("No target year", 1)]
    # The longest bar fills the drawing area; the others are in proportion.
    assert by_kind.bars[0].width == 268.0 and by_kind.bars[1].width == 89.3
    assert html.count('role="img"') == 2
    assert '<title id="chart-kind-title">Commitments by kind of target</title>' in html
    assert "Net zero: 3; Net negative: 1." in html  # the text alternative lists every figure
    assert '<th scope="row">No target year</th><td class="num">1</td>' in html


def test_the_tracker_filters_table_chart_and_download_links_together(client):
    member = public_member()
    CommitmentFactory(organisation=member, kind="net_zero", status="law", title="Net zero in law")
    CommitmentFactory(organisation=member, kind="net_zero", status="pledge", title="Net zero pledged")
    CommitmentFactory(organisation=member, kind="net_negative", status="law", title="Net negative in law")

    response = client.get("/commitments/", {"status": "law"})
    html = response.content.decode()

    assert "Net zero in law" in html and "Net negative in law" in html and "Net zero pledged" not in html
    assert response.context["figures"].total == 2
    assert "/commitments/commitments.csv?status=law" in html


def test_the_csv_download_streams_every_commitment_with_a_header(client):
    bulk_public_members(75)
    response = client.get("/commitments/commitments.csv")

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="commitments.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(streamed_text(response))))
    assert len(rows) == 75
    first = rows[0]
    assert first["member"] == "Member organisation 00000"
    assert first["country_name"] == "Denmark" and first["kind_label"] == "Net zero"
    assert first["source_url"] == "https://member0.example.org/targets"


def test_the_csv_download_keeps_spreadsheet_formulas_as_text(client):
    member = public_member(name='=HYPERLINK("http://evil.example")')
    CommitmentFactory(organisation=member, title="+1 target")

    rows = list(csv.DictReader(io.StringIO(streamed_text(client.get("/commitments/commitments.csv")))))

    assert rows[0]["member"].startswith("'=HYPERLINK")
    assert rows[0]["title"] == "'+1 target"


def test_the_json_download_is_one_document_with_every_commitment(client):
    denmark = CountryFactory(name="Denmark", country="DK", listed_publicly=True)
    MembershipFactory(organisation=denmark)
    CommitmentFactory(
        organisation=denmark,
        kind=Commitment.Kind.NET_NEGATIVE,
        target_year=2050,
        reduction_percent=110,
        baseline_year=1990,
        announced_on=datetime.date(2023, 12, 10),
    )
    bulk_public_members(30)

    response = client.get("/commitments/commitments.json")
    data = json.loads(streamed_text(response))

    assert response["Content-Type"] == "application/json"
    assert data["coalition"] == "Group of Negative Emitters"
    assert len(data["commitments"]) == 31
    denmark_row = data["commitments"][0]
    assert denmark_row["member"] == "Denmark"
    assert denmark_row["reduction_percent"] == 110.0 and denmark_row["target_year"] == 2050
    assert denmark_row["announced_on"] == "2023-12-10" and denmark_row["interim"] is False


def test_the_json_download_of_no_commitments_is_an_empty_list(client):
    data = json.loads(streamed_text(client.get("/commitments/commitments.json")))
    assert data["commitments"] == []


def test_downloads_follow_the_tracker_filters(client):
    member = public_member()
    CommitmentFactory(organisation=member, kind="net_zero", title="zero")
    CommitmentFactory(organisation=member, kind="net_negative", title="negative")

    data = json.loads(streamed_text(client.get("/commitments/commitments.json", {"kind": "net_negative"})))

    assert [c["title"] for c in data["commitments"]] == ["negative"]


def test_a_download_with_an_unknown_filter_says_what_is_wrong(client):
    response = client.get("/commitments/commitments.csv", {"kind": "moonshot"})
    assert response.status_code == 400
    assert "kind" in response.content.decode() and "valid choice" in response.content.decode()


def test_downloads_are_rate_limited_per_address(client, monkeypatch):
    monkeypatch.setitem(PublicRateThrottle.THROTTLE_RATES, "public", "2/minute")
    assert client.get("/commitments/commitments.csv").status_code == 200
    assert client.get("/commitments/commitments.json").status_code == 200
    refused = client.get("/commitments/commitments.csv")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


# --- Accessibility --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/members/", "/commitments/"])
def test_public_pages_label_their_filters_and_table_headers(client, url):
    member = public_member(country="DK")
    CommitmentFactory(organisation=member)

    html = client.get(url).content.decode()

    assert 'href="#main"' in html and 'id="main"' in html  # skip link
    assert '<label for="id_kind">' in html and 'id="id_kind"' in html
    assert "<caption" in html and '<th scope="col">' in html and '<th scope="row">' in html
    assert 'aria-current="page"' in html  # the current section is marked in the navigation
    assert 'name="viewport"' in html
