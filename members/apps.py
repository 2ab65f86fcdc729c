from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self) -> None:
        from coalition import hooks
        from members.affiliations.services import (
            affiliations_follow_contact_merge,
            relationships_follow_organisation_merge,
        )
        from members.dues.services import invoices_follow_organisation_merge

        hooks.register("contacts_merged", affiliations_follow_contact_merge)
        hooks.register("organisations_merged", relationships_follow_organisation_merge)
        hooks.register("organisations_merged", invoices_follow_organisation_merge)
        from members.climate.discrepancies import climate_rows_merge

        hooks.register("organisations_merged", climate_rows_merge)
