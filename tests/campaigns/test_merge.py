import pytest
from django.db import transaction

from campaigns.models import CampaignAction, EventParticipant, Target
from coalition import hooks
from members.models import Engagement
from tests.members.factories import OrganisationFactory

from .factories import CampaignFactory, EventFactory, ParticipantFactory, TargetFactory

pytestmark = pytest.mark.django_db


def _merge(keep, gone):
    """What a members merge service does: move its own rows, run the hook, then delete the duplicate."""
    with transaction.atomic():
        Engagement.objects.filter(organisation=gone).update(organisation=keep)
        hooks.run("organisations_merged", keep=keep, gone=gone)
        gone.delete()


def test_targets_and_participations_follow_a_merged_organisation(staff_user):
    from campaigns import services

    keep, gone = OrganisationFactory(name="World Resources Institute"), OrganisationFactory(name="WRI")
    shared, only_gone = CampaignFactory(), CampaignFactory()
    kept_target = TargetFactory(campaign=shared, organisation=keep)
    gone_target = services.target_add(campaign=shared, organisation=gone, by=staff_user)
    services.target_log_action(target=gone_target, kind=Engagement.Kind.CALL, summary="Call", by=staff_user)
    TargetFactory(campaign=only_gone, organisation=gone, stage=Target.Stage.ENGAGED)
    event = EventFactory()
    participant = ParticipantFactory(event=event, organisation=gone, contact=None)
    services.participant_mark_attended(participant=participant)

    _merge(keep, gone)

    assert Target.objects.filter(organisation=keep).count() == 2
    assert only_gone.targets.get().stage == Target.Stage.ENGAGED
    assert kept_target.stage_changes.count() == 1 and CampaignAction.objects.get().target == kept_target
    moved = EventParticipant.objects.get()
    assert moved.organisation == keep and moved.attended and moved.engagement is not None


def test_the_event_history_of_a_contact_folded_in_a_real_merge_is_kept(admin_user):
    from members.duplicates.services import organisations_merge
    from tests.members.factories import ContactFactory

    keep, gone = OrganisationFactory(name="World Resources Institute"), OrganisationFactory(name="WRI")
    kept_contact = ContactFactory(organisation=keep, email="ana@wri.example.org")
    folded_contact = ContactFactory(organisation=gone, email="ana@wri.example.org")
    event = EventFactory()
    ParticipantFactory(event=event, organisation=gone, contact=folded_contact, attended=True)

    organisations_merge(keep=keep, gone=gone, by=admin_user)

    participant = EventParticipant.objects.get()
    assert (participant.organisation, participant.contact, participant.attended) == (keep, kept_contact, True)
