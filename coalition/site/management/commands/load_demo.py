"""``manage.py load_demo [--profile gone|cne|cnc]``: demo records for one of the three coalitions.

Safe to run again. Members data comes first, then the campaigns and newsletters that refer to it. The
command lives on the top floor (``coalition.site``), the one place allowed to import every app.
"""

from django.core.management.base import BaseCommand

import campaigns.demo
import newsletters.demo
from members import demo
from members.services import search_words_rebuild


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
        campaigns.demo.load(profile=profile)
        newsletters.demo.load(profile=profile)
        # The demo's contacts are written in bulk: give search the words of every name for its typo lists.
        search_words_rebuild()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded (profile {profile}: members, campaigns, newsletters).")
        )
