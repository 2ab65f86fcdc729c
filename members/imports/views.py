"""Staff pages for importing spreadsheets: upload → dry-run preview → confirm → progress → result."""

import csv

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from coalition.exports import formula_safe_row
from members.climate import views as climate_views
from members.imports import services as imports
from members.models import ImportJob
from members.staff import staff_required


class ImportUploadForm(forms.Form):
    resource = forms.ChoiceField(label="What the file holds")
    file = forms.FileField(
        label="File", help_text="A .csv or .xlsx file with a header row (tab-separated .txt from Excel too)."
    )
    mode = forms.ChoiceField(
        label="Rows that match an existing record",
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.FILL,
        widget=forms.RadioSelect,
        required=False,  # not chosen: the safe default, fill
    )
    clear_blanks = forms.BooleanField(
        label="Blank cells clear fields",
        required=False,
        help_text="Only with “Overwrite”. Otherwise a blank cell never erases a value.",
    )

    def __init__(self, *args, importables: list[imports.Importable], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].choices = [(spec.name, spec.label) for spec in importables]


def _job_for(request, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        allowed = imports.importable_get(job.resource).allowed(request.user)
    except ValidationError:
        allowed = request.user.is_superuser
    if not allowed:
        raise PermissionDenied("You may not import these records.")
    return job


@staff_required
def import_start(request):
    importables = imports.importables_for(request.user)
    if not importables:
        raise PermissionDenied("You may not import any records.")
    form = ImportUploadForm(request.POST or None, request.FILES or None, importables=importables)
    mapping_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_create(
                resource=form.cleaned_data["resource"],
                upload=form.cleaned_data["file"],
                by=request.user,
                mode=form.cleaned_data["mode"] or ImportJob.Mode.FILL,
                clear_blanks=form.cleaned_data["clear_blanks"],
            )
        except ValidationError as error:
            # Headers we do not know and a required column missing: offer the column-mapping step.
            mapping_url = climate_views.mapping_step_for(
                form.cleaned_data["resource"],
                form.cleaned_data["file"],
                options={
                    "mode": form.cleaned_data["mode"] or ImportJob.Mode.FILL,
                    "clear_blanks": form.cleaned_data["clear_blanks"],
                },
            )
            for name, messages in error.message_dict.items():
                form.add_error(name if name in form.fields else None, messages)
        else:
            imports.import_job_start(job=job)
            return redirect("imports-job", pk=job.pk)
    recent = ImportJob.objects.filter(resource__in=[s.name for s in importables]).select_related(
        "created_by"
    )[:10]
    return render(
        request,
        "members/imports/start.html",
        {"form": form, "importables": importables, "recent": recent, "mapping_url": mapping_url},
        status=400 if form.errors else 200,
    )


@staff_required
@require_GET
def import_job_detail(request, pk: int):
    job = _job_for(request, pk)
    return render(
        request,
        "members/imports/job.html",
        {
            "job": job,
            "importable": imports.importable_get(job.resource),
            "finished": job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED),
            "errors": job.errors[:500],
            "more_errors": max(0, len(job.errors) - 500),
            "errors_truncated": len(job.errors) >= imports.MAX_STORED_ERRORS,
            "revertable": imports.import_job_revertable(job),
        },
    )


@staff_required
@require_POST
def import_job_revert(request, pk: int):
    """Undo an import as one unit, from the history records it wrote."""
    job = _job_for(request, pk)
    try:
        outcome = imports.import_job_revert(job=job, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = f"Reverted: {outcome.deleted} created records deleted, {outcome.restored} records restored."
        if outcome.kept:
            text += f" {outcome.kept} fields changed since the import kept their newer value."
        if outcome.kept_created:
            shown = ", ".join(outcome.kept_created[:10]) + ("…" if len(outcome.kept_created) > 10 else "")
            text += (
                f" {len(outcome.kept_created)} created records were kept because they were worked on since"
                f" (changed, or given contacts, commitments or members): {shown}."
            )
        messages.success(request, text)
    return redirect("imports-job", pk=job.pk)


@staff_required
@require_POST
def import_job_confirm(request, pk: int):
    job = _job_for(request, pk)
    try:
        job = imports.import_job_confirm(job=job, by=request.user)
    except ValidationError as error:
        context = {
            "job": job,
            "importable": imports.importable_get(job.resource),
            "finished": True,
            "problem": " ".join(error.messages),
        }
        return render(request, "members/imports/job.html", context, status=409)
    imports.import_job_start(job=job)
    return redirect("imports-job", pk=job.pk)


@staff_required
@require_GET
def import_job_status(request, pk: int):
    job = _job_for(request, pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "dry_run": job.dry_run,
            "total_rows": job.total_rows,
            "processed_rows": job.processed_rows,
            "percent": job.percent,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.skipped_count,
            "error_rows": job.error_count,
            "notes": job.notes,
            "finished": job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED),
            "url": reverse("imports-job", args=[job.pk]),
        }
    )


@staff_required
@require_GET
def import_job_errors_csv(request, pk: int):
    """Every row error of a job as a sheet, to fix the file and import it again."""
    job = _job_for(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "column", "problem"])
    for error in job.errors:
        writer.writerow(formula_safe_row([error["row"], error["field"], error["message"]]))
    return response
