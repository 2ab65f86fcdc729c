from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoalitionConfig(AppConfig):
    name = "coalition"
    verbose_name = "Coalition (shared)"

    def ready(self) -> None:
        from coalition import checks  # noqa: F401  registers the configuration checks
        from coalition.groups import post_migrate_sync

        post_migrate.connect(post_migrate_sync, sender=self, dispatch_uid="coalition.staff_groups")

        from axes.signals import user_locked_out

        from coalition.login_protection import on_user_locked_out

        user_locked_out.connect(on_user_locked_out, dispatch_uid="coalition.login_lockout_notify")
