"""Country filters for the API that read a country the way the imports do: alpha-2 (``DK``), alpha-3
(``DNK``) or name (``Denmark``, ``Danmark``), in any case (``members.climate.countries``)."""

from __future__ import annotations

import copy

import django_filters
from django_countries import countries
from django_filters import fields as filter_fields

from coalition.filters import FilterSet
from members.climate.countries import country_code
from members.models import NdcSubmission


class _SharedChoices:
    """A choice field whose choices (every country) are shared, not deep-copied, when a form copies its
    fields: a filter form is built on every API list request, filtered or not, and deep-copying some 250
    country tuples twice cost more than the rest of the filtering. The choices are never changed in place.
    """

    def __deepcopy__(self, memo):
        result = copy.copy(self)
        memo[id(self)] = result
        result.widget = copy.deepcopy(self.widget, memo)
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result


class CountryCodeField(_SharedChoices, filter_fields.ChoiceField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs["choices"] = list(countries)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        return country_code(text) or text


class CountryCodesField(_SharedChoices, filter_fields.MultipleChoiceField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs["choices"] = list(countries)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return [country_code(v) or v for v in super().to_python(value)]


HELP = "ISO 3166 alpha-2 or alpha-3 code, or country name."


class CountryFilter(django_filters.ChoiceFilter):
    field_class = CountryCodeField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("help_text", HELP)
        super().__init__(*args, **kwargs)


class CountriesFilter(django_filters.MultipleChoiceFilter):
    field_class = CountryCodesField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("help_text", HELP + " Repeat for several.")
        super().__init__(*args, **kwargs)


class NdcSubmissionFilter(FilterSet):
    country = CountryFilter(
        method="filter_country",
        help_text=HELP + " EU member states include the EU's submissions, which they carry.",
    )
    round = django_filters.MultipleChoiceFilter(choices=NdcSubmission.Round.choices)
    status = django_filters.MultipleChoiceFilter(choices=NdcSubmission.Status.choices)
    party_code = django_filters.CharFilter(lookup_expr="iexact", help_text="The registry's party code (EUU).")

    class Meta:
        model = NdcSubmission
        fields = ["country", "round", "status", "party_code", "organisation"]

    def filter_country(self, queryset, name: str, value: str):
        from members.climate.ndc import party_codes_for_country

        return queryset.filter(party_code__in=party_codes_for_country(value))
