"""django-filter FilterSets for the campaigns API."""

from campaigns.models import Campaign, Event, EventParticipant, Target
from coalition.filters import FilterSet
from members.filters import UtcIsoDateTimeFilter


class CampaignFilter(FilterSet):
    class Meta:
        model = Campaign
        fields = ["status", "owner"]


class TargetFilter(FilterSet):
    class Meta:
        model = Target
        fields = ["campaign", "stage", "organisation", "owner"]


class EventFilter(FilterSet):
    # UTC first: PostgreSQL refuses offsets Python accepts, and a 500 is no answer to an odd query string.
    starts_after = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["kind", "campaign"]


class ParticipantFilter(FilterSet):
    class Meta:
        model = EventParticipant
        fields = ["event", "organisation", "role", "response", "attended"]
