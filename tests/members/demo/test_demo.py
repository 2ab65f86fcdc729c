"""Demo data: realistic records for the three coalitions, and safe to load twice."""

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from coalition.groups import SECRETARIAT_ADMIN
from members import demo
from members.models import Commitment, Membership, Organisation
from members.selectors import organisation_timeline
from tests.conftest import record_calls

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    """Rows in every members table, history tables included."""
    return {m._meta.label: m._default_manager.count() for m in apps.get_app_config("members").get_models()}


@pytest.mark.parametrize("profile", demo.PROFILES)
def test_loading_a_profile_twice_adds_nothing_the_second_time(profile):
    demo.load(profile=profile)
    first = _row_counts()
    demo.load(profile=profile)
    assert _row_counts() == first
    assert first["members.Organisation"] > 5


def test_loading_every_profile_into_one_database_keeps_one_record_per_country_and_one_current_membership():
    for profile in (*demo.PROFILES, *demo.PROFILES):
        demo.load(profile=profile)
    denmark = Organisation.objects.get(kind="country", country="DK")
    assert denmark.memberships.filter(status__in=Membership.CURRENT_STATUSES).count() == 1


def test_the_command_loads_the_group_of_negative_emitters_by_default():
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "profile gone" in out.getvalue()
    assert Organisation.objects.filter(name="Panama").exists()


def test_the_command_refuses_an_unknown_profile():
    with pytest.raises(CommandError):
        call_command("load_demo", "--profile", "nope")


def test_denmark_is_a_founding_member_since_the_cop28_launch_with_both_commitments_in_law():
    demo.load(profile="gone")
    denmark = Organisation.objects.get(kind="country", country="DK")
    membership = denmark.memberships.get()
    assert (membership.tier.name, membership.status, membership.joined_on) == (
        "Founding member",
        Membership.Status.ACTIVE,
        datetime.date(2023, 12, 10),
    )
    neutral = denmark.commitments.get(kind=Commitment.Kind.CLIMATE_NEUTRAL)
    negative = denmark.commitments.get(kind=Commitment.Kind.NET_NEGATIVE)
    assert (neutral.target_year, neutral.status) == (2045, Commitment.Status.LAW)
    assert (negative.target_year, negative.reduction_percent, negative.baseline_year, negative.status) == (
        2050,
        Decimal("110.0"),
        1990,
        Commitment.Status.LAW,
    )


def test_denmarks_timeline_tells_its_story_newest_first():
    demo.load(profile="gone")
    timeline = organisation_timeline(organisation=Organisation.objects.get(kind="country", country="DK"))
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)
    assert {"engagement", "membership", "commitment"} <= {e.category for e in timeline}
    revised = [e for e in timeline if e.title.startswith("Commitment revised")]
    assert revised and "target year: 2050 → 2045" in revised[0].changes
    assert revised[0].at.date() == datetime.date(2022, 12, 14)


def test_the_other_founders_and_the_launch_speakers_are_there():
    demo.load(profile="gone")
    panama = Organisation.objects.get(kind="country", country="PA")
    assert panama.commitments.get().status == Commitment.Status.ACHIEVED_SELF_DECLARED
    finland = Organisation.objects.get(kind="country", country="FI")
    assert finland.commitments.get(kind=Commitment.Kind.CARBON_NEUTRAL).target_year == 2035
    assert {m.organisation.name for m in Membership.objects.select_related("organisation")} == {
        "Denmark",
        "Panama",
        "Finland",
    }
    speakers = set(
        Organisation.objects.filter(engagements__kind="speaking_slot").values_list("name", flat=True)
    )
    assert {
        "Bhutan",
        "European Commission",
        "World Resources Institute",
        "UN Environment Programme",
    } <= speakers


def test_contacts_are_fictional_or_public_offices():
    for profile in demo.PROFILES:
        demo.load(profile=profile)
    from members.models import Contact

    emails = [e for e in Contact.objects.values_list("email", flat=True) if e]
    assert emails and all(e.endswith("@example.org") for e in emails)


def test_the_coalition_for_negative_emissions_spans_its_sectors_with_the_cbi_among_the_founders():
    demo.load(profile="cne")
    sectors = set(Organisation.objects.values_list("sector", flat=True))
    S = Organisation.Sector
    assert {
        S.AVIATION,
        S.HEAVY_INDUSTRY,
        S.AGRICULTURE_LAND,
        S.ENERGY,
        S.TECHNOLOGY,
        S.MANUFACTURING,
    } <= sectors
    cbi = Organisation.objects.get(name__startswith="CBI")
    assert cbi.memberships.get().tier.slug == "founding-member"


def test_the_carbon_neutrality_coalition_signatories_each_have_a_long_term_strategy_commitment():
    demo.load(profile="cnc")
    signatories = Organisation.objects.filter(kind__in=["country", "city"])
    assert signatories.filter(kind="country").count() == 20
    assert signatories.filter(kind="city").exists()
    for organisation in signatories:
        assert organisation.commitments.filter(kind=Commitment.Kind.OTHER, title__icontains="2020").exists()
    founding = Membership.objects.filter(joined_on=datetime.date(2017, 12, 12))
    assert founding.filter(organisation__country="SE", organisation__kind="country").exists()


def test_a_yearly_member_shows_its_current_period():
    demo.load(profile="cne")
    membership = Membership.objects.get(organisation__name="AirLoop Capture")
    assert membership.joined_on == datetime.date(2022, 3, 1)
    assert membership.start_date <= datetime.date.today() <= membership.end_date


# --- The demo staff login -------------------------------------------------------------------------------


def _login() -> tuple[str, str, str]:
    out = StringIO()
    call_command("demo_staff_login", stdout=out)
    username, password = re.search(r"Staff login: (\S+) / (\S+)", out.getvalue()).groups()
    return username, password, out.getvalue()


def test_the_demo_staff_login_works_and_belongs_to_the_secretariat_admin_group():
    username, password, output = _login()
    user = authenticate(username=username, password=password)
    assert user is not None and user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [SECRETARIAT_ADMIN]
    assert "/admin/" in output


def test_asking_again_resets_the_password_of_the_same_user():
    username, first, _ = _login()
    again, second, _ = _login()
    assert again == username and first != second
    assert authenticate(username=username, password=first) is None
    assert authenticate(username=username, password=second) is not None
    assert get_user_model().objects.filter(username=username).count() == 1


def test_there_is_no_demo_login_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="not in production"):
        call_command("demo_staff_login", stdout=StringIO())
    assert not get_user_model().objects.exists()


def test_demo_contacts_go_through_the_contact_service_and_joined_with_their_organisation(monkeypatch):
    from members.models import Affiliation, Contact

    created = record_calls(monkeypatch, demo.services, "contact_create")
    demo.load(profile="gone")
    assert created and len(created) == Contact.objects.count()
    denmark = Organisation.objects.get(kind="country", country="DK")
    contact = denmark.contacts.first()
    first = Affiliation.objects.get(contact=contact, is_primary=True)
    assert (first.organisation, first.start_on) == (denmark, datetime.date(2023, 12, 10))
