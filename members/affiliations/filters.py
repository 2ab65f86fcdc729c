"""django-filter FilterSets for the affiliations API."""

import django_filters

from coalition.filters import FilterSet, StrictBooleanFilter
from members.models import Affiliation


class AffiliationFilter(FilterSet):
    role = django_filters.MultipleChoiceFilter(choices=Affiliation.Role.choices)
    is_current = StrictBooleanFilter(field_name="end_on", lookup_expr="isnull", help_text="Not ended.")

    class Meta:
        model = Affiliation
        fields = ["contact", "organisation", "role", "is_primary", "is_current"]
