"""The planned ``to_representation`` (coalition.representation) answers exactly what DRF's own loop does."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework import serializers

import coalition.representation as representation
from coalition.site.api_urls import router
from members.models import Organisation
from members.serializers import OrganisationSerializer
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _list_urls() -> list[str]:
    urls = []
    for _prefix, viewset, basename in router.registry:
        if hasattr(viewset, "list"):
            urls.append(reverse(f"{basename}-list"))
    return urls


def _drf_own(self, instance):
    return serializers.Serializer.to_representation(self, instance)


def _answers(client, url: str, *, enabled: bool, monkeypatch) -> tuple[int, object]:
    with monkeypatch.context() as patch:
        if not enabled:  # DRF's own per-field loop in place of the plan
            patch.setattr(representation.FastRepresentationMixin, "to_representation", _drf_own)
        response = client.get(url, {"page_size": 200}, HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


def test_every_list_and_detail_endpoint_answers_the_same_with_and_without_the_plan(superuser, monkeypatch):
    call_command("load_demo", stdout=StringIO())
    client = api_client_for(superuser)
    compared = filled = 0
    for url in _list_urls():
        status, fast = _answers(client, url, enabled=True, monkeypatch=monkeypatch)
        assert status == 200, (url, fast)
        assert _answers(client, url, enabled=False, monkeypatch=monkeypatch) == (status, fast), url
        compared += 1
        rows = fast.get("results", fast) if isinstance(fast, dict) else fast
        if rows and isinstance(rows[0], dict) and "id" in rows[0]:
            filled += 1
            detail = f"{url}{rows[0]['id']}/"
            fast_one = _answers(client, detail, enabled=True, monkeypatch=monkeypatch)
            assert fast_one[0] == 200, detail
            assert _answers(client, detail, enabled=False, monkeypatch=monkeypatch) == fast_one, detail
    assert compared >= 15
    assert filled >= 10  # the demo data fills most lists: the comparison is not of empty pages


def test_values_that_need_converting_are_converted(superuser):
    """A value of another type than the field returns (an enum member, a number in a text field) is
    converted by the field, as DRF would; None stays None."""
    organisation = Organisation(name="Nordic Carbon", kind=Organisation.Kind.COMPANY, country="DK")
    organisation.pk = 7
    data = OrganisationSerializer(organisation).data
    assert data["kind"] == "company" and type(data["kind"]) is str
    assert data["country"] == "DK" and data["parent"] is None and data["membership"] is None
    organisation.name = 1234
    assert OrganisationSerializer(organisation).data["name"] == "1234"
