import datetime

import factory
from django.utils import timezone

from campaigns.models import Campaign, Event, EventParticipant, Target
from members.models import Commitment
from tests.members.factories import ContactFactory, OrganisationFactory  # noqa: F401 - reused by tests


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Net-negative targets campaign {n}")
    objective = "Countries put net-negative targets into their NDCs."
    status = Campaign.Status.ACTIVE
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    deadline = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))


class AskingCampaignFactory(CampaignFactory):
    """A campaign asking for a net-negative target in the NDC by 2050."""

    ask_kind = Commitment.Kind.NET_NEGATIVE
    ask_min_status = Commitment.Status.NDC
    ask_target_year = 2050
    ask_in_ndc = True


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    campaign = factory.SubFactory(CampaignFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Negative emissions roundtable {n}")
    kind = Event.Kind.ROUNDTABLE
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + datetime.timedelta(days=14)).replace(second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + datetime.timedelta(hours=2))
    location = "Copenhagen"


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventParticipant

    event = factory.SubFactory(EventFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    contact = factory.SubFactory(ContactFactory, organisation=factory.SelfAttribute("..organisation"))
    role = EventParticipant.Role.ATTENDEE
