"""Staff can check whether, and when, an address was erased: the admin's "Erased addresses" list is
found by the whole address (its keyed hash), never by a part of it, and is read-only."""

import pytest
from django.test import Client

from newsletters.models import ErasedAddress
from newsletters.subscriptions import services as subscriptions

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

URL = "/admin/newsletters/erasedaddress/"


@pytest.fixture
def viewer(viewer_user) -> Client:
    client = Client()
    client.force_login(viewer_user)
    return client


@pytest.fixture
def marks() -> dict[str, ErasedAddress]:
    found = {}
    for email in ("gone@ngo.example", "left@city.example"):
        subscriptions.subscriber_erase(subscriber=SubscriberFactory(email=email))
        found[email] = subscriptions.erased_address_of(email)
    return found


def _listed(client: Client, query: str | None = None) -> list[int]:
    response = client.get(URL, {"q": query} if query is not None else {})
    assert response.status_code == 200
    return [mark.pk for mark in response.context["cl"].result_list]


def test_the_whole_address_in_any_case_finds_its_mark_and_nothing_else_does(viewer, marks):
    assert sorted(_listed(viewer)) == sorted(mark.pk for mark in marks.values())
    assert _listed(viewer, "  Gone@NGO.example ") == [marks["gone@ngo.example"].pk]
    assert _listed(viewer, "left@city.example") == [marks["left@city.example"].pk]
    assert _listed(viewer, "never@ngo.example") == []
    assert _listed(viewer, "gone") == [] and _listed(viewer, "ngo.example") == []
    page = viewer.get(URL, {"q": "gone@ngo.example"}).content.decode()
    assert "Type a whole email address" in page and "gone@ngo.example" in page  # typed, not stored
    html = viewer.get("/dashboard/").content.decode()
    sidebar = html[html.index('id="nav-sidebar"') :]
    assert f'href="{URL}"' in sidebar[: sidebar.index("</nav>")]  # in the Newsletters navigation


def test_marks_cannot_be_added_changed_or_deleted_by_hand(marks, superuser):
    client = Client()
    client.force_login(superuser)
    mark = marks["gone@ngo.example"]
    assert client.get(f"{URL}add/").status_code == 403
    assert client.post(f"{URL}{mark.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{URL}{mark.pk}/change/", {}).status_code == 403
    assert ErasedAddress.objects.filter(pk=mark.pk).exists()
