"""Run the beat schedule in-process: the embedded default's scheduler (no broker, no ``celery beat``)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from coalition import scheduler


class Command(BaseCommand):
    help = (
        "Run CELERY_BEAT_SCHEDULE's tasks on their schedule, in this process. For the embedded default "
        "(no REDIS_URL); with a broker, run `celery -A coalition beat` instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")

    def handle(self, *args, once: bool = False, **options):
        if settings.REDIS_URL and not once:
            self.stderr.write(
                "REDIS_URL is set: run `celery -A coalition beat` and a worker instead, so tasks are not "
                "run twice."
            )
            return
        names = ", ".join(settings.CELERY_BEAT_SCHEDULE)
        self.stdout.write(f"Running the schedule in-process: {names}")
        scheduler.run_forever(once=once)
