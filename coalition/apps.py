from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoalitionConfig(AppConfig):
    name = "coalition"
    verbose_name = "Coalition (shared)"

    def ready(self) -> None:
        from coalition import checks  # noqa: F401  registers the configuration checks
        from coalition.groups import post_migrate_sync

        post_migrate.connect(post_migrate_sync, sender=self, dispatch_uid="coalition.staff_groups")
