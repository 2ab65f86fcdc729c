"""``manage.py demo_staff_login``: a staff login for trying the demo, printed once.

Creates (or resets the password of) a user in the Secretariat admin group with a fresh random
password. Refuses to run in production, where accounts are created by people, not by a script.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from coalition.groups import SECRETARIAT_ADMIN, staff_groups_sync


class Command(BaseCommand):
    help = "Create or reset a demo staff login (Secretariat admin group) and print it. Never in production."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="secretariat")

    def handle(self, *args, username: str, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_staff_login is for development machines only; not in production.")
        if not Group.objects.filter(name=SECRETARIAT_ADMIN).exists():
            staff_groups_sync()
        password = secrets.token_urlsafe(12)
        User = get_user_model()
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.org", "first_name": "Demo", "last_name": "Secretariat"},
        )
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=SECRETARIAT_ADMIN))
        self.stdout.write(f"Staff login: {username} / {password}")
        self.stdout.write(f"Admin: {settings.SITE_URL}/admin/")
