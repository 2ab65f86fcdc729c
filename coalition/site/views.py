from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET

from members.public.selectors import public_summary
from members.search import MAX_QUERY_LENGTH, MIN_QUERY_LENGTH, normalise_query, search_everything

SEARCH_LIMIT = 20
API_PREFIX = "/api/"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "coalition/home.html", {"summary": public_summary(), "nav": "home"})


@staff_member_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Staff search across organisations, contacts, enquiries and subscribers."""
    query = normalise_query(request.GET.get("q", ""))
    problem = ""
    results: dict = {}
    if "q" in request.GET and len(query) < MIN_QUERY_LENGTH:
        problem = f"Type at least {MIN_QUERY_LENGTH} characters to search."
    elif query:
        results = search_everything(query=query, limit=SEARCH_LIMIT, user=request.user)
    groups = [(kind.capitalize(), kind, hits) for kind, hits in results.items()]
    return render(
        request,
        "coalition/search.html",
        {
            "query": query,
            "problem": problem,
            "groups": groups,
            "total": sum(len(hits) for hits in results.values()),
            "limit": SEARCH_LIMIT,
            "max_length": MAX_QUERY_LENGTH,
        },
    )


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for an address no route matches (``handler404``).

    DRF already answers JSON for a missing record; this covers API paths the router cannot match at all
    (a malformed id such as ``/api/v1/newsletters/-0.5/``), so an API client gets a message it can read
    instead of an HTML page. Everyone else gets Django's page.
    """
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {
                # In the language the client asked for, like every API answer (coalition/i18n.py).
                "detail": _(
                    "There is no API endpoint at this address. Check the path, and that the id in it "
                    "is a whole number, against the API documentation at /api/docs/."
                )
            },
            status=404,
        )
    return defaults.page_not_found(request, exception)
