"""python manage.py import_tracker FILE [--dry-run] [--create countries|all|none]"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from members.climate import tracker
from members.imports.services import import_format_of


class Command(BaseCommand):
    help = (
        "Import a Net Zero Tracker download (.xlsx with its 'Current Snapshot' sheet, or .csv): an end "
        "and an interim commitment per row. Disagreements with recorded commitments become discrepancies "
        "for staff."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen; write nothing.")
        parser.add_argument(
            "--create",
            choices=tracker.Create.CHOICES,
            default=tracker.Create.COUNTRIES,
            help="Organisations to add when none matches a row: countries (UN member states, the default), "
            "all (also regions, cities, companies) or none.",
        )

    def handle(self, *args, file: str, dry_run: bool, create: str, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            outcome = tracker.tracker_import(
                content=content,
                fmt=import_format_of(path.name),
                create=create,
                mode=tracker.Mode.DRY_RUN if dry_run else tracker.Mode.IMPORT,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        report(self.stdout, outcome, dry_run=dry_run)


def report(out, outcome: tracker.TrackerOutcome, *, dry_run: bool) -> None:
    prefix = "Dry run: " if dry_run else ""
    out.write(
        f"{prefix}{outcome.rows} rows: {outcome.created} commitments created, {outcome.updated} updated, "
        f"{outcome.unchanged} unchanged, {outcome.discrepancies} discrepancies raised, "
        f"{outcome.organisations_created} organisations created, {outcome.skipped} rows without an "
        f"organisation skipped, {outcome.error_rows} rows with errors."
    )
    for error in outcome.errors:
        out.write(f"  row {error.row}, {error.field or '-'}: {error.message}")
    for note in outcome.notes:
        out.write(f"  note: row {note.row}, {note.field}: {note.message}")
