"""Subscribers in the staff search (members.search collects them through the ``search`` hook)."""

from members.search import PgSearchSpec, SearchFields, SearchHit, admin_url_maker, pg_search, ranked
from newsletters.models import Subscriber

SUBSCRIBER_FIELDS = SearchFields(title="email", text=("email", "name"), fuzzy=("name",))
SUBSCRIBER_SPEC = PgSearchSpec(
    model=Subscriber, fields=SUBSCRIBER_FIELDS, columns=("t.email", "t.name", "t.status"), typo_words=False
)


def subscriber_search_hits(*, query: str, limit: int, postgres: bool) -> list[SearchHit]:
    if postgres:
        rows = pg_search(SUBSCRIBER_SPEC, query, limit)
    else:
        qs = Subscriber.objects.only("email", "name", "status")
        rows = [
            (s.pk, s.email, s.name, s.status, s.score) for s in ranked(qs, query, limit, SUBSCRIBER_FIELDS)
        ]
    statuses = dict(Subscriber.Status.choices)
    url = admin_url_maker(Subscriber)
    return [
        SearchHit(
            kind="subscribers",
            title=email,
            detail=" · ".join(p for p in (name, str(statuses.get(status, status))) if p),
            url=url(pk),
            score=float(score),
            permission="newsletters.view_subscriber",
        )
        for pk, email, name, status, score in rows
    ]
