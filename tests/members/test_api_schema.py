"""The OpenAPI schema and Swagger UI describe the members endpoints."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_lists_the_members_endpoints_and_actions(staff_api):
    response = staff_api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/organisations/",
        "/api/v1/organisations/{id}/timeline/",
        "/api/v1/contacts/",
        "/api/v1/membership-tiers/",
        "/api/v1/memberships/",
        "/api/v1/memberships/{id}/renew/",
        "/api/v1/memberships/{id}/override/",
        "/api/v1/commitments/",
        "/api/v1/commitments/{id}/revisions/",
        "/api/v1/engagements/",
    ]:
        assert path in paths, path
    filters = {p["name"] for p in paths["/api/v1/organisations/"]["get"]["parameters"]}
    assert {"kind", "country", "sector", "membership_status", "tier", "domain", "search"} <= filters


def test_the_swagger_ui_is_served(staff_api):
    response = staff_api.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
