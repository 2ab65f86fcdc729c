"""Organisations and countries, contacts, membership tiers and memberships, climate commitments,
engagement history and membership enquiries.

Business rules live in ``services.py`` (writes) and ``selectors.py`` (reads); models hold fields,
constraints and small single-object helpers.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from coalition.models import TimeStampedModel


def _change_reason_field() -> models.TextField:
    """History's change reason as text: it carries staff-written reasons (up to 300 characters, such as a
    suspension's or an override's), which simple-history's default 100-character column refused with a 500."""
    return models.TextField(null=True)


def website_domain(url: str) -> str:
    """The bare host of a website, lower-case and without ``www.``: the key for matching organisations."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    host = host.lower().rstrip(".")
    return host.removeprefix("www.")


class Organisation(TimeStampedModel):
    class Kind(models.TextChoices):
        COUNTRY = "country", "Country"
        REGION = "region", "Region or state"
        CITY = "city", "City"
        COMPANY = "company", "Company"
        NGO = "ngo", "NGO"
        RESEARCH = "research", "Research body"
        INTERGOVERNMENTAL = "intergovernmental", "Intergovernmental body"
        INVESTOR = "investor", "Investor"
        OTHER = "other", "Other"

    class Sector(models.TextChoices):
        ENERGY = "energy", "Energy"
        AVIATION = "aviation", "Aviation"
        HEAVY_INDUSTRY = "heavy_industry", "Heavy industry"
        AGRICULTURE_LAND = "agriculture_land", "Agriculture and land"
        TECHNOLOGY = "technology", "Technology"
        FINANCE = "finance", "Finance"
        MANUFACTURING = "manufacturing", "Manufacturing"
        PUBLIC_SECTOR = "public_sector", "Public sector"
        CIVIL_SOCIETY = "civil_society", "Civil society"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    country = CountryField(blank=True, db_index=True)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True, db_index=True)
    website = models.URLField(max_length=300, blank=True)
    # Derived from ``website`` so matching and search by domain use an index.
    website_domain = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    description = models.TextField(blank=True)
    listed_publicly = models.BooleanField(
        default=False, help_text="The organisation agreed to appear in the public member directory."
    )
    history = HistoricalRecords(history_change_reason_field=_change_reason_field())

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country"],
                condition=Q(kind="country"),
                name="one_record_per_country",
                violation_error_message="There is already a record for this country.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="country") | ~Q(country=""),
                name="country_record_has_country_code",
                violation_error_message="A country record needs its ISO 3166 country code.",
            ),
        ]
        indexes = [
            # The spreadsheet import matches organisations by name in any case (members.imports.resources):
            # without this, each chunk of rows scanned the whole table, and a large import slowed as it went.
            models.Index(Lower(Trim("name")), name="org_name_normalised"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.set_derived_fields()
        super().save(*args, **kwargs)

    def set_derived_fields(self) -> None:
        """What ``save`` derives from other fields; bulk writes, which skip ``save``, call it themselves."""
        self.website_domain = website_domain(self.website)


class Contact(TimeStampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="contact_email_lower_case",
                violation_error_message="Contact emails are stored in lower case.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=~Q(email=""),
                name="contact_email_unique_per_organisation",
                violation_error_message="This organisation already has a contact with this email.",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(is_primary=True),
                name="one_primary_contact_per_organisation",
                violation_error_message="This organisation already has a primary contact.",
            ),
        ]
        indexes = [models.Index(fields=["email"], name="contact_email_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    def save(self, *args, **kwargs):
        self.set_derived_fields()
        super().save(*args, **kwargs)

    def set_derived_fields(self) -> None:
        """What ``save`` normalises; bulk writes, which skip ``save``, call it themselves."""
        self.email = (self.email or "").strip().lower()


class MembershipTier(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    annual_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    # None: open-ended membership (no end date, never lapses by date).
    period_months = models.PositiveSmallIntegerField(null=True, blank=True, default=12)
    grace_days = models.PositiveSmallIntegerField(default=30)
    # New memberships of this tier start active on approval unless this is set (e.g. fee first).
    starts_pending = models.BooleanField(default=False)
    open_to_applicants = models.BooleanField(default=True, help_text="Offered on the public join form.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        GRACE = "grace", "Grace period"
        LAPSED = "lapsed", "Lapsed"
        SUSPENDED = "suspended", "Suspended"
        WITHDRAWN = "withdrawn", "Withdrawn"

    CURRENT_STATUSES = (Status.PENDING, Status.ACTIVE, Status.GRACE, Status.SUSPENDED)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    tier = models.ForeignKey(MembershipTier, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    joined_on = models.DateField(help_text="When the organisation first joined.")
    start_date = models.DateField(help_text="Start of the current period.")
    end_date = models.DateField(
        null=True, blank=True, help_text="End of the current period; empty if open-ended."
    )
    status_override = models.BooleanField(
        default=False, help_text="Freeze the status: the daily recomputation leaves it alone."
    )
    override_reason = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords(history_change_reason_field=_change_reason_field())

    class Meta:
        ordering = ["organisation__name", "-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status__in=["pending", "active", "grace", "suspended"]),
                name="one_current_membership_per_organisation",
                violation_error_message="This organisation already has a current membership.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_ends_after_it_starts",
                violation_error_message="The end date must not be before the start date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.tier} ({self.get_status_display()})"

    @property
    def is_current(self) -> bool:
        return self.status in self.CURRENT_STATUSES


class Commitment(TimeStampedModel):
    """A climate target, with the Net Zero Tracker's fields. Revisions are kept in ``history``."""

    class Kind(models.TextChoices):
        NET_ZERO = "net_zero", "Net zero"
        NET_NEGATIVE = "net_negative", "Net negative"
        CARBON_NEUTRAL = "carbon_neutral", "Carbon neutral"
        CLIMATE_NEUTRAL = "climate_neutral", "Climate neutral"
        GHG_NEUTRAL = "ghg_neutral", "GHG neutral"
        EMISSIONS_REDUCTION = "emissions_reduction", "Emissions reduction"
        INTENSITY_REDUCTION = "intensity_reduction", "Intensity reduction"
        REMOVAL_TARGET = "removal_target", "Removal target"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed / under discussion"
        PLEDGE = "pledge", "Declaration / pledge"
        POLICY_DOCUMENT = "policy_document", "In policy document"
        NDC = "ndc", "In NDC"
        LAW = "law", "In law"
        ACHIEVED_SELF_DECLARED = "achieved_self_declared", "Achieved (self-declared)"
        ACHIEVED_VERIFIED = "achieved_verified", "Achieved (verified)"

    # Strength order, weakest first: "a stronger status" means a later position.
    STATUS_ORDER = [s.value for s in Status]

    # The fields that describe a target, in the order people read them (API, import and export).
    TARGET_FIELDS = (
        "kind", "title", "target_year", "reduction_percent", "baseline_year", "baseline_emissions_mtco2e",
        "status", "gases", "scope", "uses_removals", "uses_offsets", "is_interim", "announced_on",
        "source_url", "notes",
    )  # fmt: skip

    class Gases(models.TextChoices):
        CO2 = "co2", "CO₂ only"
        ALL_GHG = "all_ghg", "All greenhouse gases"
        SOME_GHG = "some_ghg", "Some greenhouse gases"
        UNKNOWN = "unknown", "Not specified"

    class Scope(models.TextChoices):
        ECONOMY_WIDE = "economy_wide", "Economy-wide"
        PARTIAL = "partial", "Some sectors"
        SCOPE_1_2 = "scope_1_2", "Scopes 1 and 2"
        SCOPE_1_2_3 = "scope_1_2_3", "Scopes 1, 2 and 3"
        UNKNOWN = "unknown", "Not specified"

    class Usage(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        UNKNOWN = "unknown", "Not specified"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="commitments")
    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    title = models.CharField(max_length=200, blank=True, help_text="How the target is usually stated.")
    target_year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    reduction_percent = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="May exceed 100 for net-negative targets.",
    )
    baseline_year = models.PositiveSmallIntegerField(null=True, blank=True)
    baseline_emissions_mtco2e = models.DecimalField(
        "baseline emissions (MtCO₂e)", max_digits=12, decimal_places=3, null=True, blank=True
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PLEDGE, db_index=True)
    gases = models.CharField(max_length=10, choices=Gases.choices, default=Gases.UNKNOWN)
    scope = models.CharField(max_length=14, choices=Scope.choices, default=Scope.UNKNOWN)
    uses_removals = models.CharField(max_length=7, choices=Usage.choices, default=Usage.UNKNOWN)
    uses_offsets = models.CharField(max_length=7, choices=Usage.choices, default=Usage.UNKNOWN)
    is_interim = models.BooleanField(default=False, help_text="An interim target on the way to a final one.")
    announced_on = models.DateField(null=True, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords(history_change_reason_field=_change_reason_field())

    class Meta:
        ordering = ["organisation__name", "target_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reduction_percent__isnull=True)
                | (Q(reduction_percent__gte=0) & Q(reduction_percent__lte=200)),
                name="commitment_reduction_percent_0_200",
                violation_error_message="The reduction must be between 0 and 200 percent.",
            ),
            models.CheckConstraint(
                condition=Q(target_year__isnull=True)
                | Q(baseline_year__isnull=True)
                | Q(target_year__gt=models.F("baseline_year")),
                name="commitment_target_after_baseline",
                violation_error_message="The target year must come after the baseline year.",
            ),
            models.CheckConstraint(
                condition=Q(target_year__isnull=True) | (Q(target_year__gte=1990) & Q(target_year__lte=2100)),
                name="commitment_target_year_range",
                violation_error_message="The target year must be between 1990 and 2100.",
            ),
        ]

    def __str__(self) -> str:
        year = f" by {self.target_year}" if self.target_year else ""
        return f"{self.organisation}: {self.get_kind_display()}{year}"


class Engagement(TimeStampedModel):
    """One entry in an organisation's history."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"
        EVENT_ATTENDANCE = "event_attendance", "Event attendance"
        SPEAKING_SLOT = "speaking_slot", "Speaking slot"
        ENDORSEMENT = "endorsement", "Endorsement"
        JOINED = "joined", "Joined"
        NOTE = "note", "Note"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="engagements")
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    summary = models.CharField(max_length=300)
    details = models.TextField(blank=True)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="engagements")
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="engagements")

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class Enquiry(TimeStampedModel):
    """A request to join, from the public form or the API, through the review pipeline."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        UNDER_REVIEW = "under_review", "Under review"
        AWAITING_INFORMATION = "awaiting_information", "Awaiting information"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SPAM = "spam", "Spam"

    OPEN_STATUSES = (Status.RECEIVED, Status.UNDER_REVIEW, Status.AWAITING_INFORMATION)

    class Source(models.TextChoices):
        FORM = "form", "Public form"
        API = "api", "API"

    status = models.CharField(max_length=24, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FORM)
    organisation_name = models.CharField(max_length=200)
    organisation_kind = models.CharField(max_length=20, choices=Organisation.Kind.choices)
    country = CountryField(blank=True)
    website = models.URLField(max_length=300, blank=True)
    contact_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, db_index=True)
    job_title = models.CharField(max_length=200, blank=True)
    motivation = models.TextField(max_length=5000)
    # What the applicant wrote for the public directory (optional). The motivation is staff-only and is
    # never published: approval uses this or nothing.
    public_description = models.TextField(max_length=2000, blank=True)
    intended_commitments = models.TextField(max_length=5000, blank=True)
    target_kind = models.CharField(max_length=24, choices=Commitment.Kind.choices, blank=True)
    target_year = models.PositiveSmallIntegerField(null=True, blank=True)
    requested_tier = models.ForeignKey(
        MembershipTier, on_delete=models.SET_NULL, null=True, blank=True, related_name="enquiries"
    )
    consent_to_contact = models.BooleanField()
    wants_updates = models.BooleanField(default=False)
    list_publicly = models.BooleanField(
        default=False,
        help_text="The applicant agreed to be listed in the public member directory once accepted.",
    )

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_enquiries",
    )
    # Suggested by duplicate detection on submission; staff choose to link these or create new records.
    suggested_organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    suggested_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Filled on approval.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="enquiries"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="enquiries"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    information_request = models.TextField(blank=True, help_text="What the secretariat asked the applicant.")
    applicant_reply = models.TextField(blank=True)
    decline_reason = models.TextField(blank=True)
    submitted_ip = models.GenericIPAddressField(null=True, blank=True)
    last_activity_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "enquiries"
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_to_contact=True),
                name="enquiry_has_consent",
                violation_error_message="Consent to be contacted is required.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class EnquiryTransition(models.Model):
    """Who moved an enquiry from one stage to another, and when."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=24, choices=Enquiry.Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Enquiry.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    by_applicant = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '–'} → {self.to_status}"


class EnquiryNote(TimeStampedModel):
    """An internal note on an enquiry: never shown to the applicant."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    body = models.TextField(max_length=5000)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class ImportJob(TimeStampedModel):
    """One uploaded spreadsheet, previewed (dry run) and then imported, row by row, in chunks.

    ``processed_rows`` is committed with each chunk's rows, so it is both the progress bar and the point a
    re-delivered task resumes from. Row errors are kept as ``[{"row", "field", "message"}]``.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    resource = models.CharField(max_length=50, help_text="Name of the importable resource.")
    format = models.CharField(max_length=4, choices=Format.choices)
    dry_run = models.BooleanField(default=True, help_text="A preview: nothing is written.")

    class Mode(models.TextChoices):
        SKIP = "skip", "Skip records that already exist"
        FILL = "fill", "Fill empty fields only"
        OVERWRITE = "overwrite", "Overwrite with the file's values"

    mode = models.CharField(
        max_length=10,
        choices=Mode.choices,
        default=Mode.FILL,
        help_text="How a row that matches an existing record is treated.",
    )
    clear_blanks = models.BooleanField(
        default=False, help_text="With overwrite: a blank cell clears the field (otherwise it is left alone)."
    )
    reverted_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # What the first rows will do (or did): [{"row", "action", "record"}], for the preview table.
    preview = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True, help_text="Why the whole job stopped, if it did.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resource} import {self.original_name or self.file.name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)
