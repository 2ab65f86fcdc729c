"""Property-based fuzzing of every /api/v1/ operation, driven by the project's own OpenAPI schema.

Schemathesis reads ``/api/schema/`` from the Django WSGI application in-process (no network), generates
valid and invalid requests for each operation and sends them to the same application. The standard under
test: every endpoint validates and answers 4xx with a message a person can act on — never a 5xx — and what
it answers matches the schema it publishes.

Bounded for CI: a few examples per operation, deterministic generation (the same cases on every run) and no
example database, so a green run stays green.
"""

import os
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

# Small enough for CI (about a minute and a half on two cores); FUZZ_MAX_EXAMPLES=200 digs deeper locally.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
# HYPOTHESIS_PROFILE=explore draws fresh random cases instead of the same ones on every run.
DETERMINISTIC = os.environ.get("HYPOTHESIS_PROFILE", "default") != "explore"


def _load_schema(*, max_examples: int):
    """The application's own schema, read in-process from ``/api/schema/`` (no network)."""
    config = schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": max_examples, "deterministic": DETERMINISTIC, "database": "none"},
            # The coverage phase enumerates every boundary of every field (about a thousand requests for one
            # PUT): a full run found no 5xx the fuzzing phase misses, at ten times the cost.
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), config=config)


# Routes whose ``{id}`` should name a seeded record, so detail views and actions exercise a real object.
RESOURCES = {
    "organisations": "organisation",
    "contacts": "contact",
    "membership-tiers": "tier",
    "memberships": "membership",
    "commitments": "commitment",
    "engagements": "engagement",
    "enquiries": "enquiry",
    "campaigns": "campaign",
    "campaign-targets": "target",
    "events": "event",
    "event-participants": "participant",
    "newsletter-topics": "topic",
    "newsletters": "newsletter",
    "subscribers": "subscriber",
}

PUBLIC_POSTS = ["/api/v1/enquiries/", "/api/v1/subscriptions/"]

schema = _load_schema(max_examples=MAX_EXAMPLES).include(path_regex=r"^/api/v1/")
# Anyone on the internet can reach these two: they get four times the examples.
public_schema = _load_schema(max_examples=4 * MAX_EXAMPLES).include(method="POST", path=PUBLIC_POSTS)

# The seeded world is a function-scoped fixture shared by an operation's examples on purpose: each example's
# writes are rolled back to a savepoint, so every one starts from the same rows.
FUZZ_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def wsgi_in_test_transaction():
    """Keep the test's database transaction open across WSGI requests.

    Django's WSGI handler closes "old" connections at the start and end of each request; inside a test
    transaction that would throw the transaction (and the seeded data) away. Django's own test client
    disconnects the same handlers.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, wsgi_in_test_transaction) -> dict[str, Any]:
    """A little of everything, so detail views and actions run against real rows; and a superuser's token."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from tests.campaigns.factories import CampaignFactory, EventFactory, ParticipantFactory, TargetFactory
    from tests.members.enquiry_factories import EnquiryFactory, OpenTierFactory
    from tests.members.factories import (
        CommitmentFactory,
        ContactFactory,
        EngagementFactory,
        MembershipFactory,
        OrganisationFactory,
    )
    from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory

    organisation = OrganisationFactory(name="Climeworks")
    tier = OpenTierFactory()
    topic = TopicFactory(name="Removals", slug="removals")
    campaign = CampaignFactory()
    event = EventFactory()
    contact = ContactFactory(organisation=organisation, is_primary=True)
    objects = {
        "organisation": organisation,
        "contact": contact,
        "tier": tier,
        "membership": MembershipFactory(organisation=organisation, tier=tier),
        "commitment": CommitmentFactory(organisation=organisation),
        "engagement": EngagementFactory(organisation=organisation),
        "enquiry": EnquiryFactory(requested_tier=tier),
        "campaign": campaign,
        "target": TargetFactory(campaign=campaign, organisation=organisation),
        "event": event,
        "participant": ParticipantFactory(event=event, organisation=organisation, contact=contact),
        "topic": topic,
        "newsletter": NewsletterFactory(topics=[topic]),
        "subscriber": SubscriberFactory(topics=[topic]),
    }
    return {
        "ids": {name: obj.pk for name, obj in objects.items()},
        # The API authenticates by token, so the superuser needs no password (and hashing one per operation
        # would cost a third of a second each).
        "token": Token.objects.create(
            user=User.objects.create_superuser("root", "root@example.org", None)
        ).key,
    }


def _point_at_seeded_record(case, ids: dict[str, int]) -> None:
    """Swap a generated integer id for the seeded record's; leave malformed ids as generated."""
    params = case.path_parameters or {}
    if not isinstance(params.get("id"), int):
        return
    resource = case.path.split("/")[3]
    if resource in RESOURCES:
        params["id"] = ids[RESOURCES[resource]]


def a_client_error_explains_itself(ctx, response, case) -> bool | None:
    """A 4xx must say what to fix: a JSON body with a non-empty message, not a bare status."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError as error:
        raise AssertionError(
            f"{response.status_code} answered without a JSON message: {response.text[:200]!r}"
        ) from error
    if not body:
        raise AssertionError(f"{response.status_code} answered with an empty message")
    return True


def the_superuser_is_let_in(ctx, response, case) -> bool | None:
    """Staff cases must reach the view: a 401/403 means the token stopped working and the fuzz would pass
    while testing nothing but the authentication check."""
    if response.status_code in (401, 403):
        raise AssertionError(f"the superuser was refused ({response.status_code}): {response.text[:200]!r}")
    return True


# The answers must also match the published schema (body and content type), so clients generated from
# /api/schema/ can rely on it. Status codes are not checked: the schema does not list every 4xx.
CHECKS = [
    not_a_server_error,
    a_client_error_explains_itself,
    response_schema_conformance,
    content_type_conformance,
]


def _call(case, headers: dict[str, str] | None = None, checks: list | None = None) -> None:
    """Send one case and check the answer; the case's writes are rolled back so every example starts from
    the seeded world (and a failed statement cannot poison the next example's transaction)."""
    from django.core.cache import cache

    # Throttle counters live in the cache. The suite's autouse fixture clears it once per operation (each
    # operation is one pytest item), but an operation's examples share that item: clear it here so each
    # example reaches validation instead of a 429.
    cache.clear()
    savepoint = transaction.savepoint()
    try:
        response = case.call(headers=headers)
    finally:
        transaction.savepoint_rollback(savepoint)
    case.validate_response(response, checks=checks or CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_operation_answers_a_staff_member_with_a_server_error(case, world):
    _point_at_seeded_record(case, world["ids"])
    _call(
        case,
        headers={"Authorization": f"Token {world['token']}"},
        checks=[*CHECKS, the_superuser_is_let_in],
    )


@public_schema.parametrize()
@FUZZ_SETTINGS
def test_the_public_endpoints_never_answer_a_visitor_with_a_server_error(case, world):
    # The public POSTs document every status they answer (success, 400, 429), and that is checked too.
    _call(case, checks=[*CHECKS, status_code_conformance])


def test_the_fuzzing_harness_reaches_a_seeded_record_with_the_superusers_token(world):
    """The fixture's plumbing works: in-process WSGI, the test transaction kept open, the token accepted."""
    from werkzeug.test import Client

    client = Client(WSGIHandler())
    url = f"/api/v1/organisations/{world['ids']['organisation']}/"

    response = client.get(url, headers={"Authorization": f"Token {world['token']}"})
    assert response.status_code == 200
    assert response.json["name"] == "Climeworks"
    assert client.get(url).status_code == 401
