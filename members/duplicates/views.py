"""Staff pages for likely duplicates and for merging two organisations."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render

from members.duplicates import services as duplicates
from members.models import Organisation
from members.staff import staff_required

MERGE_PERMISSIONS = ("members.change_organisation", "members.delete_organisation")


@staff_required
def duplicates_list(request):
    if not request.user.has_perm("members.view_organisation"):
        raise PermissionDenied("You may not see organisations.")
    context = {
        "pairs": duplicates.organisation_duplicate_pairs(),
        "contact_groups": duplicates.contact_duplicate_groups()
        if request.user.has_perm("members.view_contact")
        else [],
        "trigrams": duplicates.trigrams_available(),
        "can_merge": request.user.has_perms(MERGE_PERMISSIONS),
    }
    return render(request, "members/duplicates/list.html", context)


def _with_counts(pks):
    return list(
        Organisation.objects.filter(pk__in=pks).annotate(
            n_contacts=Count("contacts", distinct=True),
            n_memberships=Count("memberships", distinct=True),
            n_commitments=Count("commitments", distinct=True),
            n_engagements=Count("engagements", distinct=True),
        )
    )


@staff_required
def organisations_merge_view(request):
    """GET ?first=&second= shows both records side by side; POST merges the one not kept into the other."""
    if not request.user.has_perms(MERGE_PERMISSIONS):
        raise PermissionDenied("Merging needs permission to change and delete organisations.")
    source = request.POST if request.method == "POST" else request.GET
    try:
        pks = [int(source.get("first", "")), int(source.get("second", ""))]
    except ValueError:
        return render(
            request,
            "members/duplicates/merge.html",
            {"problem": "Choose two organisations to merge."},
            status=400,
        )
    records = _with_counts(pks)
    if len(records) != 2:
        return render(
            request,
            "members/duplicates/merge.html",
            {"problem": "One of these organisations no longer exists (perhaps it was merged already)."},
            status=404,
        )
    records.sort(key=lambda o: pks.index(o.pk))
    problem = ""
    if request.method == "POST":
        keep_pk = request.POST.get("keep", "")
        if keep_pk not in {str(pk) for pk in pks}:
            problem = "Choose which of the two records to keep."
        else:
            keep = next(o for o in records if str(o.pk) == keep_pk)
            gone = next(o for o in records if str(o.pk) != keep_pk)
            gone_name = gone.name
            try:
                summary = duplicates.organisations_merge(keep=keep, gone=gone, by=request.user)
            except ValidationError as error:
                problem = " ".join(error.messages)
            else:
                messages.success(request, f"Merged {gone_name} into {keep.name}: {summary.describe()}")
                return redirect("duplicates")
    return render(
        request,
        "members/duplicates/merge.html",
        {"records": records, "first": records[0], "second": records[1], "problem": problem},
        status=400 if problem else 200,
    )
