"""Advocacy campaigns, their targets and stages, events and participants.

Business rules live in ``services/`` (writes) and ``selectors.py`` (reads); models hold fields,
constraints and small single-object helpers.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalition.models import StateChange, TimeStampedModel
from members.models import Commitment, Contact, Engagement, Organisation


class Campaign(TimeStampedModel):
    """An advocacy push with an objective and a deadline, and optionally an ask expressed as a commitment.

    When the ask is set, a target that records a commitment satisfying it moves to "committed" on its own
    (see ``services.targets_answer_commitment``), so success can be read from the data.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200, unique=True)
    objective = models.TextField(help_text="What the campaign wants its targets to do.")
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_campaigns",
    )
    start_date = models.DateField()
    deadline = models.DateField()

    # The ask, as a commitment: what a target must record for the campaign to count it as committed.
    ask_kind = models.CharField(
        "ask: kind of target", max_length=24, choices=Commitment.Kind.choices, blank=True
    )
    ask_min_status = models.CharField(
        "ask: minimum status",
        max_length=24,
        choices=Commitment.Status.choices,
        blank=True,
        help_text="The commitment must be at least this strong (proposed < pledge < policy < NDC < law…).",
    )
    ask_target_year = models.PositiveSmallIntegerField(
        "ask: by target year",
        null=True,
        blank=True,
        help_text="The target year must be this year or earlier.",
    )
    ask_in_ndc = models.BooleanField(
        "ask: must be in the NDC",
        default=False,
        help_text="The commitment's status must be 'In NDC' or stronger.",
    )

    class Meta:
        ordering = ["-deadline", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=F("start_date")),
                name="campaign_deadline_not_before_start",
                violation_error_message="The deadline must not be before the start date.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_ask(self) -> bool:
        return bool(self.ask_kind)

    def ask_display(self) -> str:
        if not self.ask_kind:
            return ""
        parts = [self.get_ask_kind_display()]
        if self.ask_target_year:
            parts.append(f"by {self.ask_target_year}")
        if self.ask_min_status:
            status = self.get_ask_min_status_display()
            parts.append(f"at least {status[:1].lower()}{status[1:]}")
        if self.ask_in_ndc:
            parts.append("in the NDC")
        return ", ".join(parts)


class Target(TimeStampedModel):
    """An organisation (member or not) a campaign is working on, and where it stands."""

    class Stage(models.TextChoices):
        IDENTIFIED = "identified", "Identified"
        CONTACTED = "contacted", "Contacted"
        ENGAGED = "engaged", "Engaged"
        COMMITTED = "committed", "Committed"
        DECLINED = "declined", "Declined"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="campaign_targets")
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.IDENTIFIED, db_index=True)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaign_targets",
    )
    next_action = models.CharField(max_length=300, blank=True)
    next_action_due = models.DateField("next action due", null=True, blank=True, db_index=True)
    notes = models.TextField(blank=True)
    # The commitment that answered the campaign's ask, when there is one.
    commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaign_targets"
    )

    class Meta:
        ordering = ["campaign", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organisation"],
                name="one_target_per_organisation_per_campaign",
                violation_error_message="This organisation is already a target of this campaign.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_stage_display()}) – {self.campaign}"


class TargetStageChange(StateChange):
    """Who moved a target from one stage to another, and when. The first row records the target's addition."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=10, choices=Target.Stage.choices, blank=True)
    to_stage = models.CharField(max_length=10, choices=Target.Stage.choices)
    commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.from_stage or '–'} → {self.to_stage}"


class CampaignAction(TimeStampedModel):
    """An engagement logged against a campaign target; it also joins the organisation's history."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="actions")
    engagement = models.OneToOneField(Engagement, on_delete=models.CASCADE, related_name="campaign_action")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-engagement__occurred_at"]

    def __str__(self) -> str:
        return str(self.engagement)


class Event(TimeStampedModel):
    class Kind(models.TextChoices):
        SIDE_EVENT = "side_event", _("Summit side event")
        WEBINAR = "webinar", _("Webinar")
        ROUNDTABLE = "roundtable", _("Roundtable")
        CONFERENCE = "conference", _("Conference")
        WORKSHOP = "workshop", _("Workshop")
        BRIEFING = "briefing", _("Briefing")
        OTHER = "other", _("Other")

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, db_index=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    location = models.CharField("place", max_length=300, blank=True)
    online_url = models.URLField("online link", max_length=500, blank=True)
    description = models.TextField(blank=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")),
                name="event_ends_after_it_starts",
                violation_error_message="The end must not be before the start.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%d %b %Y})"


class EventParticipant(TimeStampedModel):
    class Role(models.TextChoices):
        SPEAKER = "speaker", _("Speaker")
        PANELLIST = "panellist", _("Panellist")
        ATTENDEE = "attendee", _("Attendee")
        ORGANISER = "organiser", _("Organiser")

    class Response(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    SPEAKING_ROLES = (Role.SPEAKER, Role.PANELLIST)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="event_participations"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="event_participations"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ATTENDEE)
    response = models.CharField(
        max_length=10, choices=Response.choices, default=Response.INVITED, db_index=True
    )
    invited_at = models.DateTimeField(
        null=True, blank=True, help_text="When the invitation email was queued."
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(default=False)
    # The engagement that attendance added to the organisation's history (once).
    engagement = models.OneToOneField(
        Engagement, on_delete=models.SET_NULL, null=True, blank=True, related_name="event_participation"
    )

    class Meta:
        ordering = ["event", "organisation__name"]
        constraints = [
            # Two partial constraints rather than nulls_distinct=False, which SQLite (the embedded default)
            # does not support: "no contact" counts as one participant per organisation.
            models.UniqueConstraint(
                fields=["event", "organisation", "contact"],
                condition=Q(contact__isnull=False),
                name="one_participation_per_event_organisation_contact",
                violation_error_message="This organisation and contact already take part in this event.",
            ),
            models.UniqueConstraint(
                fields=["event", "organisation"],
                condition=Q(contact__isnull=True),
                name="one_participation_per_event_organisation_without_contact",
                violation_error_message="This organisation already takes part in this event.",
            ),
        ]

    def __str__(self) -> str:
        who = f"{self.contact.name}, {self.organisation}" if self.contact_id else str(self.organisation)
        return f"{who} – {self.get_role_display()}"
