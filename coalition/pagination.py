"""Pagination that does not count a whole big table on every page.

A page of 50 rows from an index costs about a millisecond; ``SELECT COUNT(*)`` over 100,000 or 1,000,000
rows costs tens to hundreds, on every page. The paginator here (the API's, through
``PageNumberPagination``, and the admin changelists', which also set ``show_full_result_count = False``)
counts like this:

- **unfiltered, big table** (PostgreSQL): the planner's own estimate, ``pg_class.reltuples``, kept by
  autovacuum/ANALYZE. It is used only from ``ESTIMATE_FROM`` rows on: below that an exact count is cheap,
  and a small table (a fresh install, a test) always shows its exact number. At 100,000 rows a count off by
  a few hundred is the price of a page in 1 ms instead of 30; "page 2,001 of 2,000" answers 404 as usual.
- **filtered**: the exact count (a filter narrows through an index, so it is usually cheap). A count of
  ``CACHE_FROM`` rows or more (a broad filter such as ``membership_status=active``) is kept in the cache
  for ``CACHE_SECONDS``, keyed by the query's SQL and parameters, so paging through a broad filter counts
  once a minute rather than once a page. Small counts are never cached: what staff just added shows at once.
- anything else (SQLite, a list that is not a queryset): the exact count.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework import pagination

from coalition.versions import cache_get, cache_set

ESTIMATE_FROM = 20_000
CACHE_FROM = 5_000
CACHE_SECONDS = 60


def _estimated_or_exact(queryset: QuerySet) -> int:
    """The table's row estimate if it is at least ``ESTIMATE_FROM``, else its exact count, in one query
    (the count is an InitPlan PostgreSQL runs only if the CASE needs it; reltuples is -1 before the first
    ANALYZE)."""
    connection = connections[queryset.db]
    table = queryset.model._meta.db_table
    with connection.cursor() as cursor:
        quoted = connection.ops.quote_name(table)  # the model's own table name, never input
        sql = "SELECT CASE WHEN c.reltuples >= %s THEN c.reltuples::bigint ELSE ({count}) END " + (
            "FROM pg_class c WHERE c.oid = to_regclass(%s)"
        )
        sql = sql.replace("{count}", "SELECT COUNT(*) FROM " + quoted)  # noqa: S608
        cursor.execute(sql, [ESTIMATE_FROM, quoted])
        row = cursor.fetchone()
    return int(row[0]) if row else queryset.count()


def _is_unfiltered(queryset: QuerySet) -> bool:
    query = queryset.query
    return not query.where and not query.distinct and not query.combinator and not query.is_sliced


def fast_count(queryset) -> int:
    """The number of rows ``queryset`` holds, estimated or cached as the module's docstring says."""
    if not isinstance(queryset, QuerySet):
        return len(queryset)
    if connections[queryset.db].vendor != "postgresql":
        return queryset.count()
    if _is_unfiltered(queryset):
        return _estimated_or_exact(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (``none()``, ``pk__in=[]``): no query to run
        return 0
    digest = hashlib.sha256(repr((queryset.db, sql, params)).encode()).hexdigest()
    key = f"count:{queryset.model._meta.label_lower}:{digest}"
    cached = cache_get(cache, key)
    if cached is not None:
        return cached
    count = queryset.count()
    if count >= CACHE_FROM:
        cache_set(cache, key, count, CACHE_SECONDS)
    return count


class EstimatedCountPaginator(Paginator):
    """Django's paginator with ``fast_count`` for its count (the admin's ``paginator`` and the API's)."""

    @cached_property
    def count(self) -> int:
        return fast_count(self.object_list)


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = EstimatedCountPaginator
    page_size_query_param = "page_size"
    max_page_size = 200
