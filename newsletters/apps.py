from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "newsletters"

    def ready(self) -> None:
        from newsletters import checks, signals  # noqa: F401  connect the tracking receiver, register checks
        from newsletters.subscriptions.services import register_hooks

        register_hooks()

        from coalition import hooks
        from newsletters.profile import organisation_profile_subscriptions

        # The organisation profile's Subscriptions tab.
        hooks.register("organisation_profile", organisation_profile_subscriptions)

        from django.utils.translation import gettext_lazy as _

        from members.imports.services import importable_register
        from newsletters.resources import SubscriberResource

        importable_register(
            "subscribers",
            resource_class=SubscriberResource,
            label="Subscribers",
            help_text=_(
                "Matched by email. Known subscribers get the name and keep their status; a topics cell adds "
                "the listed topics (“Overwrite”: sets exactly them; a blank cell removes none unless blank "
                "cells clear fields). New addresses are sent a confirmation email and receive nothing until "
                "they confirm. Topics: slugs or names, separated by commas. Cannot be reverted."
            ),
        )
