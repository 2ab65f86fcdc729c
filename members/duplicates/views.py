"""Staff pages for likely duplicates and for merging two organisations field by field.

They sit in the admin's frame (``admin/base_site.html`` with the admin site's context), so they share its
navigation. Merging is compare → choose → confirm: nothing changes until the confirmation is posted, and
then only through ``organisations_merge``.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from members.duplicates import selectors, snapshots
from members.duplicates import services as duplicates
from members.models import Organisation, OrganisationMerge
from members.staff import staff_required

MERGE_PERMISSIONS = ("members.change_organisation", "members.delete_organisation")
MERGE_TEMPLATE = "members/duplicates/merge.html"


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, template, {**admin.site.each_context(request), **context}, status=status)


@staff_required
def duplicates_list(request):
    if not request.user.has_perm("members.view_organisation"):
        raise PermissionDenied("You may not see organisations.")
    context = {
        "title": _("Likely duplicates"),
        "pairs": selectors.organisation_duplicate_pairs(),
        "contact_groups": selectors.contact_duplicate_groups()
        if request.user.has_perm("members.view_contact")
        else [],
        "can_merge": request.user.has_perms(MERGE_PERMISSIONS),
        "merges": list(_merges()[:RECENT_MERGES]),
        "merges_total": OrganisationMerge.objects.count(),
    }
    return _page(request, "members/duplicates/list.html", context)


RECENT_MERGES = 20
MERGES_PER_PAGE = 50


def _merges():
    """Merge records as their tables show them, newest first (without the rows they keep for an undo)."""
    return (
        OrganisationMerge.objects.select_related("merged_by", "undone_by")
        .defer("changes")
        .order_by("-merged_at", "-pk")
    )


@staff_required
def merges_list(request):
    """Every merge, newest first, 50 a page, found by either record's name: the duplicates page lists only
    the latest, and a merge can be undone for ``MERGE_UNDO_DAYS``."""
    if not request.user.has_perm("members.view_organisation"):
        raise PermissionDenied("You may not see organisations.")
    query = " ".join(request.GET.get("q", "").split())[:200]
    merges = _merges()
    if query:
        merges = merges.filter(Q(gone_name__icontains=query) | Q(kept_name__icontains=query))
    page = Paginator(merges, MERGES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": _("Merges"),
        "page": page,
        "merges": page.object_list,
        "query": query,
        "can_merge": request.user.has_perms(MERGE_PERMISSIONS),
        "undo_days": settings.MERGE_UNDO_DAYS,
    }
    return _page(request, "members/duplicates/merges.html", context)


def _shown(name: str, value) -> str:
    """A stored value of an organisation's field (as a merge record keeps it) as the merge page shows it."""
    if value in (None, ""):
        return ""
    field = Organisation._meta.get_field(name)
    try:
        return _display(Organisation(**{field.attname: field.to_python(value)}), name)
    except Organisation.DoesNotExist:  # a parent deleted since
        return f"#{value}"


@staff_required
def organisations_merge_undo_view(request, pk: int):
    """GET shows what undoing a merge will put back (and why it cannot, if it cannot); POST with ``confirm``
    undoes it through ``organisations_merge_undo``."""
    if not request.user.has_perms(MERGE_PERMISSIONS):
        raise PermissionDenied("Undoing a merge needs permission to change and delete organisations.")
    merge = get_object_or_404(OrganisationMerge.objects.select_related("merged_by"), pk=pk)
    problems = duplicates.merge_undo_problems(merge=merge)
    if request.method == "POST" and request.POST.get("confirm") == "yes" and not problems:
        try:
            restored = duplicates.organisations_merge_undo(merge=merge, by=request.user)
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request,
                _(
                    "Undid the merge: %(gone)s is back as its own record (#%(pk)s), "
                    "and %(keep)s has its earlier values."
                )
                % {"gone": restored.name, "pk": restored.pk, "keep": merge.kept_name},
            )
            return redirect("duplicates")
    kept_changes = merge.changes.get("changed", {}).get(f"members.Organisation:{merge.kept_id}", {})
    fields = [
        {
            "label": capfirst(str(f.verbose_name)),
            "now": _shown(f.name, kept_changes["after"].get(f.attname)),
            "back": _shown(f.name, kept_changes["before"].get(f.attname)),
        }
        for f in map(Organisation._meta.get_field, duplicates.MERGE_FIELDS)
        if f.attname in kept_changes.get("before", {})
    ]
    context = {
        "title": _("Undo a merge"),
        "merge": merge,
        "counts": snapshots.counts(merge.changes),
        "fields": fields,
        "problems": problems,
    }
    status = 409 if problems and request.method == "POST" else 200
    return _page(request, "members/duplicates/merge_undo.html", context, status)


def _with_counts(pks):
    return list(
        Organisation.objects.filter(pk__in=pks)
        .select_related("parent")
        .annotate(
            n_contacts=Count("contacts", distinct=True),
            n_memberships=Count("memberships", distinct=True),
            n_commitments=Count("commitments", distinct=True),
            n_engagements=Count("engagements", distinct=True),
        )
    )


def _display(organisation: Organisation, name: str) -> str:
    value = getattr(organisation, name)
    if name in ("kind", "sector"):
        return getattr(organisation, f"get_{name}_display")() or ""
    if name == "country":
        return value.name if value else ""
    if name == "listed_publicly":
        return _("Yes") if value else _("No")
    if name == "parent":
        return value.name if value else ""
    return str(value or "")


def _default_keep(records: list[Organisation]) -> Organisation:
    """The record with more attached to it (fewer rows move), the older one on a tie."""

    def weight(o):
        return (o.n_contacts + o.n_memberships + o.n_commitments + o.n_engagements, -o.pk)

    return max(records, key=weight)


def _rows(records: list[Organisation], keep: Organisation, picked: dict[str, int]) -> list[dict]:
    """One row per field the merge can choose: both values, and whose value is ticked."""
    gone = next(o for o in records if o.pk != keep.pk)
    defaults = duplicates.merge_default_choices(keep=keep, gone=gone)
    rows = []
    for name in duplicates.MERGE_FIELDS:
        default = keep.pk if defaults[name] == duplicates.KEEP else gone.pk
        chosen = picked.get(name, default)
        values = [_display(o, name) for o in records]
        rows.append(
            {
                "name": name,
                "label": capfirst(str(Organisation._meta.get_field(name).verbose_name)),
                "cells": [
                    {"pk": o.pk, "value": value, "checked": o.pk == chosen}
                    for o, value in zip(records, values, strict=True)
                ],
                "same": values[0] == values[1],
            }
        )
    return rows


def _picked(data, pks: list[int]) -> tuple[dict[str, int], list[str]]:
    """The posted field choices ({field: record id}) and the fields whose choice is not one of the two."""
    picked, bad = {}, []
    for name in duplicates.MERGE_FIELDS:
        raw = data.get(f"field_{name}")
        if raw is None:
            continue
        if raw.isdigit() and int(raw) in pks:
            picked[name] = int(raw)
        else:
            bad.append(str(Organisation._meta.get_field(name).verbose_name))
    return picked, bad


@staff_required
def organisations_merge_view(request):
    """GET ?first=&second= compares both records field by field; POST shows what the merge will do, and
    POST with ``confirm`` merges the record not kept into the other with the values chosen."""
    if not request.user.has_perms(MERGE_PERMISSIONS):
        raise PermissionDenied("Merging needs permission to change and delete organisations.")
    base = {"title": _("Merge two organisations")}
    source = request.POST if request.method == "POST" else request.GET
    try:
        pks = [int(source.get("first", "")), int(source.get("second", ""))]
    except ValueError:
        return _page(
            request, MERGE_TEMPLATE, {**base, "problem": _("Choose two organisations to merge.")}, 400
        )
    records = _with_counts(pks)
    if len(records) != 2:
        problem = _("One of these organisations no longer exists (perhaps it was merged already).")
        return _page(request, MERGE_TEMPLATE, {**base, "problem": problem}, 404)
    records.sort(key=lambda o: pks.index(o.pk))
    first, second = records
    keep = _default_keep(records)
    picked, bad = _picked(source, pks) if request.method == "POST" else ({}, [])
    problem, confirming = "", False

    if request.method == "POST":
        keep_pk = request.POST.get("keep", "")
        if keep_pk not in {str(pk) for pk in pks}:
            problem = _("Choose which of the two records to keep.")
        elif bad:
            problem = _("Choose one of the two values for: %(fields)s.") % {"fields": ", ".join(bad)}
        else:
            keep = next(o for o in records if str(o.pk) == keep_pk)
            gone = next(o for o in records if str(o.pk) != keep_pk)
            choices = {
                name: duplicates.KEEP if pk == keep.pk else duplicates.GONE for name, pk in picked.items()
            }
            if request.POST.get("confirm") == "yes":
                gone_name = gone.name
                try:
                    summary = duplicates.organisations_merge(
                        keep=keep, gone=gone, by=request.user, choices=choices
                    )
                except ValidationError as error:
                    problem = " ".join(error.messages)
                else:
                    kept = Organisation.objects.get(pk=keep.pk)
                    messages.success(
                        request,
                        _("Merged %(gone)s into %(keep)s: %(summary)s")
                        % {"gone": gone_name, "keep": kept.name, "summary": summary.describe()},
                    )
                    return redirect("duplicates")
            else:
                # "Change the choices" on the confirmation comes back here with the choices ticked.
                confirming = request.POST.get("confirm") != "back"
    rows = _rows(records, keep, picked)
    if confirming:
        gone = next(o for o in records if o.pk != keep.pk)
        final = [
            {"label": row["label"], "value": next(c["value"] for c in row["cells"] if c["checked"])}
            for row in rows
        ]
        context = {**base, "first": first, "second": second, "keep": keep, "gone": gone, "final": final}
        context["rows"] = rows
        return _page(request, "members/duplicates/merge_confirm.html", context)
    return _page(
        request,
        MERGE_TEMPLATE,
        {
            **base,
            "records": records,
            "first": first,
            "second": second,
            "keep": keep,
            "rows": rows,
            "problem": problem,
        },
        400 if problem else 200,
    )
