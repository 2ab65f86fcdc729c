"""python manage.py import_ndcs FILE [--dry-run]"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from members.climate import ndc
from members.imports.services import import_format_of


class Command(BaseCommand):
    help = "Import the UNFCCC NDC registry list (CSV as republished by openclimatedata/ndcs, either layout)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen; write nothing.")

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            outcome = ndc.ndc_import(content=content, fmt=import_format_of(path.name), dry_run=dry_run)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        prefix = "Dry run: " if dry_run else ""
        self.stdout.write(
            f"{prefix}{outcome.rows} rows: {outcome.created} submissions created, {outcome.updated} updated, "
            f"{outcome.unchanged} unchanged, {outcome.flagged} flagged for staff, "
            f"{outcome.error_rows} rows with errors."
        )
        for error in outcome.errors:
            self.stdout.write(f"  row {error['row']}, {error['field']}: {error['message']}")
        for note in outcome.notes:
            self.stdout.write(f"  note: row {note['row']}, {note['field']}: {note['message']}")
