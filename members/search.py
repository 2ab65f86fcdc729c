"""Staff search across organisations, contacts, enquiries and whatever other apps contribute.

One entry point, :func:`search_everything`. On PostgreSQL each kind is one query that combines
full-text search (``SearchVector``/``SearchQuery``, config "simple": names are not English prose) with
pg_trgm similarity, so a typo still finds its record ("Danmark" finds Denmark, "Finnland" Finland).
Candidates come from a few capped, index-backed lists (``members/migrations/0004_public_search_trgm``)
and only they are scored, so the cost stays bounded as the tables grow (``bench/search.py`` measures it).
Elsewhere (SQLite in development) a plain ``icontains`` search stands in.

Other apps add their own results through the ``search`` hook, so this module does not import them::

    # newsletters/apps.py, in NewslettersConfig.ready()
    from coalition import hooks
    from newsletters.search import subscriber_search_hits
    hooks.register("search", subscriber_search_hits)

A collector is called as ``collector(query=..., limit=...)`` and returns a list of dicts (or
:class:`SearchHit`) with the keys of :class:`SearchHit`; ``kind`` names the group ("subscribers") and
``permission`` the Django permission a staff user needs to see the hit ("newsletters.view_subscriber").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from functools import lru_cache, reduce
from operator import and_, or_
from typing import Any

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import BooleanField, Case, FloatField, Model, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Upper
from django.urls import NoReverseMatch, reverse
from django_countries import countries

from coalition import hooks
from members.models import Contact, Enquiry, Organisation

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 100
# How close a country's name must be to the query (pg_trgm's measure, computed here in Python): 0.4 lets a
# one-letter typo in a seven-letter name through ("Danmark" ~ "Denmark" = 0.45) and keeps noise out.
COUNTRY_SIMILARITY = 0.4
MAX_COUNTRIES = 5
# Rows taken from each index-backed candidate list on PostgreSQL (see _pg_filter_and_score).
CANDIDATES = 100


@dataclass(frozen=True)
class SearchFields:
    """Which columns of a model are searched, and how."""

    title: str  # what a hit is called; an exact match ranks first
    text: tuple[str, ...]  # searched for the text (substring) and by full text
    fuzzy: tuple[str, ...]  # also forgiving typos (trigram word similarity): names, not emails or domains


ORGANISATION_FIELDS = SearchFields(title="name", text=("name", "website_domain"), fuzzy=("name",))
CONTACT_FIELDS = SearchFields(title="name", text=("name", "email"), fuzzy=("name",))
ENQUIRY_FIELDS = SearchFields(
    title="organisation_name",
    text=("organisation_name", "contact_name", "email"),
    fuzzy=("organisation_name", "contact_name"),
)

CORE_KINDS = {
    "organisations": "members.view_organisation",
    "contacts": "members.view_contact",
    "enquiries": "members.view_enquiry",
}


@dataclass(frozen=True)
class SearchHit:
    kind: str  # the group it is shown in: "organisations", "contacts", "enquiries", "subscribers", ...
    title: str
    detail: str = ""
    url: str = ""
    score: float = 0.0
    permission: str = ""  # Django permission needed to see it; empty: any staff user

    @classmethod
    def from_collected(cls, item: SearchHit | dict[str, Any]) -> SearchHit:
        if isinstance(item, SearchHit):
            return item
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in item.items() if k in known}
        data["score"] = float(data.get("score") or 0.0)
        return cls(**data)


def search_everything(
    *, query: str, limit: int = 20, user=None, backend: str | None = None
) -> dict[str, list[SearchHit]]:
    """The best ``limit`` hits of each kind for ``query``, best first, grouped by kind.

    ``user``: leave out what this staff user may not view (and do not query for it).
    ``backend``: "postgresql" or "fallback"; by default PostgreSQL search when the database is PostgreSQL.
    One query per kind, whatever the size of the tables.
    """
    query = normalise_query(query)
    if backend is None:
        backend = "postgresql" if connection.vendor == "postgresql" else "fallback"
    if backend not in ("postgresql", "fallback"):
        raise ValueError(f"Unknown search backend {backend!r}")
    results: dict[str, list[SearchHit]] = {kind: [] for kind in CORE_KINDS}
    if len(query) < MIN_QUERY_LENGTH:
        return results

    def allowed(permission: str) -> bool:
        return user is None or not permission or user.has_perm(permission)

    postgres = backend == "postgresql"
    codes = matching_countries(query)
    if allowed(CORE_KINDS["organisations"]):
        results["organisations"] = _organisation_hits(query, limit, postgres, codes)
    if allowed(CORE_KINDS["contacts"]):
        results["contacts"] = _contact_hits(query, limit, postgres)
    if allowed(CORE_KINDS["enquiries"]):
        results["enquiries"] = _enquiry_hits(query, limit, postgres)

    collected: dict[str, list[SearchHit]] = {}
    for item in hooks.collect("search", query=query, limit=limit, postgres=postgres):
        hit = SearchHit.from_collected(item)
        if allowed(hit.permission):
            collected.setdefault(hit.kind, []).append(hit)
    for kind, hits in collected.items():
        results.setdefault(kind, []).extend(sorted(hits, key=lambda h: -h.score)[:limit])
    return results


def normalise_query(query: str) -> str:
    return " ".join((query or "").split())[:MAX_QUERY_LENGTH]


# --- Countries ------------------------------------------------------------------------------------------
# Organisations store an ISO code; the name a person types is matched here against django-countries' names
# so "Danmark" also finds every organisation in Denmark, on any database, in the same single query.


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: per alphanumeric word, lower-cased, padded with two spaces before, one after."""
    out: set[str] = set()
    for word in re.findall(r"\w+", text.lower()):
        padded = f"  {word} "
        out.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return out


def trigram_similarity(a: str, b: str) -> float:
    return _jaccard(_trigrams(a), _trigrams(b))


def _jaccard(ta: set[str], tb: set[str]) -> float:
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


@lru_cache(maxsize=1)
def _country_index() -> tuple[tuple[str, str, tuple[str, ...], tuple[frozenset[str], ...]], ...]:
    """Per country: code, lower-case name, its words, and the trigrams of the name and of each word."""
    index = []
    for code, name in countries:
        lowered = str(name).lower()
        words = tuple(re.findall(r"\w+", lowered))
        grams = (frozenset(_trigrams(lowered)), *(frozenset(_trigrams(w)) for w in words))
        index.append((code, lowered, words, grams))
    return tuple(index)


def matching_countries(query: str) -> dict[str, float]:
    """ISO codes of the countries whose name is like ``query``, with how alike (0–1), best first."""
    q = query.lower().strip()
    if len(q) < MIN_QUERY_LENGTH:
        return {}
    query_grams = _trigrams(q)
    scored: dict[str, float] = {}
    for code, name, words, grams in _country_index():
        if q in (code.lower(), name):
            score = 1.0
        else:
            score = max(_jaccard(query_grams, g) for g in grams)
            if len(q) >= 3 and any(w.startswith(q) for w in words):
                score = max(score, 0.6)
        if score >= COUNTRY_SIMILARITY:
            scored[code] = score
    best = sorted(scored.items(), key=lambda item: -item[1])[:MAX_COUNTRIES]
    return dict(best)


# --- Query building ------------------------------------------------------------------------------------


def _pg_filter_and_score(
    qs: QuerySet, query: str, fields: SearchFields, country_codes: list[str], *, limit: int = 20
) -> tuple[QuerySet, Q, Any]:
    """Candidates and score for PostgreSQL.

    Scoring a row costs several trigram and text-search function calls, and a common word ("carbon" in
    a carbon-removal CRM) matches thousands of rows, so the score must not run on every match. The
    candidates are a union of small index-backed lists, each capped at ``CANDIDATES`` rows: the exact
    title, names containing a word like the query (``%>``, trigram word similarity: typos), fields
    containing the text (``LIKE``), full-text matches, and the organisations of a matching country (the
    country's own record first). Whole-string similarity (``%``) is left out of the candidates: the
    index cannot narrow it much, and re-checking thousands of rows cost more than every other list
    together; it still counts in the score, and typos in a short country name are caught by
    ``matching_countries``. Every list comes from an index (B-tree for the exact title, GIN for the
    rest, from ``members/migrations/0004_public_search_trgm``, whose expressions match these exactly) and
    stops at its cap, so the work is bounded whatever the table size; only the candidates are scored.
    """
    text_fields, title_field = fields.text, fields.title
    vector = SearchVector(*text_fields, config="simple")
    search_query = SearchQuery(query, search_type="websearch", config="simple")
    base = qs.model._default_manager.order_by().alias(
        document=vector, **{f"upper_{f}": Upper(f) for f in text_fields}
    )
    # The exact title in its usual casings, from the title's B-tree index: a trigram index answers
    # equality only by re-checking every row that shares the query's trigrams.
    casings = sorted({query, query.lower(), query.upper(), query.title(), query.capitalize()})
    conditions = [Q(**{f"{title_field}__in": casings}), Q(document=search_query)]
    conditions += [Q(**{f"{f}__icontains": query}) for f in text_fields]
    branches = [base.filter(c).values("pk")[:CANDIDATES] for c in conditions]
    if country_codes:
        branches.append(
            base.filter(country__in=country_codes)
            .alias(is_country=Case(When(kind=Organisation.Kind.COUNTRY, then=Value(0)), default=Value(1)))
            .order_by("is_country")
            .values("pk")[:CANDIDATES]
        )
    if fields.fuzzy:
        # The typo-tolerant lists (trigram word similarity, ``%>``) are the expensive ones: the index
        # narrows a common name ("Jensen" in a tenth of the contacts) to thousands of rows that PostgreSQL
        # then re-checks one by one, hundreds of milliseconds when few pass. They are read only when the
        # lists above give fewer than ``limit`` candidates: an uncorrelated condition, which PostgreSQL
        # evaluates once before the branch (a one-time filter) and which then skips its index scan
        # entirely. A query whose text matches ``limit`` records is not a typo; one that matches fewer
        # ("Danmark", "Climworks") still gets its fuzzy candidates. Still one query per kind.
        direct = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]
        sql, params = direct.query.get_compiler(using=direct.db).as_sql()
        # The ORM's own compiled SQL and parameters, wrapped in a count: nothing typed goes in as text.
        count_sql = "(SELECT COUNT(*) FROM (" + sql + ") AS direct_candidates) < %s"  # noqa: S608
        few_direct = RawSQL(count_sql, (*params, limit), output_field=BooleanField())  # noqa: S611
        for f in fields.fuzzy:
            similar = Q(**{f"upper_{f}__trigram_word_similar": query})
            branches.append(base.filter(similar, few_direct).values("pk")[:CANDIDATES])
    # Every candidate met one of the conditions, so nothing else needs filtering; the outer query reads
    # the candidates by primary key.
    condition = Q(pk__in=branches[0].union(*branches[1:]))
    similarity = Greatest(
        *[TrigramSimilarity(f, query) for f in text_fields],
        *[TrigramWordSimilarity(query, f) for f in text_fields],
    )
    score = (
        similarity
        + SearchRank(vector, search_query)
        + Case(When(**{f"{title_field}__iexact": query}, then=Value(1.0)), default=Value(0.0))
    )
    return qs, condition, score


def _fallback_filter_and_score(
    qs: QuerySet, query: str, fields: SearchFields, country_codes: list[str], *, limit: int = 20
) -> tuple[QuerySet, Q, Any]:
    """Any database: every word of the query appears in one of the fields; exact and prefix rank first."""
    text_fields, title_field = fields.text, fields.title
    words = query.split()
    condition = reduce(and_, [reduce(or_, [Q(**{f"{f}__icontains": w}) for f in text_fields]) for w in words])
    if country_codes:
        condition |= Q(country__in=country_codes)
    score = Case(
        When(**{f"{title_field}__iexact": query}, then=Value(2.0)),
        When(**{f"{title_field}__istartswith": query}, then=Value(1.5)),
        default=Value(1.0),
        output_field=FloatField(),
    )
    return qs, condition, score


def ranked(
    qs: QuerySet,
    query: str,
    limit: int,
    postgres: bool,
    fields: SearchFields,
    country_scores: dict[str, float] | None = None,
) -> QuerySet:
    build = _pg_filter_and_score if postgres else _fallback_filter_and_score
    qs, condition, score = build(qs, query, fields, list(country_scores or {}), limit=limit)
    if country_scores:
        # The record of the country itself counts fully, an organisation based there half: "Danmark" puts
        # Denmark first, then the organisations in Denmark, on either backend.
        score = score + Case(
            *[
                When(country=code, kind=Organisation.Kind.COUNTRY, then=Value(s))
                for code, s in country_scores.items()
            ],
            *[When(country=code, then=Value(s / 2)) for code, s in country_scores.items()],
            default=Value(0.0),
            output_field=FloatField(),
        )
    return qs.filter(condition).annotate(score=score).order_by("-score", fields.title, "pk")[:limit]


def admin_url_maker(model) -> Callable[[Any], str]:
    """``pk -> admin change URL`` for ``model``, reversing once per search rather than once per hit."""
    marker = "0"
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[marker])
    except NoReverseMatch:
        return lambda pk: ""
    head, _, tail = url.rpartition(f"/{marker}/")
    return lambda pk: f"{head}/{pk}/{tail}"


def _join(parts: Iterable[str]) -> str:
    return " · ".join(p for p in parts if p)


# --- PostgreSQL: one cached SQL text per kind ------------------------------------------------------------
# Building these queries through the ORM cost about 17 ms of Python per search (three querysets of unions,
# aliases and annotations compiled afresh each call), more than PostgreSQL spent answering them. The text
# only depends on the kind, so it is written once, here, and run with parameters.


@dataclass(frozen=True)
class PgSearchSpec:
    """What to read for one kind of hit: the table, the searched fields, the columns a hit is built from."""

    model: type[Model]
    fields: SearchFields
    columns: tuple[str, ...]  # SQL expressions over the alias ``t`` (and ``joined``), in the hit's order
    join: str = ""  # e.g. "JOIN members_organisation joined ON joined.id = t.organisation_id"
    countries: bool = False  # the table has ``country`` and ``kind`` columns (organisations)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(spec: PgSearchSpec, field: str) -> str:
    return _quote(spec.model._meta.get_field(field).column)


def _document(spec: PgSearchSpec, alias: str = "") -> str:
    """The full-text vector, written as Django's ``SearchVector(*fields, config="simple")`` compiles it:
    the GIN indexes of migration 0004 were built from that expression, and the planner matches text."""
    prefix = f"{alias}." if alias else ""
    joined = " || ' ' || ".join(f"COALESCE({prefix}{_column(spec, f)}, '')" for f in spec.fields.text)
    return f"to_tsvector('simple'::regconfig, {joined})"


@lru_cache(maxsize=None)
def pg_search_sql(spec: PgSearchSpec) -> str:
    """The search query for ``spec``, with named parameters: q, casings, like, limit (and codes, scores).

    Candidates are a union of small index-backed lists, each capped at ``CANDIDATES`` rows: the exact title
    (B-tree), full-text matches (GIN on the vector), each field containing the text (trigram GIN serving
    ``UPPER(col) LIKE``), and the organisations of a matching country (the country's own record first).
    The typo-tolerant lists (trigram word similarity ``%>`` on each name, trigram GIN) are read only when
    those give fewer than ``limit`` candidates: an uncorrelated condition PostgreSQL evaluates once, so
    otherwise their index is never touched. Each is a materialised CTE without a LIMIT of its own, so
    PostgreSQL plans it as the bitmap index scan it is; planned under the outer LIMIT it chose a
    sequential scan, expecting matches early, and re-checked 15,000 contacts for "Mette Frederiksn".
    Only the candidates are scored (trigram similarity, full-text rank, the exact title, the country).
    """
    table = _quote(spec.model._meta.db_table)
    pk = _quote(spec.model._meta.pk.column)
    title = _column(spec, spec.fields.title)
    document = _document(spec)
    tsquery = "websearch_to_tsquery('simple'::regconfig, %(q)s)"
    words = [
        f"(SELECT {pk} AS id FROM {table} WHERE {title} = ANY(%(casings)s) LIMIT {CANDIDATES})",
        f"(SELECT {pk} AS id FROM {table} WHERE {document} @@ {tsquery} LIMIT {CANDIDATES})",
    ]
    # Substrings are read only when the exact title and the full-text match leave room among the
    # candidates: a name that shares its words with thousands of rows ("jensen@": every Jensen) made the
    # trigram index hand back all of them for a re-check that found none, while the word lists had already
    # filled the candidates with better hits (a whole word scores above a part of one).
    branches = [
        f"(SELECT {pk} AS id FROM {table} WHERE UPPER({_column(spec, f)}::text) LIKE UPPER(%(like)s) "
        f"AND (SELECT COUNT(*) FROM words) < {CANDIDATES} LIMIT {CANDIDATES})"
        for f in spec.fields.text
    ]
    if spec.countries:
        branches.append(
            f"(SELECT {pk} AS id FROM {table} WHERE country = ANY(%(codes)s) "
            f"ORDER BY (kind <> '{Organisation.Kind.COUNTRY}') LIMIT {CANDIDATES})"
        )
    ctes = [
        "words AS (" + " UNION ".join(words) + ")",
        "direct AS (SELECT id FROM words UNION " + " UNION ".join(branches) + ")",
    ]
    candidates = ["SELECT id FROM direct"]
    for i, f in enumerate(spec.fields.fuzzy):
        ctes.append(
            f"fuzzy_{i} AS MATERIALIZED (SELECT {pk} AS id FROM {table} "
            f"WHERE UPPER({_column(spec, f)}::text) %%> %(q)s)"
        )
        candidates.append(
            f"(SELECT id FROM fuzzy_{i} WHERE (SELECT COUNT(*) FROM direct) < %(limit)s LIMIT {CANDIDATES})"
        )
    similarity = ", ".join(
        [f"SIMILARITY(t.{_column(spec, f)}, %(q)s)" for f in spec.fields.text]
        + [f"WORD_SIMILARITY(%(q)s, t.{_column(spec, f)})" for f in spec.fields.text]
    )
    score = (
        f"GREATEST({similarity}) + ts_rank({_document(spec, 't')}, {tsquery}) "
        f"+ CASE WHEN UPPER(t.{title}::text) = UPPER(%(q)s) THEN 1.0 ELSE 0.0 END"
    )
    if spec.countries:
        # The record of the country itself counts fully, an organisation based there half.
        score += (
            " + COALESCE((SELECT c.score FROM UNNEST(%(codes)s::text[], %(scores)s::float8[]) AS c(code, score)"
            f" WHERE c.code = t.country), 0.0) * CASE WHEN t.kind = '{Organisation.Kind.COUNTRY}' "
            "THEN 1.0 ELSE 0.5 END"
        )
    columns = ", ".join(spec.columns)
    return (
        "WITH " + ", ".join(ctes) + ", candidates AS (" + " UNION ".join(candidates) + ") "  # noqa: S608
        f"SELECT t.{pk}, {columns}, ({score}) AS score FROM {table} t {spec.join} "
        f"WHERE t.{pk} IN (SELECT id FROM candidates) ORDER BY score DESC, t.{title}, t.{pk} LIMIT %(limit)s"
    )


def pg_search_params(query: str, limit: int, country_scores: dict[str, float] | None = None) -> dict:
    casings = sorted({query, query.lower(), query.upper(), query.title(), query.capitalize()})
    scores = country_scores or {}
    return {
        "q": query,
        "casings": casings,
        "like": f"%{connection.ops.prep_for_like_query(query)}%",
        "limit": limit,
        "codes": list(scores),
        "scores": [float(s) for s in scores.values()],
    }


def pg_search(
    spec: PgSearchSpec, query: str, limit: int, country_scores: dict[str, float] | None = None
) -> list[tuple]:
    """Rows ``(pk, *spec.columns, score)`` of the best ``limit`` matches, best first: one query."""
    with connection.cursor() as cursor:
        cursor.execute(pg_search_sql(spec), pg_search_params(query, limit, country_scores))
        return cursor.fetchall()


ORGANISATION_SPEC = PgSearchSpec(
    model=Organisation,
    fields=ORGANISATION_FIELDS,
    columns=("t.name", "t.kind", "t.country", "t.website_domain"),
    countries=True,
)
CONTACT_SPEC = PgSearchSpec(
    model=Contact,
    fields=CONTACT_FIELDS,
    columns=("t.name", "t.email", "t.job_title", "joined.name"),
    join="JOIN members_organisation joined ON joined.id = t.organisation_id",
)
ENQUIRY_SPEC = PgSearchSpec(
    model=Enquiry,
    fields=ENQUIRY_FIELDS,
    columns=("t.organisation_name", "t.contact_name", "t.email", "t.status", "t.created_at"),
)


def _labels(choices) -> dict[str, Any]:
    return dict(choices)


def _organisation_hits(query: str, limit: int, postgres: bool, codes: dict[str, float]) -> list[SearchHit]:
    url = admin_url_maker(Organisation)
    kinds = _labels(Organisation.Kind.choices)
    if postgres:
        rows = pg_search(ORGANISATION_SPEC, query, limit, codes)
    else:
        qs = Organisation.objects.only("name", "kind", "country", "website_domain")
        rows = [
            (o.pk, o.name, o.kind, o.country.code, o.website_domain, o.score)
            for o in ranked(qs, query, limit, postgres, ORGANISATION_FIELDS, codes)
        ]
    return [
        SearchHit(
            kind="organisations",
            title=name,
            detail=_join([str(kinds.get(kind, kind)), countries.name(country) if country else "", domain]),
            url=url(pk),
            score=float(score),
            permission=CORE_KINDS["organisations"],
        )
        for pk, name, kind, country, domain, score in rows
    ]


def _contact_hits(query: str, limit: int, postgres: bool) -> list[SearchHit]:
    url = admin_url_maker(Contact)
    if postgres:
        rows = pg_search(CONTACT_SPEC, query, limit)
    else:
        qs = Contact.objects.select_related("organisation").only(
            "name", "email", "job_title", "organisation__name"
        )
        rows = [
            (c.pk, c.name, c.email, c.job_title, c.organisation.name, c.score)
            for c in ranked(qs, query, limit, postgres, CONTACT_FIELDS)
        ]
    return [
        SearchHit(
            kind="contacts",
            title=name,
            detail=_join([email, job_title, organisation]),
            url=url(pk),
            score=float(score),
            permission=CORE_KINDS["contacts"],
        )
        for pk, name, email, job_title, organisation, score in rows
    ]


def _enquiry_hits(query: str, limit: int, postgres: bool) -> list[SearchHit]:
    url = admin_url_maker(Enquiry)
    statuses = _labels(Enquiry.Status.choices)
    if postgres:
        rows = pg_search(ENQUIRY_SPEC, query, limit)
    else:
        qs = Enquiry.objects.only("organisation_name", "contact_name", "email", "status", "created_at")
        rows = [
            (e.pk, e.organisation_name, e.contact_name, e.email, e.status, e.created_at, e.score)
            for e in ranked(qs, query, limit, postgres, ENQUIRY_FIELDS)
        ]
    return [
        SearchHit(
            kind="enquiries",
            title=organisation_name,
            detail=_join(
                [contact_name, email, str(statuses.get(status, status)), f"received {created_at:%d %b %Y}"]
            ),
            url=url(pk),
            score=float(score),
            permission=CORE_KINDS["enquiries"],
        )
        for pk, organisation_name, contact_name, email, status, created_at, score in rows
    ]


__all__ = ["SearchHit", "matching_countries", "search_everything", "trigram_similarity"]
