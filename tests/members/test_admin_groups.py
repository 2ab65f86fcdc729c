"""The staff groups exist after migrate, with the model permissions their work needs."""

import pytest
from django.contrib.auth.models import Group

from coalition.groups import COMMUNICATIONS, SECRETARIAT_ADMIN, SECRETARIAT_STAFF, VIEWER

pytestmark = pytest.mark.django_db


def _perms(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def test_the_four_staff_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        SECRETARIAT_ADMIN,
        SECRETARIAT_STAFF,
        COMMUNICATIONS,
        VIEWER,
    }


def test_the_secretariat_admin_may_change_everything_in_members_and_resend_email():
    perms = _perms(SECRETARIAT_ADMIN)
    assert {
        "members.delete_organisation",
        "members.change_commitment",
        "coalition.change_outboundemail",
    } <= perms


def test_secretariat_staff_edit_members_but_do_not_delete_organisations():
    perms = _perms(SECRETARIAT_STAFF)
    assert {"members.change_organisation", "members.add_engagement", "members.delete_contact"} <= perms
    assert "members.delete_organisation" not in perms


def test_communications_and_viewers_only_read_members():
    for name in (COMMUNICATIONS, VIEWER):
        member_perms = {p for p in _perms(name) if p.startswith("members.")}
        assert member_perms and all(p.startswith("members.view_") for p in member_perms)


def test_the_data_migration_creates_the_groups_on_its_own(django_db_blocker):
    """Run the migration's function against a fresh migration state: no post_migrate help."""
    import importlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("coalition.migrations.0002_staff_groups")
    Group.objects.filter(name=VIEWER).delete()
    state = MigrationExecutor(connection).loader.project_state(("coalition", "0002_staff_groups"))
    with connection.schema_editor() as editor:
        migration.create_staff_groups(state.apps, editor)
    assert "members.view_commitment" in _perms(VIEWER)
