"""Staff journeys in a real browser, on PostgreSQL with a real worker and on the embedded default.

(a) write a newsletter, send a test of an unsaved edit, send it, watch progress reach 100 %, find the
messages; (b) schedule one a minute ahead and see it go out with no manual step; (c) import a CSV that
matches existing records in each of the three modes, check the preview's diffs and the records, revert;
(d) approve an enquiry linking an existing organisation; (e) renew a membership and set a status override
through the membership page's buttons; (f) send event invitations; (g) delete records in the admin: a sent
newsletter, a current affiliation and an open enquiry are kept with their reason, a draft, a past
affiliation and a spam enquiry deleted (on the delete page and by "Delete selected").
Screenshots of each step go to tests/e2e/screenshots/.
"""

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, worker_env
from tests.e2e.staff_sites import EmbeddedSite, PostgresSite, body_text, log_in, wait_for_messages
from tests.e2e.test_composer_and_merge import _fits_both_widths, _no_serious_accessibility_violations

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def embedded_site(tmp_path_factory):
    site = EmbeddedSite(tmp_path_factory.mktemp("embedded-site"))
    yield site
    site.stop()


@pytest.fixture(
    params=[pytest.param("postgresql", marks=pytest.mark.django_db(transaction=True)), "embedded"]
)
def site(request):
    if request.param == "embedded":
        return request.getfixturevalue("embedded_site")
    live_server = request.getfixturevalue("live_server")
    request.getfixturevalue("worker")
    return PostgresSite(live_server, request.getfixturevalue("mailbox"))


def _json(site, code: str):
    return json.loads(site.run(code).strip().splitlines()[-1])


def _accept_dialogs(page) -> list[str]:
    seen: list[str] = []

    def accept(dialog):
        seen.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return seen


NEWSLETTER_SETUP = """
import json
from tests.newsletters.factories import NewsletterFactory, TopicFactory, bulk_subscribers
topic = TopicFactory(slug="{slug}", name="{slug}")
bulk_subscribers(topic, 3, prefix="{slug}")
newsletter = NewsletterFactory(
    topics=[topic], subject="Removals briefing", body_markdown="Hello {{{{ name }}}}."
)
print(json.dumps({{"pk": newsletter.pk}}))
"""


def _site_links_follow(site, message) -> None:
    links = re.findall(r"https?://[^\s\"'<>)]+", body_text(message))
    ours = [link for link in links if "127.0.0.1" in link or "localhost" in link]
    assert ours and all(link.startswith(site.link_base + "/") for link in ours), (site.link_base, ours)


def test_a_newsletter_is_tested_unsaved_sent_and_watched_to_100_percent(site, page):
    slug = f"journey-a-{site.name}"
    pk = _json(site, NEWSLETTER_SETUP.format(slug=slug))["pk"]
    dialogs = _accept_dialogs(page)
    log_in(page, site)
    page.goto(f"{site.url}/admin/newsletters/newsletter/{pk}/change/")
    page.shots(f"{site.name}-editor")

    page.fill("#id_subject", "Removals briefing, edited")
    page.fill("#id_to", "editor@secretariat.example.org")
    page.click("#nl-test button[type=submit]")
    page.wait_for_selector("#test-result:has-text('unsaved edits included')")
    page.shots(f"{site.name}-test-sent")
    (test,) = wait_for_messages(site, lambda m: "editor@secretariat" in str(m["To"]), 1)
    assert test["Subject"] == "[Test] Removals briefing, edited"

    # The send button is on the page before the save too: wait for the saved page, or the click below
    # can race the save and send the old subject.
    with page.expect_navigation():
        page.click("[name=_continue]")
    expect(page.locator("#id_subject")).to_have_value("Removals briefing, edited")
    page.click("#nl-send button[type=submit]")
    page.wait_for_selector("#newsletter-status:has-text('Sent')", timeout=90_000)
    page.wait_for_selector("#newsletter-progress:has-text('100')")
    page.shots(f"{site.name}-sent-100")
    assert dialogs and "Send this newsletter to 3 subscribers now?" in dialogs[0]
    sent = wait_for_messages(site, lambda m: slug in str(m["To"]), 3)
    assert len(sent) == 3 and {m["Subject"] for m in sent} == {"Removals briefing, edited"}
    for message in sent:
        _site_links_follow(site, message)


@pytest.fixture
def scheduler_for(site, request, tmp_path):
    """The PostgreSQL deployment's scheduler is ``celery beat`` (the embedded site runs run_schedule)."""
    if site.name == "embedded":
        yield
        return
    smtp = request.getfixturevalue("mailbox")
    log = (tmp_path / "beat.log").open("ab")
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "coalition",
            "beat",
            "-l",
            "INFO",
            "-S",
            "celery.beat:PersistentScheduler",
            "-s",
            str(tmp_path / "beat-schedule"),
            "--pidfile=",
        ],
        cwd=ROOT,
        env=worker_env(smtp=smtp),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield
    beat.terminate()
    beat.wait(timeout=15)


def test_a_newsletter_scheduled_a_minute_ahead_goes_out_with_no_manual_step(site, page, scheduler_for):
    slug = f"journey-b-{site.name}"
    pk = _json(site, NEWSLETTER_SETUP.format(slug=slug))["pk"]
    log_in(page, site)
    page.goto(f"{site.url}/admin/newsletters/newsletter/{pk}/change/")
    # The form takes minutes: the next whole minute that is at least 20 seconds away.
    at = (datetime.now(UTC) + timedelta(seconds=80)).replace(second=0, microsecond=0)
    page.fill("#id_at", at.strftime("%Y-%m-%dT%H:%M"))
    page.click("#nl-schedule button[type=submit]")
    page.wait_for_selector("#newsletter-status:has-text('Scheduled')")
    page.shots(f"{site.name}-scheduled")
    # No reload, no other command: the page follows the send.
    page.wait_for_selector("#newsletter-status:has-text('Sent')", timeout=200_000)
    page.shots(f"{site.name}-went-out")
    assert len(wait_for_messages(site, lambda m: slug in str(m["To"]), 3)) == 3


IMPORT_SETUP = """
import json
from members.models import Organisation
Organisation.objects.filter(name__in=["Finland", "Denmark", "Kelp Removal Co"]).delete()
fi = Organisation.objects.create(name="Finland", kind="country", country="FI", sector="",
    website="https://valtioneuvosto.fi/", description="Carbon neutral by 2035.", listed_publicly=True)
dk = Organisation.objects.create(name="Denmark", kind="country", country="DK", sector="public",
    description="110 % by 2050.", listed_publicly=True)
print(json.dumps({"fi": fi.pk, "dk": dk.pk}))
"""
IMPORT_STATE = """
import json
from members.models import Organisation
print(json.dumps({o.name: [o.sector, o.description, o.website, o.listed_publicly]
    for o in Organisation.objects.filter(name__in=["Finland", "Denmark", "Kelp Removal Co"])}))
"""
IMPORT_CSV = (
    "name,kind,country,website,sector,description,listed_publicly\n"
    "Finland,country,FI,,energy,New Finnish text,\n"
    "Danish Ministry of Climate,country,DK,,,,\n"
)
BEFORE = {
    "Finland": ["", "Carbon neutral by 2035.", "https://valtioneuvosto.fi/", True],
    "Denmark": ["public", "110 % by 2050.", "", True],
}


def _import(page, site, tmp_path, mode: str) -> None:
    path = tmp_path / f"organisations-{mode}.csv"
    path.write_text(IMPORT_CSV)
    page.goto(f"{site.url}/staff/imports/")
    page.select_option("[name=resource]", "organisations")
    page.set_input_files("[name=file]", str(path))
    page.check(f"[name=mode][value={mode}]")
    page.click("#content form button[type=submit]")
    page.wait_for_selector("text=What importing this file would do")
    page.shots(f"{site.name}-preview-{mode}")


def test_an_import_in_each_mode_shows_its_diffs_changes_what_it_said_and_reverts(site, page, tmp_path):
    log_in(page, site)
    dialogs = _accept_dialogs(page)

    _json(site, IMPORT_SETUP)
    _import(page, site, tmp_path, "skip")
    # Skip leaves both existing records alone, so there is nothing to import and no button to do it.
    assert page.locator(".change").count() == 0
    expect(page.locator("text=Importing this file would change nothing")).to_be_visible()
    assert page.locator("button:has-text('Import')").count() == 0
    assert _json(site, IMPORT_STATE) == BEFORE

    _json(site, IMPORT_SETUP)
    _import(page, site, tmp_path, "fill")
    changes = page.locator(".change").all_inner_texts()
    assert changes == ["sector: (empty) → energy"], changes
    page.click("button:has-text('Import')")
    page.wait_for_selector("text=What the import did")
    assert _json(site, IMPORT_STATE) == {**BEFORE, "Finland": ["energy", *BEFORE["Finland"][1:]]}

    _json(site, IMPORT_SETUP)
    _import(page, site, tmp_path, "overwrite")
    changes = page.locator(".change").all_inner_texts()
    assert "description: Carbon neutral by 2035. → New Finnish text" in changes
    assert not any(c.startswith("name") for c in changes)  # Denmark keeps its name
    page.click("button:has-text('Import')")
    page.wait_for_selector("text=Revert this import")
    page.shots(f"{site.name}-imported-overwrite")
    assert _json(site, IMPORT_STATE)["Finland"] == [
        "energy",
        "New Finnish text",
        "https://valtioneuvosto.fi/",
        True,
    ]
    page.click("button:has-text('Revert this import')")
    page.wait_for_selector("text=Reverted:")
    page.shots(f"{site.name}-reverted")
    assert dialogs and "Revert this import?" in dialogs[-1]
    assert _json(site, IMPORT_STATE) == BEFORE


CRM_SETUP = """
import json
from members.models import ImportColumnMapping, Organisation
ImportColumnMapping.objects.filter(source="organisations").delete()
Organisation.objects.filter(name__startswith="Crm Export").delete()
print(json.dumps({}))
"""
CRM_STATE = """
import json
from members.models import Organisation
print(json.dumps(sorted([o.name, o.kind, o.country.code, o.website]
    for o in Organisation.objects.filter(name__startswith="Crm Export"))))
"""


def test_a_crm_export_without_kinds_is_mapped_given_one_kind_previewed_and_imported(site, page, tmp_path):
    """Another CRM's list of companies: its own headers, alpha-3 and Danish country names, no kind."""
    _json(site, CRM_SETUP)
    path = tmp_path / "crm-export.csv"
    path.write_text(
        "Organization Name,Web Site,Country\n"
        f"Crm Export Works {site.name},works-{site.name}.example,CHE\n"
        f"Crm Export Kelp {site.name},,Danmark\n"
    )
    log_in(page, site)
    page.goto(f"{site.url}/staff/imports/")
    page.select_option("[name=resource]", "organisations")
    page.set_input_files("[name=file]", str(path))
    page.click("#content form button[type=submit]")
    page.click("text=Map its columns to fields")
    # Each header comes with a guess; the missing kind is given once for every row.
    expect(page.locator("select[name=column_0]")).to_have_value("name")
    expect(page.locator("select[name=column_1]")).to_have_value("website")
    page.select_option("#id_fill_kind", "company")
    page.shots(f"{site.name}-map-columns")
    page.click("button:has-text('Save the mapping and continue')")
    page.wait_for_selector("text=What importing this file would do")
    page.shots(f"{site.name}-crm-preview")
    assert _json(site, CRM_STATE) == []  # a preview writes nothing
    page.click("button:has-text('Import')")
    page.wait_for_selector("text=What the import did")
    assert _json(site, CRM_STATE) == [
        [f"Crm Export Kelp {site.name}", "company", "DK", ""],
        [f"Crm Export Works {site.name}", "company", "CH", f"https://works-{site.name}.example"],
    ]


ENQUIRY_SETUP = """
import json
from members.models import Enquiry, MembershipTier, Organisation
tier, _ = MembershipTier.objects.get_or_create(
    slug="member-{s}", defaults=dict(name="Member {s}", period_months=12)
)
existing = Organisation.objects.create(name="Ocean Alkalinity Lab {s}", kind="research", website="https://oal-{s}.example.org")
enquiry = Enquiry.objects.create(organisation_name="OAL {s}", organisation_kind="research", country="NO",
    contact_name="Kari Nord", email="kari@oal-{s}.example.org", motivation="Private reasons.",
    consent_to_contact=True, list_publicly=True)
print(json.dumps({{"enquiry": enquiry.pk, "org": existing.pk, "tier": tier.pk}}))
"""


SUBSCRIBER_SETUP = """
import json
from tests.newsletters.factories import SubscriberFactory, TopicFactory
kept = TopicFactory(slug="kept-{s}", name="Kept {s}")
ticked = TopicFactory(slug="ticked-{s}", name="Ticked {s}")
reader = SubscriberFactory(email="boxes-{s}@example.net", topics=[kept])
print(json.dumps({{"pk": reader.pk, "ticked": ticked.pk}}))
"""


def test_a_subscribers_topics_are_ticked_boxes_that_save(site, page):
    ids = _json(site, SUBSCRIBER_SETUP.format(s=site.name))
    log_in(page, site)
    page.goto(f"{site.url}/admin/newsletters/subscriber/{ids['pk']}/change/")
    assert page.locator("#id_topics_from, #id_topics_to").count() == 0  # no two-box picker
    page.check(f"input[name=topics][value='{ids['ticked']}']")
    page.shots(f"{site.name}-subscriber-topics")
    with page.expect_navigation():
        page.click("[name=_save]")
    topics = _json(
        site,
        "import json; from newsletters.models import Subscriber\n"
        f"reader = Subscriber.objects.get(pk={ids['pk']})\n"
        "print(json.dumps(sorted(reader.topics.values_list('slug', flat=True))))",
    )
    assert topics == [f"kept-{site.name}", f"ticked-{site.name}"]


def test_a_subscriber_added_in_the_admin_is_pending_and_gets_the_confirmation_email(site, page):
    address = f"added-{site.name}@example.net"
    log_in(page, site)
    page.goto(f"{site.url}/admin/newsletters/subscriber/add/")
    page.fill("[name=email]", address.upper())
    page.fill("[name=name]", "Added By Staff")
    with page.expect_navigation():
        page.click("[name=_save]")
    page.wait_for_selector(f"text=A confirmation email is on its way to {address}")
    page.shots(f"{site.name}-subscriber-added")
    state = _json(
        site,
        "import json; from newsletters.models import Subscriber\n"
        f"s = Subscriber.objects.get(email='{address}')\n"
        "print(json.dumps([s.status, list(s.consents.values_list('method', flat=True))]))",
    )
    assert state == ["pending", ["import"]]
    confirmations = wait_for_messages(site, lambda m: address in str(m["To"]), 1)
    assert len(confirmations) == 1 and "/subscribe/confirm/" in body_text(confirmations[0])


MEMBER_SETUP = """
import json
from members import services
from tests.members.factories import MembershipTierFactory, OrganisationFactory
org = OrganisationFactory(name="Entered Twice {s}", listed_publicly=True)
services.membership_start(organisation=org, tier=MembershipTierFactory())
print(json.dumps({{"pk": org.pk}}))
"""


def test_a_member_deleted_in_the_admin_leaves_the_public_directory_at_once(site, page):
    ids = _json(site, MEMBER_SETUP.format(s=site.name))
    name = f"Entered Twice {site.name}"
    page.goto(f"{site.url}/members/")
    assert name in page.inner_text("main")  # the directory is cached from here on
    log_in(page, site)
    page.goto(f"{site.url}/admin/members/organisation/{ids['pk']}/delete/")
    page.shots(f"{site.name}-organisation-delete")
    with page.expect_navigation():
        page.click("form [type=submit]:has-text('sure'), form input[type=submit][value*='sure']")
    page.goto(f"{site.url}/members/")
    assert name not in page.inner_text("main")


NEWSLETTERS_TO_DELETE_SETUP = """
import json
from newsletters.models import Delivery
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory
topic = TopicFactory(slug="deleting-{s}", name="deleting-{s}")
sent = NewsletterFactory(topics=[topic], subject="Went out {s}", status="sent")
reader = SubscriberFactory(topics=[topic])
Delivery.objects.create(newsletter=sent, subscriber=reader, status="sent", attempts=1)
draft = NewsletterFactory(topics=[topic], subject="Draft {s}")
print(json.dumps({{"sent": sent.pk, "draft": draft.pk}}))
"""


def test_a_newsletter_that_went_out_is_kept_and_a_draft_is_deleted_from_the_admin(site, page):
    ids = _json(site, NEWSLETTERS_TO_DELETE_SETUP.format(s=site.name))
    log_in(page, site)
    page.goto(f"{site.url}/admin/newsletters/newsletter/{ids['sent']}/delete/")
    page.shots(f"{site.name}-sent-newsletter-delete")
    assert "its deliveries are the record of who received it" in page.inner_text("body")
    assert (
        page.locator("form [type=submit]:has-text('sure'), form input[type=submit][value*='sure']").count()
        == 0
    )
    page.goto(f"{site.url}/admin/newsletters/newsletter/{ids['draft']}/delete/")
    with page.expect_navigation():
        page.click("form [type=submit]:has-text('sure'), form input[type=submit][value*='sure']")
    page.goto(f"{site.url}/admin/newsletters/newsletter/?q={site.name}")
    listed = page.inner_text("#result_list")
    assert f"Went out {site.name}" in listed and f"Draft {site.name}" not in listed


RECORDS_TO_DELETE_SETUP = """
import json
from members import services
from members.affiliations.services import affiliation_move
from members.models import Affiliation, Enquiry, Organisation
ministry = Organisation.objects.create(name="Ministry {s}", kind="other")
agency = Organisation.objects.create(name="Agency {s}", kind="other")
anna = services.contact_create(organisation=ministry, name="Anna {s}")
affiliation_move(contact=anna, to_organisation=agency)
def enquiry(name, status):
    return Enquiry.objects.create(organisation_name=name, organisation_kind="ngo", country="NO",
        contact_name="Kari Nord", email="kari@{s}.example.org", motivation="Join.", consent_to_contact=True,
        status=status).pk
print(json.dumps({{
    "past": Affiliation.objects.get(contact=anna, organisation=ministry).pk,
    "current": Affiliation.objects.get(contact=anna, organisation=agency).pk,
    "open": enquiry("Open {s}", "new"), "spam": enquiry("Spam {s}", "spam"),
}}))
"""

SURE = "form [type=submit]:has-text('sure'), form input[type=submit][value*='sure']"


def test_a_current_affiliation_and_an_open_enquiry_are_kept_the_past_and_spam_deleted(site, page):
    ids = _json(site, RECORDS_TO_DELETE_SETUP.format(s=site.name))
    log_in(page, site)
    page.goto(f"{site.url}/admin/members/affiliation/{ids['current']}/delete/")
    page.shots(f"{site.name}-current-affiliation-delete")
    assert f"is where Anna {site.name} works now" in page.inner_text("body")
    assert page.locator(SURE).count() == 0
    page.goto(f"{site.url}/admin/members/affiliation/{ids['past']}/delete/")
    with page.expect_navigation():
        page.click(SURE)
    # "Delete selected" on the enquiry list: the open one is refused with its reason, the spam goes.
    page.goto(f"{site.url}/admin/members/enquiry/?q={site.name}")
    for pk in (ids["open"], ids["spam"]):
        page.check(f"input[name=_selected_action][value='{pk}']")
    page.select_option("select[name=action]", "delete_selected")
    page.click("button[name=index]")
    page.shots(f"{site.name}-enquiries-delete-selected")
    assert "the applicant is still owed an answer" in page.inner_text("body")
    assert page.locator(SURE).count() == 0
    page.goto(f"{site.url}/admin/members/enquiry/?q={site.name}")
    page.check(f"input[name=_selected_action][value='{ids['spam']}']")
    page.select_option("select[name=action]", "delete_selected")
    page.click("button[name=index]")
    with page.expect_navigation():
        page.click(SURE)
    state = _json(
        site,
        "import json; from members.models import Affiliation, Enquiry\n"
        f"print(json.dumps([sorted(Affiliation.objects.filter(pk__in={[ids['past'], ids['current']]})"
        ".values_list('pk', flat=True)), sorted(Enquiry.objects.filter(pk__in="
        f"{[ids['open'], ids['spam']]}).values_list('pk', flat=True))]))",
    )
    assert state == [[ids["current"]], [ids["open"]]]


def test_an_enquiry_is_approved_linking_an_existing_organisation(site, page):
    ids = _json(site, ENQUIRY_SETUP.format(s=site.name))
    log_in(page, site)
    page.goto(f"{site.url}/admin/members/enquiry/{ids['enquiry']}/pipeline/approve/")
    page.check("[name=choice][value=other]")
    # Chosen by name in the organisation picker (select2 over the admin's autocomplete).
    page.click("#id_organisation + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "Ocean Alkalinity")
    page.click(f".select2-results__option:has-text('Ocean Alkalinity Lab {site.name}')")
    page.select_option("[name=tier]", str(ids["tier"]))
    page.shots(f"{site.name}-approve-form")
    page.click("form input[type=submit]")
    page.wait_for_url(f"**/admin/members/enquiry/{ids['enquiry']}/change/")
    page.shots(f"{site.name}-approved")
    state = _json(
        site,
        "import json; from members.models import Enquiry, Membership, Organisation\n"
        f"e = Enquiry.objects.get(pk={ids['enquiry']})\n"
        f"members = Membership.objects.filter(organisation_id={ids['org']}).count()\n"
        f"created = Organisation.objects.filter(name='OAL {site.name}').count()\n"
        "print(json.dumps([e.status, e.organisation_id, members, created]))",
    )
    assert state == ["approved", ids["org"], 1, 0]
    assert wait_for_messages(site, lambda m: f"kari@oal-{site.name}" in str(m["To"]), 1)


EVENT_SETUP = """
import json
from tests.campaigns.factories import EventFactory, ParticipantFactory
event = EventFactory(title="Removals roundtable {s}")
for i in range(2):
    ParticipantFactory(event=event, contact__email="guest{{}}-{s}@example.org".format(i))
print(json.dumps({{"event": event.pk}}))
"""


def test_event_invitations_are_sent_from_the_admin_action(site, page):
    event = _json(site, EVENT_SETUP.format(s=site.name))["event"]
    log_in(page, site)
    page.goto(f"{site.url}/admin/campaigns/event/")
    page.check(f"input[name=_selected_action][value='{event}']")
    page.select_option("select[name=action]", "send_invitations")
    page.shots(f"{site.name}-invite-action")
    page.click("button[name=index]")
    page.wait_for_selector("text=invitations queued")
    page.shots(f"{site.name}-invited")
    invites = wait_for_messages(site, lambda m: f"-{site.name}@example.org" in str(m["To"]), 2)
    assert len(invites) == 2
    for message in invites:
        _site_links_follow(site, message)


BUTTONS_SETUP = """
import json
from newsletters.models import Delivery, Newsletter, Subscriber
from tests.newsletters.factories import NewsletterFactory, TopicFactory, bulk_subscribers
topic = TopicFactory(slug="{slug}", name="{slug}")
bulk_subscribers(topic, 2, prefix="{slug}")
newsletter = NewsletterFactory(topics=[topic], subject="Paused briefing")
# Mid-send, with no batch dispatched yet: nothing goes out while the buttons are pressed.
Newsletter.objects.filter(pk=newsletter.pk).update(status="sending")
Delivery.objects.bulk_create(
    [Delivery(newsletter=newsletter, subscriber=s) for s in Subscriber.objects.filter(topics=topic)]
)
print(json.dumps({{"pk": newsletter.pk}}))
"""


def test_pause_resume_and_cancel_work_from_the_buttons(site, page):
    slug = f"journey-buttons-{site.name}"
    pk = _json(site, BUTTONS_SETUP.format(slug=slug))["pk"]
    dialogs = _accept_dialogs(page)
    log_in(page, site)
    page.goto(f"{site.url}/admin/newsletters/newsletter/{pk}/change/")
    page.click("#nl-pause button[type=submit]")
    page.wait_for_selector("#newsletter-status:has-text('Paused')")
    page.shots(f"{site.name}-paused")
    page.click("#nl-resume button[type=submit]")
    page.wait_for_selector("#newsletter-status:has-text('Sending')")
    page.click("#nl-cancel button[type=submit]")
    page.wait_for_selector("#newsletter-status:has-text('Cancelled')")
    page.shots(f"{site.name}-cancelled")
    assert dialogs and dialogs[-1].startswith("Cancel?")
    assert wait_for_messages(site, lambda m: slug in str(m["To"]), 1, timeout=3) == []


MEMBERSHIP_SETUP = """
import datetime, json
from django.utils import timezone
from tests.members.factories import MembershipFactory, MembershipTierFactory, OrganisationFactory
today = timezone.localdate()
tier = MembershipTierFactory(name="Member {s}", slug="member-{s}", period_months=12, grace_days=30)
renewable = MembershipFactory(
    organisation=OrganisationFactory(name="Renewed {s}"), tier=tier, status="active",
    joined_on=today - datetime.timedelta(days=300), start_date=today - datetime.timedelta(days=300),
    end_date=today + datetime.timedelta(days=64),
)
lapsed = MembershipFactory(
    organisation=OrganisationFactory(name="Lapsed {s}"), tier=tier, status="lapsed",
    joined_on=today - datetime.timedelta(days=800), start_date=today - datetime.timedelta(days=800),
    end_date=today - datetime.timedelta(days=435),
)
print(json.dumps({{"renewable": renewable.pk, "end": renewable.end_date.isoformat(), "lapsed": lapsed.pk}}))
"""


def test_a_membership_is_renewed_and_its_status_overridden_through_the_buttons(site, page):
    ids = _json(site, MEMBERSHIP_SETUP.format(s=site.name))
    log_in(page, site)

    # (e1) Renew: the button on the membership page, then the confirmation form.
    page.goto(f"{site.url}/admin/members/membership/{ids['renewable']}/change/")
    assert page.locator("select[name=status]").count() == 0  # no status field to walk around the rules
    page.shots(f"{site.name}-membership-page")
    page.click("button[value=renew_memberships]")
    page.wait_for_selector("text=For these 1 memberships")
    page.shots(f"{site.name}-renew-form")
    page.click("input[name=apply]")
    page.wait_for_url(f"**/admin/members/membership/{ids['renewable']}/change/")
    page.wait_for_selector("text=Renew for one period: done for 1 membership(s).")
    page.shots(f"{site.name}-renewed")

    # (e2) Override: freeze the lapsed membership as active, with the reason kept.
    page.goto(f"{site.url}/admin/members/membership/{ids['lapsed']}/change/")
    page.click("button[value=set_status_override]")
    page.select_option("select[name=status]", "active")
    page.fill("input[name=reason]", "Dues paid by bank transfer; the statement is on its way.")
    page.shots(f"{site.name}-override-form")
    page.click("input[name=apply]")
    page.wait_for_url(f"**/admin/members/membership/{ids['lapsed']}/change/")
    page.wait_for_selector("text=Set a status override: done for 1 membership(s).")
    page.shots(f"{site.name}-overridden")

    state = _json(
        site,
        "import json; from members.models import Membership\n"
        f"r = Membership.objects.get(pk={ids['renewable']}); o = Membership.objects.get(pk={ids['lapsed']})\n"
        "print(json.dumps([r.end_date.isoformat(), o.status, o.status_override, o.override_reason,\n"
        "    o.history.first().history_change_reason]))",
    )
    renewed_end, status, frozen, reason, history = state
    assert renewed_end > ids["end"]
    assert (status, frozen) == ("active", True)
    assert reason == "Dues paid by bank transfer; the statement is on its way."
    assert "Dues paid by bank transfer" in history


MERGE_SETUP = """
import json
from members import services
from members.duplicates.services import organisations_merge
from members.models import Organisation
from tests.members.factories import EngagementFactory, OrganisationFactory
from django.contrib.auth import get_user_model
keep = OrganisationFactory(name="Carbon Removal Alliance {s}", description="")
gone = OrganisationFactory(name="CRA {s}", description="Alliance of removal firms")
person = services.contact_create(organisation=gone, name="Mia Berg", email="mia-{s}@cra.example.org")
meeting = EngagementFactory(organisation=gone, summary="Kick-off {s}")
meeting.contacts.add(person)
by = get_user_model().objects.filter(is_superuser=True).first()
merge = organisations_merge(keep=keep, gone=gone, by=by).merge
print(json.dumps({{"merge": merge.pk, "keep": keep.pk, "gone": gone.pk, "person": person.pk,
                  "meeting": meeting.pk}}))
"""


def test_a_merge_is_undone_from_the_recent_merges_after_seeing_what_comes_back(site, page):
    ids = _json(site, MERGE_SETUP.format(s=site.name))
    log_in(page, site)
    page.goto(f"{site.url}/staff/duplicates/")
    # The list of every merge, found by name (the duplicates page shows only the latest).
    page.get_by_role("link", name=re.compile("All merges")).click()
    page.get_by_label("Organisation's name").fill(f"CRA {site.name}")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#all-merges")).to_contain_text(f"1 merge naming “CRA {site.name}”")
    _fits_both_widths(page, f"{site.name}-merges-found")
    _no_serious_accessibility_violations(page)
    row = page.locator("tr.recent-merge", has_text=f"CRA {site.name}")
    row.get_by_role("link", name=re.compile("Undo")).click()

    expect(page.locator(".merge-summary")).to_contain_text("was merged into")
    expect(page.locator("tr.undo-field", has_text="Description")).to_contain_text("Alliance of removal firms")
    expect(page.locator("tr.undo-count", has_text="Contacts")).to_be_visible()
    _fits_both_widths(page, f"{site.name}-merge-undo-preview")
    _no_serious_accessibility_violations(page)
    assert (
        _json(
            site,
            f"import json; from members.models import Organisation\n"
            f"print(json.dumps(Organisation.objects.filter(pk={ids['gone']}).count()))",
        )
        == 0
    )
    page.click("#undo-confirm")

    expect(page.get_by_text(f"Undid the merge: CRA {site.name} is back")).to_be_visible()
    expect(page.locator("tr.recent-merge", has_text=f"CRA {site.name}")).to_contain_text("Undone on")
    page.shots(f"{site.name}-merge-undone")
    state = _json(
        site,
        "import json; from members.models import Contact, Engagement, Organisation\n"
        f"keep = Organisation.objects.get(pk={ids['keep']})\n"
        f"gone = Organisation.objects.get(pk={ids['gone']})\n"
        f"person = Contact.objects.get(pk={ids['person']})\n"
        f"meeting = Engagement.objects.get(pk={ids['meeting']})\n"
        "print(json.dumps([keep.description, gone.description, person.organisation_id,"
        " meeting.organisation_id]))",
    )
    assert state == ["", "Alliance of removal firms", ids["gone"], ids["gone"]]
