"""Create the staff groups with their model permissions.

The same sync also runs after every ``migrate`` (coalition.apps), so models added later are covered
without a migration of their own; this migration makes the groups part of the schema history.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_staff_groups(apps, schema_editor):
    from coalition.groups import staff_groups_sync

    using = schema_editor.connection.alias
    # Permissions are normally created after the whole migrate run; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None
    staff_groups_sync(apps=apps, using=using)


class Migration(migrations.Migration):
    dependencies = [
        ("coalition", "0001_initial"),
        ("members", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_staff_groups, migrations.RunPython.noop)]
