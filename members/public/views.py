"""Public pages: the member directory and the commitments tracker (table, chart, CSV and JSON).

Reads come from ``public_selectors``; this module validates filters, lays out the charts and streams the
downloads. Each page runs two queries whatever the number of members, and usually none:

- a page is cached whole, per language (``translation.get_language()``: /fr/ and /es/ get their own) and
  per query string, under the public records' version stamp (``coalition.versions``), which the services
  bump on every write that changes what these pages show; a cached copy lives ``PUBLIC_CACHE_SECONDS`` at
  most;
- the same stamp gives the ``ETag`` and ``Last-Modified`` (Django's ``condition``), so a browser or proxy
  that has the page gets a 304 without the page being rendered;
- the downloads are streamed (``StreamingHttpResponse``), rows read from the database in chunks.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import condition, require_GET

from coalition.exports import formula_safe
from coalition.throttles import throttle_check
from coalition.versions import (
    PUBLIC_CONTENT,
    cache_get,
    cache_set,
    content_last_modified,
    content_version,
)
from members.models import Commitment
from members.public import selectors

DIRECTORY_PAGE_SIZE = 50
TRACKER_PAGE_SIZE = 50


# --- Filters --------------------------------------------------------------------------------------------


class DirectoryFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of member"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    within = forms.ChoiceField(label=_("Within"), required=False)

    def __init__(self, *args, facets: selectors.DirectoryFacets, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *facets.kinds]
        self.fields["country"].choices = [("", _("All countries")), *facets.countries]
        self.fields["within"].choices = [("", _("Anywhere")), *facets.parents]


class TrackerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of target"), required=False, choices=[("", _("All kinds")), *Commitment.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Commitment.Status.choices]
    )


def _clean_filters(form: forms.Form) -> dict[str, str]:
    """The valid filters; a bad value is reported on the form and otherwise ignored."""
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    return {name: cleaned.get(name) or "" for name in form.fields if name not in form.errors}


# Far past any real list; a larger number would overflow the database's OFFSET (a 500).
MAX_PAGE = 100_000


def _page_number(request: HttpRequest) -> int:
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1
    if number > MAX_PAGE:
        raise Http404("There is no such page.")
    return number


def _querystring(params: dict[str, str]) -> str:
    """The filters as a query string for pagination and download links (without ``page``)."""
    return urlencode({k: v for k, v in params.items() if v})


# --- Charts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float


CHART_WIDTH = 320  # SVG units; the chart scales to its container
CHART_ROW = 48  # a label line and a bar
CHART_FIGURE_ROOM = 52  # after the longest bar, for its figure


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart drawn as inline SVG, the label above each bar so it stays legible when
    the chart shrinks to a phone's width. The template gives the same figures as a table."""

    id: str
    title: str
    description: str
    dimension: str  # what each bar stands for, the first column of the table
    bars: list[Bar]
    width: int = CHART_WIDTH
    row_height: int = CHART_ROW

    @property
    def height(self) -> int:
        return max(self.row_height, len(self.bars) * self.row_height)


def bar_chart(
    *, id: str, title: str, description: str, dimension: str, rows: Iterable[tuple[str, int]]
) -> BarChart:
    rows = list(rows)
    peak = max((value for _, value in rows), default=0) or 1
    area = CHART_WIDTH - CHART_FIGURE_ROOM
    bars = [
        Bar(label=label, value=value, y=i * CHART_ROW, width=round(area * value / peak, 1))
        for i, (label, value) in enumerate(rows)
    ]
    return BarChart(id=id, title=title, description=description, dimension=dimension, bars=bars)


# --- Caching -------------------------------------------------------------------------------------------


def _etag(request: HttpRequest, *args, **kwargs) -> str:
    """One tag per version of the public records, language and address (query string included)."""
    version = content_version(PUBLIC_CONTENT)
    seed = f"{version}|{translation.get_language()}|{request.get_full_path()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def _last_modified(request: HttpRequest, *args, **kwargs):
    return content_last_modified(PUBLIC_CONTENT)


def public_page(view):
    """Serve ``view``'s successful, non-streamed responses from the cache (see the module's docstring),
    with an ETag and Last-Modified that answer a conditional request with 304."""

    def cached(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = f"public-page:{_etag(request)}"
        hit = cache_get(cache, key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            cache_set(
                cache, key, (response.content, response["Content-Type"]), selectors.PUBLIC_CACHE_SECONDS
            )
        return response

    cached.__name__, cached.__doc__, cached.__wrapped__ = view.__name__, view.__doc__, view
    return condition(etag_func=_etag, last_modified_func=_last_modified)(cached)


# --- Pages ----------------------------------------------------------------------------------------------


@require_GET
@public_page
def member_directory(request: HttpRequest) -> HttpResponse:
    facets = selectors.member_directory_facets()
    form = DirectoryFilterForm(request.GET or None, facets=facets)
    filters = _clean_filters(form) if request.GET else {"kind": "", "country": "", "within": ""}
    page = selectors.counted_page(
        selectors.member_directory(**filters),
        number=_page_number(request),
        per_page=DIRECTORY_PAGE_SIZE,
        total=facets.total(**filters),
    )
    if page.number > 1 and not page.rows:
        raise Http404("There is no such page of the member directory.")
    return render(
        request,
        "members/public/directory.html",
        {
            "form": form,
            "page": page,
            "filtered": any(filters.values()),
            "querystring": _querystring(filters),
            "nav": "members",
        },
    )


@require_GET
@public_page
def commitments_tracker(request: HttpRequest) -> HttpResponse:
    form = TrackerFilterForm(request.GET or None)
    filters = _clean_filters(form) if request.GET else {"kind": "", "status": ""}
    qs = selectors.commitments_tracker(**filters)
    figures = selectors.commitment_figures(qs)
    page = selectors.counted_page(
        qs, number=_page_number(request), per_page=TRACKER_PAGE_SIZE, total=figures.total
    )
    if page.number > 1 and not page.rows:
        raise Http404("There is no such page of the commitments tracker.")
    by_kind = bar_chart(
        id="chart-kind",
        title=_("Commitments by kind of target"),
        description=_("Number of members' commitments for each kind of target."),
        dimension=_("Kind of target"),
        rows=[(label, n) for _, label, n in figures.by_kind],
    )
    by_year = bar_chart(
        id="chart-year",
        title=_("Commitments by target year"),
        description=_("Number of members' commitments due in each target year."),
        dimension=_("Target year"),
        rows=[(str(year) if year else _("No target year"), n) for year, n in figures.by_target_year],
    )
    return render(
        request,
        "members/public/commitments.html",
        {
            "form": form,
            "page": page,
            "figures": figures,
            "charts": [by_kind, by_year],
            "filtered": any(filters.values()),
            "querystring": _querystring(filters),
            "nav": "commitments",
        },
    )


# --- Downloads ------------------------------------------------------------------------------------------


def _download_filters(request: HttpRequest) -> dict[str, str] | HttpResponse:
    wait = throttle_check(request, scope="public")
    if wait is not None:
        response = HttpResponse(
            "Too many downloads from your address; please try again shortly.\n",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(wait)
        return response
    form = TrackerFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        return HttpResponse(
            f"Unknown filter value ({problems})\n", status=400, content_type="text/plain; charset=utf-8"
        )
    return {name: form.cleaned_data.get(name) or "" for name in form.fields}


class _Echo:
    """A file-like object whose ``write`` hands the line back, so ``csv.writer`` can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    value = formula_safe(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(selectors.EXPORT_FIELDS)
    for row in rows:
        yield writer.writerow([_csv_cell(row[name]) for name in selectors.EXPORT_FIELDS])


def _json_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _json_chunks(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    head = {"coalition": settings.COALITION_NAME, "generated_at": timezone.now().isoformat()}
    yield json.dumps(head, cls=DjangoJSONEncoder)[:-1] + ', "commitments": ['
    for i, row in enumerate(rows):
        prefix = "," if i else ""
        yield prefix + "\n" + json.dumps({k: _json_value(v) for k, v in row.items()}, cls=DjangoJSONEncoder)
    yield "\n]}\n"


# Each download format: how rows become a stream, and its content type.
_DOWNLOADS = {
    "csv": (_csv_lines, "text/csv; charset=utf-8"),
    "json": (_json_chunks, "application/json"),
}


@require_GET
@condition(etag_func=_etag, last_modified_func=_last_modified)
def commitments_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The tracker's commitments, with the page's filters, streamed as CSV or JSON."""
    filters = _download_filters(request)
    if isinstance(filters, HttpResponse):
        return filters
    stream, content_type = _DOWNLOADS[fmt]
    rows = selectors.commitment_export_rows(selectors.commitments_tracker(**filters))
    response = StreamingHttpResponse(stream(rows), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="commitments.{fmt}"'
    return response
