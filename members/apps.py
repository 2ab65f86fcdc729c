from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self) -> None:
        from coalition import hooks

        from .climate.discrepancies import climate_rows_merge

        hooks.register("organisations_merged", climate_rows_merge)
