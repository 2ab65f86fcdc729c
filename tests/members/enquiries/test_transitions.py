"""Every allowed and forbidden stage change, idempotency, and what approval creates."""

import pytest
from django.core.exceptions import ValidationError

from coalition import hooks
from coalition.exceptions import InvalidTransition
from coalition.models import OutboundEmail
from members.enquiries import services
from members.models import Contact, Engagement, Enquiry, EnquiryTransition, Membership, Organisation
from tests.members.enquiry_factories import EnquiryFactory, OpenTierFactory
from tests.members.factories import ContactFactory, CountryFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
S = Enquiry.Status


def _move(enquiry: Enquiry, target: str, user) -> Enquiry:
    """Ask the service that owns ``target`` to move the enquiry there."""
    if target == S.UNDER_REVIEW:
        if enquiry.status == S.AWAITING_INFORMATION:
            return services.enquiry_information_answer(enquiry=enquiry, answer="Here is what you asked for.")
        return services.enquiry_review_start(enquiry=enquiry, by=user)
    if target == S.AWAITING_INFORMATION:
        return services.enquiry_information_request(enquiry=enquiry, by=user, message="Which sectors?")
    if target == S.APPROVED:
        return services.enquiry_approve(enquiry=enquiry, by=user)
    if target == S.DECLINED:
        return services.enquiry_decline(enquiry=enquiry, by=user, reason="Outside our remit.")
    if target == S.SPAM:
        return services.enquiry_mark_spam(enquiry=enquiry, by=user)
    if target == S.WITHDRAWN:
        return services.enquiry_withdraw(enquiry=enquiry)
    raise AssertionError(target)


ALL = [s.value for s in S]
ALLOWED = [(a, b) for a in ALL for b in ALL if b in services.ALLOWED_TRANSITIONS[a]]
FORBIDDEN = [
    (a, b)
    for a in ALL
    for b in ALL
    if b != S.RECEIVED
    and b not in services.ALLOWED_TRANSITIONS[a]
    and not (a == b and b in services.IDEMPOTENT_TARGETS)
]


def test_the_transition_table_is_the_documented_pipeline():
    assert services.ALLOWED_TRANSITIONS[S.RECEIVED] == {
        S.UNDER_REVIEW,
        S.AWAITING_INFORMATION,
        S.APPROVED,
        S.DECLINED,
        S.SPAM,
        S.WITHDRAWN,
    }
    assert services.ALLOWED_TRANSITIONS[S.SPAM] == {S.UNDER_REVIEW}
    for final in (S.APPROVED, S.DECLINED, S.WITHDRAWN):
        assert services.ALLOWED_TRANSITIONS[final] == set()
    # The pairs tested below cover every (from, to) combination.
    assert len(ALLOWED) + len(FORBIDDEN) + len(services.IDEMPOTENT_TARGETS) + len(ALL) == len(ALL) ** 2


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_an_allowed_transition_moves_the_enquiry_and_records_who_and_when(start, target, staff_user):
    enquiry = EnquiryFactory(status=start)
    moved = _move(enquiry, target, staff_user)
    moved.refresh_from_db()
    assert moved.status == target
    transition = EnquiryTransition.objects.filter(enquiry=enquiry).latest("at", "pk")
    assert (transition.from_status, transition.to_status) == (start, target)
    applicant_did_it = target == S.WITHDRAWN or (start == S.AWAITING_INFORMATION and target == S.UNDER_REVIEW)
    assert transition.by_applicant is applicant_did_it
    assert transition.by == (None if applicant_did_it else staff_user)
    assert transition.at is not None
    assert moved.last_activity_at >= transition.at


@pytest.mark.parametrize(("start", "target"), FORBIDDEN)
def test_a_forbidden_transition_is_refused_and_changes_nothing(start, target, staff_user):
    enquiry = EnquiryFactory(status=start)
    before = (EnquiryTransition.objects.count(), OutboundEmail.objects.count(), Organisation.objects.count())
    with pytest.raises(InvalidTransition) as info:
        _move(enquiry, target, staff_user)
    enquiry.refresh_from_db()
    assert enquiry.status == start
    assert (
        EnquiryTransition.objects.count(),
        OutboundEmail.objects.count(),
        Organisation.objects.count(),
    ) == before
    assert enquiry.get_status_display().lower() in str(info.value)


@pytest.mark.parametrize("target", sorted(services.IDEMPOTENT_TARGETS))
def test_repeating_a_closing_transition_does_nothing_the_second_time(target, staff_user):
    enquiry = EnquiryFactory()
    _move(enquiry, target, staff_user)
    counts = (
        EnquiryTransition.objects.count(),
        OutboundEmail.objects.count(),
        Membership.objects.count(),
        Engagement.objects.count(),
    )
    again = _move(Enquiry.objects.get(pk=enquiry.pk), target, staff_user)
    assert again.status == target
    assert (
        EnquiryTransition.objects.count(),
        OutboundEmail.objects.count(),
        Membership.objects.count(),
        Engagement.objects.count(),
    ) == counts


def test_approving_twice_sends_one_welcome_and_opens_one_membership(staff_user):
    enquiry = EnquiryFactory()
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    assert OutboundEmail.objects.filter(kind="enquiry.welcome").count() == 1
    assert Membership.objects.count() == 1


def test_declining_twice_sends_one_email(staff_user):
    enquiry = EnquiryFactory()
    services.enquiry_decline(enquiry=enquiry, by=staff_user, reason="Not a fit.")
    services.enquiry_decline(enquiry=enquiry, by=staff_user, reason="Another reason.")
    enquiry.refresh_from_db()
    assert enquiry.decline_reason == "Not a fit."
    assert OutboundEmail.objects.filter(kind="enquiry.declined").count() == 1


def test_declining_needs_a_reason(staff_user):
    enquiry = EnquiryFactory()
    with pytest.raises(ValidationError):
        services.enquiry_decline(enquiry=enquiry, by=staff_user, reason="  ")
    enquiry.refresh_from_db()
    assert enquiry.status == S.RECEIVED


def test_marking_as_spam_sends_no_email(staff_user):
    enquiry = EnquiryFactory()
    services.enquiry_mark_spam(enquiry=enquiry, by=staff_user)
    assert not OutboundEmail.objects.filter(to=enquiry.email).exists()


def test_an_information_request_cannot_be_repeated_before_the_applicant_answers(staff_user):
    enquiry = EnquiryFactory(status=S.UNDER_REVIEW)
    services.enquiry_information_request(enquiry=enquiry, by=staff_user, message="Which sectors?")
    with pytest.raises(InvalidTransition, match="already awaiting information"):
        services.enquiry_information_request(enquiry=enquiry, by=staff_user, message="And again?")
    services.enquiry_information_answer(enquiry=enquiry, answer="Energy and aviation.")
    services.enquiry_information_request(enquiry=enquiry, by=staff_user, message="Which year?")
    assert OutboundEmail.objects.filter(kind="enquiry.information_request").count() == 2


def test_assigning_a_received_enquiry_puts_it_under_review(staff_user, admin_user):
    enquiry = EnquiryFactory()
    services.enquiry_assign(enquiry=enquiry, assignee=staff_user, by=admin_user)
    enquiry.refresh_from_db()
    assert enquiry.assignee == staff_user and enquiry.status == S.UNDER_REVIEW
    assert enquiry.transitions.get().by == admin_user


def test_a_closed_enquiry_cannot_be_assigned(staff_user):
    enquiry = EnquiryFactory(status=S.DECLINED)
    with pytest.raises(InvalidTransition):
        services.enquiry_assign(enquiry=enquiry, assignee=staff_user, by=staff_user)


def test_an_internal_note_counts_as_activity(staff_user):
    enquiry = EnquiryFactory()
    before = enquiry.last_activity_at
    note = services.enquiry_note_add(enquiry=enquiry, author=staff_user, body="Called them; promising.")
    enquiry.refresh_from_db()
    assert note.author == staff_user and enquiry.last_activity_at > before


# --- Approval = joining ------------------------------------------------------------------------------


def test_approving_an_enquiry_creates_the_organisation_contact_membership_and_joined_engagement(staff_user):
    enquiry = EnquiryFactory(
        organisation_name="Carbon Engineering Nordic", website="https://ce-nordic.example.com"
    )
    approved = []

    def record(enquiry):
        approved.append(enquiry.pk)

    hooks.register("enquiry_approved", record)
    try:
        services.enquiry_approve(enquiry=enquiry, by=staff_user)
    finally:
        hooks._handlers["enquiry_approved"].remove(record)
    enquiry.refresh_from_db()
    organisation = enquiry.organisation
    assert (
        organisation.name == "Carbon Engineering Nordic"
        and organisation.website_domain == "ce-nordic.example.com"
    )
    assert enquiry.contact.email == enquiry.email and enquiry.contact.is_primary
    assert enquiry.membership.organisation == organisation
    assert (
        enquiry.membership.status == Membership.Status.ACTIVE
        and enquiry.membership.tier == enquiry.requested_tier
    )
    engagement = Engagement.objects.get(organisation=organisation)
    assert engagement.kind == Engagement.Kind.JOINED
    assert list(engagement.contacts.all()) == [enquiry.contact] and list(engagement.staff.all()) == [
        staff_user
    ]
    assert enquiry.decided_at is not None
    assert approved == [enquiry.pk]
    welcome = OutboundEmail.objects.get(dedupe_key=f"enquiry:{enquiry.pk}:welcome")
    assert welcome.to == enquiry.email


def test_a_tier_that_starts_pending_gives_a_pending_membership(staff_user):
    tier = OpenTierFactory(slug="founding", name="Founding member", starts_pending=True)
    enquiry = EnquiryFactory(requested_tier=tier)
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    enquiry.refresh_from_db()
    assert enquiry.membership.status == Membership.Status.PENDING


def test_approval_links_the_suggested_organisation_and_existing_contact(staff_user):
    organisation = OrganisationFactory(website="https://www.acme-removals.example.com")
    contact = ContactFactory(organisation=organisation, email="ingrid@acme.example.com", is_primary=True)
    enquiry = EnquiryFactory(
        organisation_name="ACME Removals", website="https://acme-removals.example.com", email=contact.email
    )
    enquiry.suggested_organisation = organisation
    enquiry.save()
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    enquiry.refresh_from_db()
    assert enquiry.organisation == organisation and enquiry.contact == contact
    assert Organisation.objects.count() == 1 and Contact.objects.count() == 1


def test_staff_can_choose_to_create_a_new_organisation_instead_of_the_suggestion(staff_user):
    organisation = OrganisationFactory(name="Acme")
    enquiry = EnquiryFactory(organisation_name="Acme", suggested_organisation=organisation)
    services.enquiry_approve(enquiry=enquiry, by=staff_user, create_organisation=True)
    enquiry.refresh_from_db()
    assert enquiry.organisation != organisation and Organisation.objects.count() == 2


def test_a_country_is_always_linked_to_its_one_record(staff_user):
    denmark = CountryFactory(name="Denmark", country="DK")
    enquiry = EnquiryFactory(
        organisation_name="Kingdom of Denmark", organisation_kind="country", country="DK"
    )
    services.enquiry_approve(enquiry=enquiry, by=staff_user, create_organisation=True)
    enquiry.refresh_from_db()
    assert enquiry.organisation == denmark
    assert Organisation.objects.filter(kind="country", country="DK").count() == 1


def test_approving_an_organisation_that_is_already_a_member_links_its_membership(staff_user):
    membership = MembershipFactory()
    enquiry = EnquiryFactory(suggested_organisation=membership.organisation)
    services.enquiry_approve(enquiry=enquiry, by=staff_user)
    enquiry.refresh_from_db()
    assert enquiry.status == S.APPROVED and enquiry.membership == membership
    assert Membership.objects.count() == 1
    assert not Engagement.objects.filter(kind=Engagement.Kind.JOINED).exists()
    assert Engagement.objects.filter(kind=Engagement.Kind.NOTE, organisation=membership.organisation).exists()


def test_approval_without_a_tier_asks_for_one_and_changes_nothing(staff_user):
    enquiry = EnquiryFactory(requested_tier=None)
    with pytest.raises(ValidationError, match="tier"):
        services.enquiry_approve(enquiry=enquiry, by=staff_user)
    enquiry.refresh_from_db()
    assert enquiry.status == S.RECEIVED and Organisation.objects.count() == 0


def test_a_failure_half_way_through_approval_rolls_everything_back(staff_user):
    enquiry = EnquiryFactory(organisation_name="Broken Ltd")

    def explode(enquiry):
        raise RuntimeError("hook failed")

    hooks.register("enquiry_approved", explode)
    try:
        with pytest.raises(RuntimeError):
            services.enquiry_approve(enquiry=enquiry, by=staff_user)
    finally:
        hooks._handlers["enquiry_approved"].remove(explode)
    enquiry.refresh_from_db()
    assert enquiry.status == S.RECEIVED
    assert (Organisation.objects.count(), Contact.objects.count(), Membership.objects.count()) == (0, 0, 0)
    assert not OutboundEmail.objects.exists()
