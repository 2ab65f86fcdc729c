"""Subscribers in the staff search (members.search collects them through the ``search`` hook)."""

from django.urls import reverse

from members.search import SearchFields, SearchHit, ranked
from newsletters.models import Subscriber

SUBSCRIBER_FIELDS = SearchFields(title="email", text=("email", "name"), fuzzy=("name",))


def subscriber_search_hits(*, query: str, limit: int, postgres: bool) -> list[SearchHit]:
    qs = Subscriber.objects.only("email", "name", "status")
    return [
        SearchHit(
            kind="subscribers",
            title=s.email,
            detail=" · ".join(p for p in (s.name, s.get_status_display()) if p),
            url=reverse("admin:newsletters_subscriber_change", args=[s.pk]),
            score=float(s.score),
            permission="newsletters.view_subscriber",
        )
        for s in ranked(qs, query, limit, postgres, SUBSCRIBER_FIELDS)
    ]
