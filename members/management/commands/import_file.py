"""Import a spreadsheet from the command line, the same way the staff page does (preview, then import)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from members.imports import services as imports
from members.imports.resources import MODE_FILL, MODES


class Command(BaseCommand):
    help = (
        "Import a .csv or .xlsx file of organisations, contacts, commitments or subscribers. Rows that "
        "match an existing record are skipped, fill its empty fields (the default) or overwrite it; a "
        "blank cell clears a field only with --mode overwrite --clear-blanks. Prints created / updated / "
        "unchanged / error counts and each row error; the exit status is 1 if any row failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("resource", help="organisations, contacts, commitments or subscribers")
        parser.add_argument("file", type=Path)
        parser.add_argument("--mode", choices=MODES, default=MODE_FILL)
        parser.add_argument("--clear-blanks", action="store_true", help="With --mode overwrite only.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen; write nothing.")

    def handle(
        self, *args, resource: str, file: Path, mode: str, clear_blanks: bool, dry_run: bool, **options
    ):
        if clear_blanks and mode != "overwrite":
            raise CommandError("--clear-blanks only applies with --mode overwrite.")
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        upload = SimpleUploadedFile(file.name, content)
        try:
            job = imports.import_job_create(
                resource=resource,
                upload=upload,
                by=None,
                mode=mode,
                clear_blanks=clear_blanks,
                check_user=False,
            )
            job = imports.import_job_process(job_id=job.pk)
            if not dry_run and job.status == job.Status.DONE:
                job = imports.import_job_process(job_id=imports.import_job_confirm(job=job, by=None).pk)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        if job.status == job.Status.FAILED:
            raise CommandError(f"The import stopped: {job.failure}")
        verb = "Would import" if dry_run else "Imported"
        clearing = ", blank cells clear" if job.clear_blanks else ""
        self.stdout.write(
            f"{verb} {file.name} ({resource}, mode {mode}{clearing}): "
            f"{job.created_count} created, {job.updated_count} updated, {job.skipped_count} unchanged, "
            f"{job.error_count} errors."
        )
        for note in job.notes:
            self.stdout.write(f"  note: {note}")
        for entry in job.preview:
            if entry.get("changes"):
                diff = "; ".join(
                    f"{column}: {before!r} → {after!r}" for column, before, after in entry["changes"]
                )
                self.stdout.write(f"  row {entry['row']} {entry['record']}: {diff}")
        for error in job.errors:
            column = f" [{error['field']}]" if error["field"] else ""
            self.stderr.write(f"  row {error['row']}{column}: {error['message']}")
        if not dry_run:
            self.stdout.write(f"Import job #{job.pk}; undo it from the import page (“Revert this import”).")
        if job.error_count:
            raise SystemExit(1)
