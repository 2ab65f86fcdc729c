"""The staff pipeline API: access, transitions, 409 for illegal ones, constant query counts, fuzzing."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from coalition.models import OutboundEmail
from members.models import Enquiry, EnquiryNote, Membership, Organisation
from tests.conftest import api_client_for
from tests.members.enquiry_factories import EnquiryFactory, OpenTierFactory, application
from tests.members.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/enquiries/"


def _detail(enquiry, step=""):
    return f"{URL}{enquiry.pk}/{step + '/' if step else ''}"


@pytest.mark.parametrize(
    ("who", "read", "move", "note"),
    [
        ("admin_api", 200, 200, 201),
        ("staff_api", 200, 200, 201),
        ("comms_api", 200, 403, 403),
        ("viewer_api", 200, 403, 403),
        ("anon_api", 401, 401, 401),
    ],
)
def test_who_may_read_move_and_annotate_enquiries(request, who, read, move, note):
    client = request.getfixturevalue(who)
    enquiry = EnquiryFactory()
    assert client.get(URL).status_code == read
    assert client.get(_detail(enquiry)).status_code == read
    assert client.post(_detail(enquiry, "review")).status_code == move
    assert client.post(_detail(enquiry, "note"), {"body": "Looks good."}, format="json").status_code == note


def test_the_staff_detail_shows_suggestions_history_and_internal_notes(staff_api, staff_user):
    organisation = OrganisationFactory()
    enquiry = EnquiryFactory(suggested_organisation=organisation)
    staff_api.post(_detail(enquiry, "note"), {"body": "Met them at COP."}, format="json")
    data = staff_api.get(_detail(enquiry)).data
    assert data["suggested_organisation"] == {"id": organisation.pk, "name": organisation.name}
    assert data["notes"][0]["body"] == "Met them at COP." and data["notes"][0]["author"] == "sam"
    assert EnquiryNote.objects.get().author == staff_user


def test_staff_assign_request_information_and_approve_through_the_api(staff_api, staff_user, admin_user):
    enquiry = EnquiryFactory()
    response = staff_api.post(_detail(enquiry, "assign"), {"assignee": admin_user.pk}, format="json")
    assert response.status_code == 200 and response.data["status"] == "under_review"
    assert response.data["assignee"] == "alice"
    response = staff_api.post(
        _detail(enquiry, "request-information"), {"message": "Which gases?"}, format="json"
    )
    assert response.status_code == 200 and response.data["status"] == "awaiting_information"
    response = staff_api.post(_detail(enquiry, "approve"), {}, format="json")
    assert response.status_code == 200 and response.data["status"] == "approved"
    assert response.data["organisation"] and response.data["membership"]
    assert [t["to_status"] for t in response.data["transitions"]] == [
        "under_review",
        "awaiting_information",
        "approved",
    ]
    assert response.data["transitions"][-1]["by"] == "sam"


def test_approving_through_the_api_can_create_instead_of_linking_and_pick_a_tier(staff_api):
    suggested = OrganisationFactory()
    observer = OpenTierFactory(slug="observer", name="Observer")
    enquiry = EnquiryFactory(suggested_organisation=suggested)
    response = staff_api.post(
        _detail(enquiry, "approve"), {"create_organisation": True, "tier": "observer"}, format="json"
    )
    assert response.status_code == 200
    enquiry.refresh_from_db()
    assert enquiry.organisation != suggested and enquiry.membership.tier == observer


def test_an_illegal_transition_answers_409_and_changes_nothing(staff_api):
    enquiry = EnquiryFactory(status=Enquiry.Status.WITHDRAWN)
    response = staff_api.post(_detail(enquiry, "approve"), {}, format="json")
    assert response.status_code == 409
    assert "withdrawn" in response.data["detail"] and "closed" in response.data["detail"]
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.WITHDRAWN and not Organisation.objects.exists()


def test_approve_and_decline_through_the_api_are_idempotent(staff_api):
    approved, declined = EnquiryFactory(), EnquiryFactory()
    for _ in range(2):
        assert staff_api.post(_detail(approved, "approve"), {}, format="json").status_code == 200
        response = staff_api.post(_detail(declined, "decline"), {"reason": "Outside remit."}, format="json")
        assert response.status_code == 200
    assert Membership.objects.count() == 1
    assert OutboundEmail.objects.filter(kind__in=["enquiry.welcome", "enquiry.declined"]).count() == 2
    # Declining an approved enquiry is a conflict, not a no-op.
    assert staff_api.post(_detail(approved, "decline"), {"reason": "x"}, format="json").status_code == 409


def test_declining_without_a_reason_answers_400(staff_api):
    enquiry = EnquiryFactory()
    response = staff_api.post(_detail(enquiry, "decline"), {}, format="json")
    assert response.status_code == 400 and "reason" in response.data


def test_approving_without_any_tier_answers_400(staff_api):
    enquiry = EnquiryFactory(requested_tier=None)
    response = staff_api.post(_detail(enquiry, "approve"), {}, format="json")
    assert response.status_code == 400 and "tier" in response.data


def test_marking_spam_through_the_api_sends_nothing(staff_api):
    enquiry = EnquiryFactory()
    assert staff_api.post(_detail(enquiry, "spam")).data["status"] == "spam"
    assert not OutboundEmail.objects.exists()


def test_the_list_filters_by_stage(staff_api):
    EnquiryFactory(status=Enquiry.Status.SPAM)
    EnquiryFactory()
    data = staff_api.get(URL, {"status": "received"}).data
    assert data["count"] == 1 and data["results"][0]["status"] == "received"


def _stale_batch(n, staff_user):
    from members.enquiries import services

    for enquiry in EnquiryFactory.create_batch(
        n, assignee=staff_user, suggested_organisation=OrganisationFactory()
    ):
        services.enquiry_note_add(enquiry=enquiry, author=staff_user, body="Note")
        services.enquiry_review_start(enquiry=enquiry, by=staff_user)


def test_listing_enquiries_costs_the_same_queries_for_5_and_50_rows(
    staff_api, staff_user, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff_api.get(URL)  # the first request also loads the user's permissions, once
    counts = {}
    for rows, add in ((5, 5), (50, 45)):
        _stale_batch(add, staff_user)
        with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as queries:
            response = staff_api.get(URL)
        assert response.status_code == 200 and len(response.data["results"]) == rows
        counts[rows] = len(queries)
    assert counts[5] == counts[50], counts


# --- Fuzzing: no payload makes the public endpoint fail -------------------------------------------------

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=300),
    st.text(min_size=5001, max_size=6000, alphabet=st.characters(codec="utf-8")),
)
_json = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
_field_names = st.sampled_from(
    list(application().keys()) + ["homepage", "form_started", "status", "id", "assignee"]
)
_payloads = st.one_of(
    # A valid application with some fields replaced by anything at all, or removed.
    st.builds(
        lambda base, changes, removed: {
            **{k: v for k, v in base.items() if k not in removed},
            **changes,
        },
        st.just(application(form_started=...)),
        st.dictionaries(_field_names, _json, max_size=5),
        st.sets(_field_names, max_size=5),
    ),
    st.dictionaries(st.text(max_size=20), _json, max_size=8),
    _json,
)


@hsettings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=_payloads)
def test_no_payload_makes_the_public_endpoint_answer_5xx(anon_api, settings, payload):
    from django.core.cache import cache

    cache.clear()  # the throttle would otherwise answer 429 after five tries
    OpenTierFactory()
    response = anon_api.post(URL, payload, format="json")
    assert response.status_code in (200, 201, 400), (response.status_code, payload)


@pytest.mark.parametrize(
    "body",
    [b"{", b"\xff\xfe", b'{"email": "\\ud800@example.org"}', b"[]", b"null", b'"text"', b"1e999"],
)
def test_malformed_request_bodies_get_400(anon_api, body):
    response = anon_api.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400


def test_a_lone_surrogate_in_a_text_field_is_refused_with_a_message(anon_api):
    OpenTierFactory()
    body = application(form_started=...)
    import json

    raw = json.dumps(body).replace('"Ingrid Hansen"', '"Ingrid \\ud800 Hansen"').encode()
    response = anon_api.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400 and "contact_name" in response.data


def test_an_outsider_cannot_move_enquiries(outsider_user):
    enquiry = EnquiryFactory()
    assert (
        api_client_for(outsider_user).post(_detail(enquiry, "approve"), {}, format="json").status_code == 403
    )
