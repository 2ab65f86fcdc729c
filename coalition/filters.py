"""Filtering for the API: a yes/no filter that rejects what it cannot read.

django-filter reads an unknown value of a boolean filter (``?attended=maybe``) as "no filter" and
answers the whole list, which hides a typo from the client. Here such a value answers 400 with a
message, like every other invalid filter value.
"""

from django import forms
from django.db import connections, models
from django_filters import rest_framework as drf_filters
from django_filters.widgets import BooleanWidget
from rest_framework import filters as rest_framework_filters

TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no"}


class StrictBooleanWidget(BooleanWidget):
    """true/false (also 1/0, yes/no) become booleans; anything else is kept as typed, to be rejected."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in TRUE_VALUES:
                return True
            if lowered in FALSE_VALUES:
                return False
            if lowered == "":
                return None
        return value


class StrictNullBooleanField(forms.NullBooleanField):
    def to_python(self, value):
        if value in (True, False, None):
            return value
        raise forms.ValidationError("Give true or false (or leave the filter out).", code="invalid_choice")


class StrictBooleanFilter(drf_filters.BooleanFilter):
    field_class = StrictNullBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", StrictBooleanWidget)
        super().__init__(*args, **kwargs)


class FilterSet(drf_filters.FilterSet):
    """The project's FilterSet: boolean model fields get the strict yes/no filter."""

    FILTER_DEFAULTS = {
        **drf_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class FilterBackend(drf_filters.DjangoFilterBackend):
    """Used for views that only name ``filterset_fields``."""

    filterset_base = FilterSet


class SearchFilter(rest_framework_filters.SearchFilter):
    """DRF's ``?search=``, each term matched field by field and the matches united, on PostgreSQL.

    DRF ORs one condition per search field into a single WHERE. When the fields span two tables
    (``organisation__name`` beside a contact's own ``name``), no index can serve that OR and PostgreSQL
    scans the whole table. Here each field is its own query (``UPPER(col) LIKE``, which the pg_trgm indexes
    on ``UPPER(col)`` serve, members/migrations/0004), their primary keys are UNIONed, and the list keeps
    the rows whose key is in the union: the same rows (terms ANDed, fields ORed, no duplicates), each part
    from an index. Elsewhere (SQLite) DRF's own filter runs.
    """

    def filter_queryset(self, request, queryset, view):
        search_fields = self.get_search_fields(view, request)
        search_terms = self.get_search_terms(request)
        if not search_fields or not search_terms or connections[queryset.db].vendor != "postgresql":
            return super().filter_queryset(request, queryset, view)
        manager = queryset.model._default_manager
        for term in search_terms:
            parts = [
                manager.filter(**{self.construct_search(str(field), queryset): term}).order_by().values("pk")
                for field in search_fields
            ]
            matches = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
            queryset = queryset.filter(pk__in=matches)
        return queryset
