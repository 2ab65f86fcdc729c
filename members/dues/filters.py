"""django-filter FilterSets for the dues API."""

import django_filters

from coalition.filters import FilterSet
from members.models import Invoice


class InvoiceFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Invoice.Status.choices)

    class Meta:
        model = Invoice
        fields = ["organisation", "membership", "status", "currency"]
