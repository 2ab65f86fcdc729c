"""Merging organisations keeps subscriptions linked to the people they belong to."""

import pytest

from members.duplicates.services import organisations_merge
from members.models import Contact
from newsletters.models import Subscriber
from tests.members.factories import ContactFactory, OrganisationFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_a_subscriber_of_a_folded_contact_ends_up_linked_to_the_kept_contact(admin_user):
    keep = OrganisationFactory(name="Climeworks AG", website="https://climeworks.com")
    gone = OrganisationFactory(name="Climeworks", website="https://www.climeworks.com/")
    kept_contact = ContactFactory(organisation=keep, email="jan@climeworks.example")
    folded = ContactFactory(organisation=gone, email="jan@climeworks.example")
    moved = ContactFactory(organisation=gone, email="eva@climeworks.example")
    jan = SubscriberFactory(email="jan@climeworks.example", contact=folded)
    eva = SubscriberFactory(email="eva@climeworks.example", contact=moved)

    summary = organisations_merge(keep=keep, gone=gone, by=admin_user)

    assert summary.contacts_merged == 1 and summary.contacts_moved == 1
    assert not Contact.objects.filter(pk=folded.pk).exists()
    jan.refresh_from_db()
    eva.refresh_from_db()
    assert jan.contact == kept_contact
    # A contact that moved (no twin at the kept organisation) keeps its subscriber, now at ``keep``.
    assert eva.contact == moved and eva.contact.organisation == keep
    assert Subscriber.objects.filter(contact__organisation=keep).count() == 2
