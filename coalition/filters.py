"""Filtering for the API: a yes/no filter that rejects what it cannot read.

django-filter reads an unknown value of a boolean filter (``?attended=maybe``) as "no filter" and
answers the whole list, which hides a typo from the client. Here such a value answers 400 with a
message, like every other invalid filter value.
"""

from django import forms
from django.db import models
from django_filters import rest_framework as drf_filters
from django_filters.widgets import BooleanWidget

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
