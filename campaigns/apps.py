from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns and events"

    def ready(self) -> None:
        from campaigns import profile, selectors, services
        from coalition import hooks

        # A commitment recorded through the members services may answer a campaign's ask.
        hooks.register("commitment_recorded", services.on_commitment_recorded)
        # ... and one deleted no longer does.
        hooks.register("commitment_deleted", services.on_commitment_deleted)
        hooks.register("progress_items", selectors.progress_items)
        # Targets and participations follow an organisation merged into another.
        hooks.register("organisations_merged", services.organisations_merge_campaign_rows)
        hooks.register("contacts_merged", services.contacts_merge_participations)
        # The organisation profile's Campaigns tab and the campaign tags in its summary.
        hooks.register("organisation_profile", profile.organisation_profile_campaigns)
