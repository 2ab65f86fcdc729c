"""Password guessing on the staff login: locked out per username and address, the right password refused
during the cool-off, the Secretariat admins told."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from coalition.models import OutboundEmail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def _login(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_wrong_passwords_lock_the_account_out_and_the_right_one_does_not_log_in(
    staff_user, admin_user, superuser
):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    codes = [_login(attacker, staff_user.username, f"guess-{n}").status_code for n in range(20)]
    assert codes[:9] == [200] * 9  # the form again, with its error
    assert set(codes[10:]) == {429}
    response = _login(attacker, staff_user.username, PASSWORD)
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    assert not _logged_in(attacker)
    # The Secretariat admin and the superuser are told, once.
    told = set(OutboundEmail.objects.filter(kind="login.lockout").values_list("to", flat=True))
    assert told == {admin_user.email, superuser.email}
    assert staff_user.username in OutboundEmail.objects.filter(kind="login.lockout").first().subject


def test_the_lockout_is_per_username_and_address(staff_user):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(12):
        _login(attacker, staff_user.username, f"guess-{n}")
    colleague = Client(REMOTE_ADDR="198.51.100.20")
    assert _login(colleague, staff_user.username, PASSWORD).status_code == 302 and _logged_in(colleague)


def test_a_forged_forwarded_for_does_not_dodge_the_lockout(staff_user):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(12):
        attacker.post(
            LOGIN,
            {"username": staff_user.username, "password": f"guess-{n}"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    assert _login(attacker, staff_user.username, PASSWORD).status_code == 429


def test_after_the_cool_off_the_right_password_logs_in(staff_user):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(12):
        _login(attacker, staff_user.username, f"guess-{n}")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1))
    assert _login(attacker, staff_user.username, PASSWORD).status_code == 302 and _logged_in(attacker)
