"""``manage.py load_demo [--profile gone|cne|cnc]``: demo records for one of the three coalitions.

Safe to run again. Members data comes first; campaigns and newsletters add theirs when those apps
provide a ``demo`` module (``load(profile=...)``), so this command does not need to know about them.
"""

import importlib
import importlib.util

from django.core.management.base import BaseCommand

from members import demo

OPTIONAL_APPS = ("campaigns", "newsletters")


class Command(BaseCommand):
    help = "Load realistic demo records (safe to run twice)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--profile",
            choices=demo.PROFILES,
            default="gone",
            help=(
                "gone: Group of Negative Emitters (default); cne: Coalition for Negative Emissions; "
                "cnc: Carbon Neutrality Coalition."
            ),
        )

    def handle(self, *args, profile: str, **options) -> None:
        demo.load(profile=profile)
        loaded = ["members"]
        for app in OPTIONAL_APPS:
            if importlib.util.find_spec(f"{app}.demo") is not None:
                importlib.import_module(f"{app}.demo").load(profile=profile)
                loaded.append(app)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded (profile {profile}: {', '.join(loaded)})."))
