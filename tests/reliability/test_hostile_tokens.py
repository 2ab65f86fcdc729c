"""API token keys are secrets: never listed, shown once to their owner, revoked only by the owner or a
Secretariat admin."""

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

LIST = "/admin/authtoken/tokenproxy/"


def _revoke_url(user) -> str:
    return f"{LIST}{user.pk}/delete/"


def test_the_token_list_shows_a_prefix_and_never_a_key(client, admin_user, superuser, staff_user):
    keys = [Token.objects.create(user=u).key for u in (superuser, staff_user, admin_user)]
    client.force_login(admin_user)
    page = client.get(LIST).content.decode()
    assert all(key not in page for key in keys) and all(f"{key[:6]}…" in page for key in keys)
    detail = client.get(f"{LIST}{superuser.pk}/change/")
    assert detail.status_code == 200 and keys[0] not in detail.content.decode()


def test_a_staff_user_creates_their_own_token_and_sees_the_key_once(client, staff_user):
    client.force_login(staff_user)
    assert client.get(f"{LIST}add/").status_code == 200
    response = client.post(f"{LIST}add/", {"user": "1"})
    token = Token.objects.get()
    assert token.user == staff_user and token.key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert token.key not in client.get(LIST).content.decode()
    # A second one replaces the first.
    client.post(f"{LIST}add/")
    assert Token.objects.get().key != token.key


def test_an_admin_cannot_create_a_token_for_someone_else(client, admin_user, staff_user):
    client.force_login(admin_user)
    client.post(f"{LIST}add/", {"user": str(staff_user.pk)})
    assert list(Token.objects.values_list("user", flat=True)) == [admin_user.pk]


def test_staff_see_and_revoke_only_their_own_token(client, staff_user, superuser):
    other = Token.objects.create(user=superuser)
    own = Token.objects.create(user=staff_user)
    client.force_login(staff_user)
    assert other.key[:6] not in client.get(LIST).content.decode()
    # Not even found: the staff user's list holds only their own token.
    assert client.post(_revoke_url(superuser), {"post": "yes"}).status_code in (302, 403, 404)
    assert Token.objects.filter(key=other.key).exists()
    assert client.post(_revoke_url(staff_user), {"post": "yes"}).status_code == 302
    assert not Token.objects.filter(key=own.key).exists()


def test_a_secretariat_admin_revokes_anyones_token(client, admin_user, superuser):
    other = Token.objects.create(user=superuser)
    client.force_login(admin_user)
    confirm = client.get(_revoke_url(superuser)).content.decode()
    assert other.key not in confirm and f"{other.key[:6]}…" in confirm
    assert client.post(_revoke_url(superuser), {"post": "yes"}).status_code == 302
    assert not Token.objects.filter(key=other.key).exists()
    from django.contrib.admin.models import LogEntry

    assert not LogEntry.objects.filter(object_repr__contains=other.key).exists()


def test_a_user_outside_the_staff_cannot_open_the_token_admin(client, outsider_user):
    client.force_login(outsider_user)
    assert client.get(LIST).status_code == 302  # to the admin login
