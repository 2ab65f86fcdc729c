"""Topics, subscribers and their consent, newsletters, per-recipient deliveries, bounces and complaints.

Rules live in ``services.py`` (writes) and ``selectors.py`` (reads); the sending design is described in
``services.py`` next to ``newsletter_send``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from coalition.dates import secretariat_date
from coalition.models import TimeStampedModel, preferred_language_field
from members.matching import normalise_email
from members.models import Contact


class Topic(TimeStampedModel):
    """What subscribers choose to hear about; staff-managed, some offered on the public form."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    public = models.BooleanField(default=True, help_text="Offered on the public sign-up form.")
    default = models.BooleanField(
        default=False,
        help_text="Ticked by default on the form, and chosen when someone signs up without naming topics.",
    )
    sort_order = models.PositiveSmallIntegerField(default=0)
    # The name as the public pages show it in other languages: {"fr": "…", "es": "…"}.
    name_translations = models.JSONField(
        "name in other languages",
        blank=True,
        default=dict,
        help_text='By language code, e.g. {"fr": "Points d\'étape", "es": "Informes de avance"}.',
    )
    # The description the sign-up and preferences pages show under the name, and the confirmation email
    # repeats: {"fr": "…", "es": "…"}.
    description_translations = models.JSONField(
        "description in other languages",
        blank=True,
        default=dict,
        help_text="By language code, like the name.",
    )

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str | None) -> str:
        """The name a reader of ``language`` sees (the staff-written name where there is no translation)."""
        return (self.name_translations or {}).get(language or "") or self.name

    def description_in(self, language: str | None) -> str:
        """The description in ``language``, or the staff-written one where there is no translation."""
        return (self.description_translations or {}).get(language or "") or self.description


class ConsentWording(TimeStampedModel):
    """The sentence shown next to a sign-up, versioned: a consent record points at what the person read."""

    version = models.PositiveIntegerField(unique=True)
    text = models.TextField(help_text="In English, the default language.")
    # The same wording in the other languages of the public pages: {"fr": "...", "es": "..."}.
    translations = models.JSONField(
        blank=True,
        default=dict,
        help_text='The same sentence in other languages, by language code: {"fr": "…", "es": "…"}.',
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}: {self.text[:60]}"

    def text_in(self, language: str) -> str:
        """The wording a person reading ``language`` is shown (English where it has no translation)."""
        return (self.translations or {}).get(language) or self.text


class Subscriber(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")

    # Anyone not confirmed receives nothing; these three also need a fresh confirmation to come back.
    SUPPRESSED_STATUSES = (Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED)

    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscriptions"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="subscribers")
    # The identity behind signed links (preferences, unsubscribe); erasure deletes it with the row.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Set from the language of the sign-up form; newsletters go out in it where a version exists.
    preferred_language = preferred_language_field()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="subscriber_email_unique_any_case",
                violation_error_message="There is already a subscriber with this email.",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)


class ErasedAddress(models.Model):
    """That an address asked to be erased, without the address: a keyed hash of it (``digest``).

    Written by ``subscriber_erase``, so that staff cannot sign the person up again by importing or adding
    the address (``subscriptions.staff_signup_check``); the person's own sign-up is not refused, and once
    they confirm it the marker is deleted. The hash is an HMAC with ``SECRET_KEY``: the table alone does not
    tell whose address it was, nor can a list of addresses be tried against it without the key.
    """

    digest = models.CharField(max_length=64, unique=True, editable=False)
    erased_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["-erased_at"]
        verbose_name_plural = "erased addresses"

    def __str__(self) -> str:
        return f"An address erased on {secretariat_date(self.erased_at):%Y-%m-%d}"


class ConsentRecord(TimeStampedModel):
    """One request to subscribe: when, how, what the person was told, and (optionally) from where.

    ``confirmed_at`` is set when the person clicks the link in the confirmation email; the requested
    name and topics are applied to the subscriber only then, so nobody can change someone else's
    subscription by typing their address into the form.
    """

    class Method(models.TextChoices):
        FORM = "form", "Public form"
        API = "api", "API"
        ENQUIRY = "enquiry", "Membership enquiry"
        IMPORT = "import", "Import"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    method = models.CharField(max_length=8, choices=Method.choices)
    wording = models.ForeignKey(ConsentWording, on_delete=models.PROTECT, related_name="consents")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    requested_name = models.CharField(max_length=200, blank=True)
    requested_topics = models.ManyToManyField(Topic, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # What the person read, in the language they read it in (the wording version's text in that language).
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    wording_text = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        day = secretariat_date(self.created_at)
        return f"{self.get_method_display()} consent of {self.subscriber} ({day:%Y-%m-%d})"


class Newsletter(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"
        # Its scheduled time passed long ago (NEWSLETTER_MAX_LATENESS): waits for staff to send or
        # reschedule it.
        HELD = "held", "Held"

    EDITABLE_STATUSES = (Status.DRAFT, Status.SCHEDULED, Status.HELD)
    # What staff write and may change while the newsletter is editable: the service, the API and the admin
    # form all take this list.
    CONTENT_FIELDS = (
        "subject",
        "preheader",
        "body_markdown",
        "topics",
        "organisation_kinds",
        "organisation_countries",
    )

    class Kind(models.TextChoices):
        NEWSLETTER = "newsletter", "Newsletter"
        PROGRESS_UPDATE = "progress_update", "Progress update"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.NEWSLETTER)
    subject = models.CharField(max_length=200)
    preheader = models.CharField(
        max_length=200, blank=True, help_text="The line inboxes show after the subject."
    )
    body_markdown = models.TextField(
        "body", help_text="Markdown. Write {{ name }} where the subscriber's name should appear."
    )
    topics = models.ManyToManyField(
        Topic, related_name="newsletters", help_text="Sent to confirmed subscribers of any of these topics."
    )
    # Lists of codes, in JSON so the embedded SQLite default works too (an ArrayField would not).
    organisation_kinds = models.JSONField(
        blank=True,
        default=list,
        help_text=(
            "Optionally narrow to subscribers whose linked organisation is of these kinds "
            "(organisation kind codes)."
        ),
    )
    organisation_countries = models.JSONField(
        blank=True,
        default=list,
        help_text="Optionally narrow to subscribers whose linked organisation is in these countries "
        "(ISO codes, e.g. DK, GB).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Frozen when sending starts, with placeholders for each recipient's name and links.
    rendered_html = models.TextField(blank=True, editable=False)
    rendered_text = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period_start"],
                condition=Q(kind="progress_update"),
                name="one_progress_update_per_period",
                violation_error_message="There is already a progress update for this period.",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES


class NewsletterTranslation(TimeStampedModel):
    """The newsletter in another language. The newsletter's own subject, preheader and body are the
    default-language (English) version; a subscriber whose language has a version here receives it,
    everyone else the default (``newsletters.sending.rendering.newsletter_version``)."""

    CONTENT_FIELDS = ("subject", "preheader", "body_markdown")

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=200)
    preheader = models.CharField(max_length=200, blank=True)
    body_markdown = models.TextField("body", help_text="Markdown, as in the default version.")
    # Frozen when sending starts, like the newsletter's own.
    rendered_html = models.TextField(blank=True, editable=False)
    rendered_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["newsletter", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["newsletter", "language"],
                name="one_newsletter_version_per_language",
                violation_error_message="This newsletter already has a version in this language.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.newsletter_id} [{self.language}] {self.subject}"


class SendBatch(models.Model):
    """A contiguous range of one newsletter's delivery ids, handed to one batch task at a time.

    At most ``NEWSLETTER_PARALLEL_BATCHES`` are dispatched at once per newsletter, so a batch that has
    no heartbeat for ``NEWSLETTER_STALE_SECONDS`` belongs to a dead worker and the sweep dispatches it
    again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DISPATCHED = "dispatched", "Dispatched"
        DONE = "done", "Done"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    first_delivery_id = models.BigIntegerField()
    last_delivery_id = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["newsletter", "number"]
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "number"], name="send_batch_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.newsletter_id}#{self.number} ({self.status})"


class Delivery(models.Model):
    """One newsletter to one subscriber. The unique pair is what makes sending resumable and duplicate-free.

    Erasing a subscriber sets ``subscriber`` to null: the row stays so delivery counts are kept, with no
    personal data.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"  # left or was suppressed after the list was frozen
        CANCELLED = "cancelled", "Cancelled"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The version this subscriber receives, chosen when sending starts (their language, or the default).
    language = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "subscriber"], name="one_delivery_per_subscriber"),
        ]
        indexes = [
            models.Index(fields=["newsletter", "status"], name="delivery_newsletter_status_idx"),
            models.Index(
                fields=["status", "claimed_at"],
                condition=Q(status="sending"),
                name="delivery_sending_claimed_idx",
            ),
            # A batch re-reads its claim on every tick; without this it scans the newsletter's rows.
            models.Index(fields=["claim"], condition=Q(claim__isnull=False), name="delivery_claim_idx"),
            # A claim takes the first queued rows of a batch's id range: a range scan of this index that
            # stops at the claim size, where (newsletter, status) reads every queued row of the newsletter.
            models.Index(
                fields=["newsletter", "id"], condition=Q(status="queued"), name="delivery_queued_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.newsletter_id} → {self.subscriber_id} ({self.status})"

    @property
    def message_id(self) -> str:
        from newsletters.sending.rendering import delivery_message_id

        return delivery_message_id(newsletter_id=self.newsletter_id, delivery_id=self.pk)


class BounceEvent(TimeStampedModel):
    """A bounce or complaint reported by the email provider's tracking webhook."""

    class Kind(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SOFT_BOUNCE = "soft_bounce", "Soft bounce"
        COMPLAINT = "complaint", "Complaint"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="bounce_events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    provider = models.CharField(max_length=40)
    # The provider's event id, so a webhook retried by the provider is counted once.
    event_id = models.CharField(max_length=200, null=True, blank=True, unique=True)
    occurred_at = models.DateTimeField()
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.subscriber}"
