"""Staff search across organisations, contacts, enquiries and whatever other apps contribute.

One entry point, :func:`search_everything`. On PostgreSQL each kind is one query (:func:`pg_search_sql`,
written once per kind and run with parameters) that combines full-text search (config "simple": names
are not English prose) with pg_trgm similarity, so a typo still finds its record ("Danmark" finds
Denmark, "Mette Frederiksn" Mette Frederiksen): the query's words are corrected against the known words
of names (``members.models.SearchWord``, kept by the services that write names). Candidates come from a
few capped, index-backed lists (``members/migrations/0004_public_search_trgm``, ``0018_search_words``)
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
from functools import cache, lru_cache, reduce
from operator import and_, or_
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, F, FloatField, Func, Model, Q, QuerySet, Value, When
from django.urls import NoReverseMatch, reverse
from django_countries import countries

from coalition import hooks
from members.matching import fold_sql, fold_text
from members.models import Contact, Enquiry, Organisation

#: The SQL function that folds text on SQLite (``fold_text``), registered on the connection by the search.
SQLITE_FOLD = "coalition_fold"


def _sqlite_fold(text: str | None) -> str | None:
    return None if text is None else fold_text(text)


MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 100
# How close a country's name must be to the query (pg_trgm's measure, computed here in Python): 0.4 lets a
# one-letter typo in a seven-letter name through ("Danmark" ~ "Denmark" = 0.45) and keeps noise out.
COUNTRY_SIMILARITY = 0.4
MAX_COUNTRIES = 5
# Rows taken from each index-backed candidate list on PostgreSQL (see pg_search_sql).
CANDIDATES = 100
# How alike a known word must be to a word of the query to stand for it (pg_trgm similarity of the two
# words): "frederiksn"/"frederiksen" 0.64, "climworks"/"climeworks" 0.62, "nordik"/"nordic" 0.56; below,
# a word inside a longer one ("oceanremovals"/"removals" 0.35, "kelp12"/"kelp" 0.5) would turn a precise
# query into a common word. A typo too large for this still reaches the whole-name comparison (``%>``)
# when few were found.
WORD_SIMILARITY = 0.55


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


def _fallback_filter_and_score(
    qs: QuerySet, query: str, fields: SearchFields, country_codes: list[str]
) -> tuple[QuerySet, Q, Any]:
    """Any database: every word of the query appears in one of the fields; exact and prefix rank first."""
    text_fields, title_field = fields.text, fields.title
    words = query.split()
    lookups, typed = {f: f"{f}__icontains" for f in text_fields}, words
    if connection.vendor == "sqlite":
        # SQLite's LIKE folds only ASCII letters: compare both sides folded (``SQLITE_FOLD``), so "sao tome"
        # finds "São Tomé" and "ÅRHUS" finds "Århus", as staff type them.
        connection.ensure_connection()
        connection.connection.create_function(SQLITE_FOLD, 1, _sqlite_fold, deterministic=True)
        qs = qs.annotate(
            **{
                f"_folded_{f}": Func(F(f), function=SQLITE_FOLD, output_field=CharField())
                for f in text_fields
            }
        )
        lookups, typed = {f: f"_folded_{f}__contains" for f in text_fields}, [fold_text(w) for w in words]
    condition = reduce(and_, [reduce(or_, [Q(**{lookups[f]: w}) for f in text_fields]) for w in typed])
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
    fields: SearchFields,
    country_scores: dict[str, float] | None = None,
) -> QuerySet:
    """The substring search of any database (SQLite in development); PostgreSQL uses :func:`pg_search`."""
    qs, condition, score = _fallback_filter_and_score(qs, query, fields, list(country_scores or {}))
    if country_scores:
        # The record of the country itself counts fully, an organisation based there half: "Danmark" puts
        # Denmark first, then the organisations in Denmark (pg_search_sql scores the same way).
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
    typo_words: bool = True  # correct the query's words against members_searchword (its names are there)


# The query as a tsquery in which each word may also be one of the five most similar known words (pg_trgm
# ``%`` from the GIN index on the word, then at least ``WORD_SIMILARITY``): "mette frederiksn" becomes
# 'mette' & ('frederiksn' | 'frederiksen'). Words are taken as the "simple" parser makes them, so they are
# the lexemes of the searched vectors; each is quoted for tsquery input (doubled quotes, escaped
# backslashes). Words under three letters stand as typed. No words at all (only punctuation): NULL,
# which matches nothing.
_CORRECTED = (
    "typed AS (SELECT DISTINCT lexeme FROM unnest(to_tsvector('simple'::regconfig, %(q)s))), "  # noqa: S608
    "corrected AS MATERIALIZED (SELECT string_agg(alternatives, ' & ')::tsquery AS query FROM ("
    "SELECT '(' || string_agg("
    r"'''' || replace(replace(word, '\', '\\'), '''', '''''') || '''', ' | ') || ')' AS alternatives "
    "FROM (SELECT typed.lexeme AS typed, typed.lexeme AS word FROM typed "
    "UNION SELECT typed.lexeme, similar_word.word FROM typed CROSS JOIN LATERAL ("
    "SELECT known.word FROM members_searchword known WHERE known.word %% typed.lexeme "
    f"AND similarity(known.word, typed.lexeme) >= {WORD_SIMILARITY} "
    "ORDER BY similarity(known.word, typed.lexeme) DESC, known.word LIMIT 5) AS similar_word "
    "WHERE char_length(typed.lexeme) >= 3 "
    # The same word with or without its accents ("sao" for "são", "lodz" for "łódź"), by the folded-word
    # index (members/migrations/0023_search_word_folded).
    "UNION SELECT typed.lexeme, same_letters.word FROM typed CROSS JOIN LATERAL ("
    f"SELECT known.word FROM members_searchword known WHERE {fold_sql('known.word')} = "
    f"{fold_sql('typed.lexeme')} ORDER BY known.word LIMIT 5) AS same_letters "
    "WHERE char_length(typed.lexeme) >= 3) AS alternative GROUP BY typed) AS each_word)"
)


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


@cache
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
    whole_words = [
        f"(SELECT {pk} AS id FROM {table} WHERE {title} = ANY(%(casings)s) LIMIT {CANDIDATES})",  # noqa: S608
        f"(SELECT {pk} AS id FROM {table} WHERE {document} @@ {tsquery} LIMIT {CANDIDATES})",  # noqa: S608
    ]
    # Substrings are read only when the exact title and the full-text match leave room among the
    # candidates: a name that shares its words with thousands of rows ("jensen@": every Jensen) made the
    # trigram index hand back all of them for a re-check that found none, while the word lists had already
    # filled the candidates with better hits (a whole word scores above a part of one).
    branches = [
        f"(SELECT {pk} AS id FROM {table} WHERE UPPER({_column(spec, f)}::text) LIKE UPPER(%(like)s) "  # noqa: S608
        f"AND (SELECT COUNT(*) FROM whole) < {CANDIDATES} LIMIT {CANDIDATES})"
        for f in spec.fields.text
    ]
    if spec.countries:
        branches.append(
            f"(SELECT {pk} AS id FROM {table} WHERE country = ANY(%(codes)s) "  # noqa: S608
            f"ORDER BY (kind <> '{Organisation.Kind.COUNTRY}') LIMIT {CANDIDATES})"
        )
    ctes = [
        "whole AS (" + " UNION ".join(whole_words) + ")",
        "direct AS (SELECT id FROM whole UNION " + " UNION ".join(branches) + ")",  # noqa: S608
    ]
    candidates = ["SELECT id FROM direct"]
    few_direct = "(SELECT COUNT(*) FROM direct) < %(limit)s"
    if spec.typo_words:
        # Typos, cheaply: each word of the query, or one of the five known words most like it (the small
        # trigram-indexed members_searchword table), and then full text over the GIN index as above.
        ctes += [
            _CORRECTED,
            f"typo AS (SELECT {pk} AS id FROM {table} WHERE {document} @@ (SELECT query FROM corrected) "  # noqa: S608
            f"AND {few_direct} LIMIT {CANDIDATES})",
        ]
        candidates.append("SELECT id FROM typo")
        # Distinct ids: the corrected query also matches what full text already found.
        few_direct = (
            "(SELECT COUNT(*) FROM (SELECT id FROM direct UNION SELECT id FROM typo) AS found) < %(limit)s"
        )
    for i, f in enumerate(spec.fields.fuzzy):
        ctes.append(
            f"fuzzy_{i} AS MATERIALIZED (SELECT {pk} AS id FROM {table} "  # noqa: S608
            f"WHERE UPPER({_column(spec, f)}::text) %%> %(q)s)"
        )
        candidates.append(f"(SELECT id FROM fuzzy_{i} WHERE {few_direct} LIMIT {CANDIDATES})")  # noqa: S608
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
            " + COALESCE((SELECT c.score FROM UNNEST(%(codes)s::text[], %(scores)s::float8[]) "  # noqa: S608
            "AS c(code, score) WHERE c.code = t.country), 0.0) "
            f"* CASE WHEN t.kind = '{Organisation.Kind.COUNTRY}' THEN 1.0 ELSE 0.5 END"
        )
    columns = ", ".join(spec.columns)
    return (
        "WITH " + ", ".join(ctes) + ", candidates AS (" + " UNION ".join(candidates) + ") "  # noqa: S608
        # Each candidate read by primary key (a LATERAL subquery with a LIMIT is not flattened): on a
        # small table PostgreSQL otherwise hashed a sequential scan of all of it against the candidates.
        f"SELECT t.{pk}, {columns}, ({score}) AS score FROM candidates "
        f"CROSS JOIN LATERAL (SELECT * FROM {table} WHERE {pk} = candidates.id LIMIT 1) AS t {spec.join} "
        f"ORDER BY score DESC, t.{title}, t.{pk} LIMIT %(limit)s"
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
            for o in ranked(qs, query, limit, ORGANISATION_FIELDS, codes)
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
            for c in ranked(qs, query, limit, CONTACT_FIELDS)
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
            for e in ranked(qs, query, limit, ENQUIRY_FIELDS)
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
