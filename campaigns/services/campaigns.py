"""Writing campaigns."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import Campaign

# --- Campaigns ---------------------------------------------------------------------------------------------

CAMPAIGN_FIELDS = (
    "name",
    "objective",
    "description",
    "status",
    "owner",
    "start_date",
    "deadline",
    "ask_kind",
    "ask_min_status",
    "ask_target_year",
    "ask_in_ndc",
)


def campaign_check(campaign: Campaign) -> None:
    """The rules of a campaign, checked before it is saved; admin forms and the API show these errors.

    The deadline rule is also the check constraint ``campaign_deadline_not_before_start``: the net for a
    write that skips this service. Reported here, it names its field.
    """
    errors: dict[str, list[str]] = {}
    if campaign.start_date and campaign.deadline and campaign.deadline < campaign.start_date:
        errors["deadline"] = ["The deadline must not be before the start date."]
    if not campaign.ask_kind and (campaign.ask_min_status or campaign.ask_target_year or campaign.ask_in_ndc):
        errors["ask_kind"] = [
            "Choose the kind of commitment the campaign asks for, or clear the other ask fields."
        ]
    if errors:
        raise ValidationError(errors)
    # The check constraint would repeat the deadline message without a field; it stays as the net.
    campaign.full_clean(validate_constraints=False)


@transaction.atomic
def campaign_create(**fields: Any) -> Campaign:
    campaign = Campaign(**fields)
    campaign_check(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, **fields: Any) -> Campaign:
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign_check(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign with its targets and their stage histories. Its events stay, without a campaign;
    actions logged on targets stay as engagements in the organisations' histories."""
    campaign.delete()
