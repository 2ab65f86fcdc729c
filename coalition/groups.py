"""The staff groups and what each may do, kept in step with the models on every migrate.

A group's permissions are listed by app and model ("*" for every model of the app) and action. New
models get their permissions the next time ``migrate`` runs, without a new data migration per model.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

SECRETARIAT_ADMIN = "Secretariat admin"
SECRETARIAT_STAFF = "Secretariat staff"
COMMUNICATIONS = "Communications"
VIEWER = "Viewer"

ALL = ("add", "change", "delete", "view")
EDIT = ("add", "change", "view")
VIEW = ("view",)

DOMAIN_APPS = ("members", "campaigns", "newsletters")

GROUP_RULES: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    SECRETARIAT_ADMIN: [
        (app, "*", ALL) for app in (*DOMAIN_APPS, "coalition", "django_celery_beat", "authtoken")
    ]
    + [("auth", "user", VIEW), ("auth", "group", VIEW)],
    SECRETARIAT_STAFF: [
        ("members", "*", EDIT),
        ("members", "engagement", ALL),
        ("members", "contact", ALL),
        ("members", "enquirynote", ALL),
        ("campaigns", "*", ALL),
        ("newsletters", "*", VIEW),
    ],
    COMMUNICATIONS: [
        ("newsletters", "*", ALL),
        ("members", "*", VIEW),
        ("campaigns", "*", VIEW),
    ],
    VIEWER: [(app, "*", VIEW) for app in DOMAIN_APPS],
}


def staff_groups_sync(*, apps=global_apps, using: str = "default") -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, rules in GROUP_RULES.items():
        wanted = set()
        for app_label, model, actions in rules:
            perms = Permission.objects.using(using).filter(content_type__app_label=app_label)
            if model != "*":
                perms = perms.filter(content_type__model=model)
            for perm in perms.values_list("pk", "codename"):
                if perm[1].split("_", 1)[0] in actions:
                    wanted.add(perm[0])
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        group.permissions.set(wanted)


def post_migrate_sync(sender, app_config=None, using="default", apps=global_apps, **kwargs) -> None:
    # Permissions of apps listed after this one are created only after this signal; create them now.
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    staff_groups_sync(using=using)
