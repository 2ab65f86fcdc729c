"""Counting a page's list: exact for small tables and narrow filters, the planner's estimate for a big
unfiltered table, and a broad filter's count kept for a minute."""

import pytest
from django.db import connection

from coalition import pagination
from members.models import Organisation
from tests.members.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_a_small_table_is_counted_exactly(django_assert_num_queries):
    OrganisationFactory.create_batch(3)
    with django_assert_num_queries(1):
        assert pagination.fast_count(Organisation.objects.all()) == 3


def test_a_big_unfiltered_table_shows_the_planners_estimate_without_counting(monkeypatch):
    OrganisationFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_organisation")
    monkeypatch.setattr(pagination, "ESTIMATE_FROM", 1)
    OrganisationFactory.create_batch(2)  # not yet seen by ANALYZE: the estimate lags, as it may
    assert pagination.fast_count(Organisation.objects.all()) == 5


def test_a_broad_filters_count_is_kept_for_a_minute_and_a_narrow_ones_is_not(monkeypatch):
    monkeypatch.setattr(pagination, "CACHE_FROM", 3)
    OrganisationFactory.create_batch(3, kind="company")
    OrganisationFactory.create_batch(2, kind="ngo")
    companies, ngos = Organisation.objects.filter(kind="company"), Organisation.objects.filter(kind="ngo")
    assert pagination.fast_count(companies) == 3
    assert pagination.fast_count(ngos) == 2
    OrganisationFactory(kind="company")
    OrganisationFactory(kind="ngo")
    assert pagination.fast_count(companies) == 3  # from the cache
    assert pagination.fast_count(ngos) == 3  # counted again


def test_the_api_pages_with_the_counting_paginator(staff_api):
    OrganisationFactory.create_batch(3)
    response = staff_api.get("/api/v1/organisations/?page_size=2")
    assert response.json()["count"] == 3
    assert len(response.json()["results"]) == 2
