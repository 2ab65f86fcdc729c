"""Organisations and countries, contacts, membership tiers and memberships, climate commitments,
engagement history and membership enquiries.

Business rules live in ``services.py`` (writes) and ``selectors.py`` (reads); models hold fields,
constraints and small single-object helpers.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from coalition.models import StateChange, TimeStampedModel, preferred_language_field
from coalition.validators import one_line, validate_single_line
from members.matching import normalise_email, normalise_name, website_domain


def _change_reason_field() -> models.TextField:
    """History's change reason as text: it carries staff-written reasons (up to 300 characters, such as a
    suspension's or an override's), which simple-history's default 100-character column refused with a 500."""
    return models.TextField(null=True)


class OrganisationQuerySet(models.QuerySet):
    def in_good_standing(self):
        """Organisations that are members in good standing: see ``Membership.GOOD_STANDING_STATUSES``."""
        return self.filter(
            models.Exists(Membership.objects.in_good_standing().filter(organisation_id=models.OuterRef("pk")))
        )


class Organisation(TimeStampedModel):
    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        REGION = "region", _("Region or state")
        CITY = "city", _("City")
        COMPANY = "company", _("Company")
        NGO = "ngo", _("NGO")
        RESEARCH = "research", _("Research body")
        INTERGOVERNMENTAL = "intergovernmental", _("Intergovernmental body")
        INVESTOR = "investor", _("Investor")
        OTHER = "other", _("Other")

    class Sector(models.TextChoices):
        ENERGY = "energy", _("Energy")
        AVIATION = "aviation", _("Aviation")
        HEAVY_INDUSTRY = "heavy_industry", _("Heavy industry")
        AGRICULTURE_LAND = "agriculture_land", _("Agriculture and land")
        TECHNOLOGY = "technology", _("Technology")
        FINANCE = "finance", _("Finance")
        MANUFACTURING = "manufacturing", _("Manufacturing")
        PUBLIC_SECTOR = "public_sector", _("Public sector")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    country = CountryField(blank=True)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True)
    website = models.URLField(max_length=300, blank=True)
    # Derived from ``website`` so matching and search by domain use an index.
    website_domain = models.CharField(max_length=255, blank=True, editable=False)
    # Derived from ``name`` (``members.matching.normalise_name``): how enquiries, imports and duplicates
    # recognise the same organisation ("Acme Ltd." = "ACME Limited" = "acme").
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    description = models.TextField(blank=True)
    listed_publicly = models.BooleanField(
        default=False, help_text="The organisation agreed to appear in the public member directory."
    )
    # The body this one sits within: a city or region in its country, a member state in the EU, a subsidiary
    # in its group. Protected: a parent is not deleted from under its children.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # A listed company's ISIN: how the Net Zero Tracker import (members.climate.tracker) recognises it.
    isin = models.CharField("ISIN", max_length=12, blank=True)
    preferred_language = preferred_language_field()
    # The organisation's membership as lists show it: its current one, else the one that started last
    # (``selectors.memberships_newest_first``); None if it never had one. Denormalised so the lists, their
    # filter and their ordering read one indexed column instead of a correlated subquery per row. Written
    # only by ``services.organisation_membership_refresh``, which every membership service calls.
    current_membership = models.ForeignKey(
        "Membership", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    # That membership's status ("" if none), copied for the same reason: the status filter counts from an
    # index on this column alone. Kept with ``current_membership`` by the same service.
    membership_status = models.CharField(max_length=10, blank=True, default="", editable=False)
    history = HistoricalRecords(
        history_change_reason_field=_change_reason_field(),
        # Derived from the memberships (which keep their own history): not a revision of the organisation.
        excluded_fields=["current_membership", "membership_status"],
        # History is read by record (``id``), date, user and change reason only: an index on any other
        # column would cost every write (an import's history rows most of all) and serve no query.
        no_db_index=[
            "name",
            "kind",
            "country",
            "sector",
            "website_domain",
            "name_key",
            "isin",
            "parent",
            "created_at",
        ],
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        # Plain btree indexes, declared here rather than with ``db_index=True``: on PostgreSQL that would add
        # a second, ``varchar_pattern_ops`` index per column for prefix LIKE, which nothing runs (and the
        # C.UTF-8 collation lets the plain index serve anyway); every insert paid for both.
        indexes = [
            models.Index(fields=["name"], name="organisation_name"),
            models.Index(fields=["kind"], name="organisation_kind"),
            models.Index(fields=["country"], name="organisation_country"),
            models.Index(fields=["sector"], name="organisation_sector"),
            models.Index(fields=["website_domain"], name="organisation_website_domain"),
            models.Index(fields=["name_key"], name="organisation_name_key"),
            models.Index(fields=["isin"], name="organisation_isin"),
            models.Index(fields=["membership_status"], name="organisation_membership_status"),
            # A list filtered by kind and ordered by name (the ~250 countries among 100,000 organisations)
            # reads this index in order; without it PostgreSQL walks the name index through every one.
            models.Index(fields=["kind", "name"], name="organisation_kind_name"),
        ]
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

    def __str__(self) -> str:
        return self.name

    # Columns only ``services.organisation_membership_refresh`` writes (with an UPDATE).
    MEMBERSHIP_COLUMNS = ("current_membership", "membership_status")

    def save(self, *args, **kwargs):
        self.set_derived_fields()
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            # An instance loaded before a membership changed holds the old values: saving it must not
            # write them back over what the membership services set.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.MEMBERSHIP_COLUMNS
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The name on one line, as lists, exports and email subjects need it: a tab or a line break (a
        spreadsheet cell, a pasted address block) becomes a space; any other control character is refused.

        Every door cleans the record before writing it (the services, so the API; the admin's forms; the
        import's rows), so the rule is here once."""
        super().clean()
        self.name = one_line(self.name)
        _check_one_line(self, "name")

    def set_derived_fields(self) -> None:
        """What ``save`` derives from other fields; bulk writes, which skip ``save``, call it themselves."""
        self.website_domain = website_domain(self.website)
        self.name_key = normalise_name(self.name)


def _check_one_line(record: models.Model, field: str) -> None:
    """A field message if ``field`` holds a control character (NUL, escape, a line break…)."""
    try:
        validate_single_line(getattr(record, field))
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


class Contact(TimeStampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    is_primary = models.BooleanField(default=False)
    preferred_language = preferred_language_field()

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

    def clean(self) -> None:
        # A person's name goes into the To: header of their emails: a line break in it is refused at every
        # door (``coalition.validators``), the admin's included.
        super().clean()
        _check_one_line(self, "name")

    def set_derived_fields(self) -> None:
        """What ``save`` normalises; bulk writes, which skip ``save``, call it themselves."""
        self.email = normalise_email(self.email)


class MembershipTier(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # The amount of one period, whatever its length (the column keeps its first name, which the API shows).
    annual_fee = models.DecimalField(
        "fee per period",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=(
            "Invoiced once for each membership period, whatever its length: a 24-month tier invoices this "
            "amount every 24 months. Empty: no fee."
        ),
    )
    currency = models.CharField(max_length=3, default="EUR")
    # None: open-ended membership (no end date, never lapses by date).
    period_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=12,
        help_text="Length of one membership period, invoiced once at the fee per period. Empty: open-ended.",
    )
    grace_days = models.PositiveSmallIntegerField(default=30)
    # New memberships of this tier start active on approval unless this is set (e.g. fee first).
    starts_pending = models.BooleanField(default=False)
    open_to_applicants = models.BooleanField(default=True, help_text="Offered on the public join form.")
    sort_order = models.PositiveSmallIntegerField(default=0)
    # Renewal reminders, in days before the end date (empty: no such reminder); and one on entering grace.
    first_reminder_days = models.PositiveSmallIntegerField(null=True, blank=True, default=60)
    second_reminder_days = models.PositiveSmallIntegerField(null=True, blank=True, default=14)
    grace_reminder = models.BooleanField(default=True, help_text="Remind the member on entering grace.")
    fee_first = models.BooleanField(
        default=False,
        help_text="New memberships wait, pending, until their first invoice is paid in full.",
    )
    # The name as applicants and members read it in other languages (join form, welcome, invoices,
    # reminders): {"fr": "…", "es": "…"}, edited in the admin one box per language.
    name_translations = models.JSONField(
        "name in other languages",
        blank=True,
        default=dict,
        help_text='By language code, e.g. {"fr": "Membre", "es": "Miembro"}.',
    )

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str | None) -> str:
        """The name a reader of ``language`` sees (the staff-written name where there is no translation)."""
        return (self.name_translations or {}).get(language or "") or self.name


def _organisation_of(record) -> Organisation | str:
    """The organisation, or a label for one merged away (an old history entry still points at it)."""
    try:
        return record.organisation
    except Organisation.DoesNotExist:
        return f"Organisation #{record.organisation_id} (merged or deleted)"


class MembershipQuerySet(models.QuerySet):
    def in_good_standing(self):
        """Memberships whose organisation counts as a member: every figure, list and filter uses this."""
        return self.filter(status__in=Membership.GOOD_STANDING_STATUSES)

    def current(self):
        """The organisation's one current membership (at most one: a database constraint)."""
        return self.filter(status__in=Membership.CURRENT_STATUSES)


class Membership(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        GRACE = "grace", _("Grace period")
        LAPSED = "lapsed", _("Lapsed")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # The membership that is the organisation's present relation with the coalition (at most one).
    CURRENT_STATUSES = (Status.PENDING, Status.ACTIVE, Status.GRACE, Status.SUSPENDED)
    # A member in good standing: active, or in the grace period after the end date. Pending (not yet
    # started or not yet paid), suspended, lapsed and withdrawn memberships do not count as members on the
    # dashboard, the public pages or campaign filters.
    GOOD_STANDING_STATUSES = (Status.ACTIVE, Status.GRACE)

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

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "-start_date"]
        # The dashboard's "needs attention" (soonest end first) and the end-date filter read it in order.
        indexes = [models.Index(fields=["end_date"], name="membership_end_date")]
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
        return f"{_organisation_of(self)} – {self.tier} ({self.get_status_display()})"

    @property
    def is_current(self) -> bool:
        return self.status in self.CURRENT_STATUSES


class Commitment(TimeStampedModel):
    """A climate target, with the Net Zero Tracker's fields. Revisions are kept in ``history``."""

    class Kind(models.TextChoices):
        NET_ZERO = "net_zero", _("Net zero")
        NET_NEGATIVE = "net_negative", _("Net negative")
        CARBON_NEUTRAL = "carbon_neutral", _("Carbon neutral")
        CLIMATE_NEUTRAL = "climate_neutral", _("Climate neutral")
        GHG_NEUTRAL = "ghg_neutral", _("GHG neutral")
        EMISSIONS_REDUCTION = "emissions_reduction", _("Emissions reduction")
        INTENSITY_REDUCTION = "intensity_reduction", _("Intensity reduction")
        REMOVAL_TARGET = "removal_target", _("Removal target")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed / under discussion")
        PLEDGE = "pledge", _("Declaration / pledge")
        POLICY_DOCUMENT = "policy_document", _("In policy document")
        NDC = "ndc", _("In NDC")
        LAW = "law", _("In law")
        ACHIEVED_SELF_DECLARED = "achieved_self_declared", _("Achieved (self-declared)")
        ACHIEVED_VERIFIED = "achieved_verified", _("Achieved (verified)")

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
    kind = models.CharField(max_length=24, choices=Kind.choices)
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
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PLEDGE)
    gases = models.CharField(max_length=10, choices=Gases.choices, default=Gases.UNKNOWN)
    scope = models.CharField(max_length=14, choices=Scope.choices, default=Scope.UNKNOWN)
    uses_removals = models.CharField(max_length=7, choices=Usage.choices, default=Usage.UNKNOWN)
    uses_offsets = models.CharField(max_length=7, choices=Usage.choices, default=Usage.UNKNOWN)
    is_interim = models.BooleanField(default=False, help_text="An interim target on the way to a final one.")
    announced_on = models.DateField(null=True, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    notes = models.TextField(blank=True)

    # The Net Zero Tracker's integrity indicators (blank reads as not specified, so forms may leave them out).
    # Its "carbon credits" and "planning removals" are
    # ``uses_offsets`` and ``uses_removals`` above; the summary of all of them is members.climate.integrity.
    class Plan(models.TextChoices):
        YES = "yes", "Yes"
        PARTIAL = "partial", "Partial"
        NO = "no", "No"
        UNKNOWN = "unknown", "Not specified"

    class Reporting(models.TextChoices):
        ANNUAL = "annual", "Annual reporting"
        LESS_FREQUENT = "less_frequent", "Less than annual reporting"
        NONE = "none", "No reporting mechanism"
        UNKNOWN = "unknown", "Not specified"

    published_plan = models.CharField(max_length=8, choices=Plan.choices, default=Plan.UNKNOWN, blank=True)
    reporting_mechanism = models.CharField(
        max_length=14, choices=Reporting.choices, default=Reporting.UNKNOWN, blank=True
    )
    accountability = models.CharField(
        "accountability for delivery", max_length=8, choices=Plan.choices, default=Plan.UNKNOWN, blank=True
    )
    carbon_credit_conditions = models.TextField(blank=True)
    separate_removal_target = models.CharField(
        max_length=7, choices=Usage.choices, default=Usage.UNKNOWN, blank=True
    )
    covers_international_aviation = models.CharField(
        "covers international aviation",
        max_length=7,
        choices=Usage.choices,
        default=Usage.UNKNOWN,
        blank=True,
    )
    covers_international_shipping = models.CharField(
        "covers international shipping",
        max_length=7,
        choices=Usage.choices,
        default=Usage.UNKNOWN,
        blank=True,
    )
    covers_consumption_emissions = models.CharField(
        "covers consumption emissions", max_length=7, choices=Usage.choices, default=Usage.UNKNOWN, blank=True
    )
    status_date = models.DateField(null=True, blank=True, help_text="When the status was last confirmed.")
    source_identifier = models.CharField(
        max_length=100,
        blank=True,
        help_text="The outside source's key for this target: the Net Zero Tracker's ID_Code, end or interim.",
    )

    INTEGRITY_FIELDS = (
        "published_plan", "reporting_mechanism", "accountability", "carbon_credit_conditions",
        "separate_removal_target", "covers_international_aviation", "covers_international_shipping",
        "covers_consumption_emissions", "status_date", "source_identifier",
    )  # fmt: skip

    history = HistoricalRecords(
        history_change_reason_field=_change_reason_field(),
        # History is read by record (``id``), organisation and date: no index on the other columns.
        no_db_index=["kind", "status", "source_identifier", "target_year", "created_at"],
    )

    class Meta:
        ordering = ["organisation__name", "target_year"]
        # Plain btree indexes, declared here rather than with ``db_index=True`` (which on PostgreSQL adds an
        # unused ``varchar_pattern_ops`` twin per column): see ``Organisation.Meta``.
        indexes = [
            models.Index(fields=["kind"], name="commitment_kind"),
            models.Index(fields=["status"], name="commitment_status"),
            models.Index(fields=["source_identifier"], name="commitment_source_identifier"),
        ]
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
        return f"{_organisation_of(self)}: {self.get_kind_display()}{year}"


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
        RECEIVED = "received", _("Received")
        UNDER_REVIEW = "under_review", _("Under review")
        AWAITING_INFORMATION = "awaiting_information", _("Awaiting information")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        SPAM = "spam", _("Spam")

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
    # The language of the form they used (/fr/join/ → French): their emails go out in it.
    preferred_language = preferred_language_field()

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


class EnquiryTransition(StateChange):
    """Who moved an enquiry from one stage to another, and when."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=24, choices=Enquiry.Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Enquiry.Status.choices)
    by_applicant = models.BooleanField(default=False)

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
    # What staff should know about the file that is not a row error (rows the spreadsheet hides).
    notes = models.JSONField(default=list, blank=True)
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


# --- Relationships: people in organisations over time ---------------------------------------------------


class Affiliation(TimeStampedModel):
    """A person's dated link to an organisation: what they did there, from when to when.

    ``Contact.organisation`` is the person's current primary organisation; the affiliation services
    (``members.affiliations.services``) keep it in step. Focal-point roles are terms: one holder of each at a
    time per organisation, and ending a term keeps it in the history.
    """

    class Role(models.TextChoices):
        STAFF = "staff", "Staff"
        NATIONAL_FOCAL_POINT = "national_focal_point", "National focal point for the coalition"
        HEAD_OF_DELEGATION = "head_of_delegation", "Head of delegation"
        DELEGATE = "delegate", "Delegate"
        SPOKESPERSON = "spokesperson", "Spokesperson"
        OTHER = "other", "Other"

    # Roles held as terms: one current holder per organisation.
    FOCAL_POINT_ROLES = (Role.NATIONAL_FOCAL_POINT, Role.HEAD_OF_DELEGATION)

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="affiliations")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="affiliations")
    role = models.CharField(max_length=24, choices=Role.choices, default=Role.STAFF, db_index=True)
    job_title = models.CharField(max_length=200, blank=True)
    start_on = models.DateField()
    end_on = models.DateField(null=True, blank=True, help_text="Last day; empty while current.")
    is_primary = models.BooleanField(
        default=False, help_text="The person's main organisation (one current primary affiliation each)."
    )

    class Meta:
        ordering = ["-start_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="affiliation_ends_after_it_starts",
                violation_error_message="An affiliation cannot end before it starts.",
            ),
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(is_primary=True, end_on__isnull=True),
                name="one_current_primary_affiliation_per_contact",
                violation_error_message="This person already has a current primary affiliation.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "role"],
                condition=Q(end_on__isnull=True, role__in=["national_focal_point", "head_of_delegation"]),
                name="one_current_focal_point_per_role",
                violation_error_message="This organisation already has a current holder of this role.",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "end_on"], name="affiliation_org_current")]

    def __str__(self) -> str:
        return f"{self.contact.name} – {self.organisation} ({self.get_role_display()})"

    @property
    def is_current(self) -> bool:
        return self.end_on is None


# --- Dues: invoices and payments --------------------------------------------------------------------------


class InvoiceSequence(models.Model):
    """The counter of one invoice number sequence. Numbers are taken by locking this row in the transaction
    that inserts the invoice, so they have no gaps (a rolled-back invoice gives its number back) and two
    concurrent invoices never share one."""

    name = models.CharField(max_length=20, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} ({self.last_number})"


class Invoice(TimeStampedModel):
    """Dues for one period of a membership of a tier with a fee. Amounts are Decimal, with their currency."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    sequence = models.CharField(max_length=20, default="INV")
    number = models.PositiveIntegerField()
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="invoices")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="invoices")
    tier = models.ForeignKey(MembershipTier, on_delete=models.PROTECT, related_name="invoices")
    period_start = models.DateField()
    period_end = models.DateField(null=True, blank=True)
    issued_on = models.DateField()
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    # What the invoice said, kept as issued: later edits of the organisation do not rewrite it.
    bill_to = models.TextField()
    tax_note = models.TextField(blank=True)
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.OPEN, db_index=True)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "number"],
                name="invoice_number_unique_per_sequence",
                violation_error_message="This invoice number is already taken.",
            ),
            models.UniqueConstraint(
                fields=["membership", "period_start"],
                condition=~Q(status="void"),
                name="one_invoice_per_membership_period",
                violation_error_message="This membership period already has an invoice.",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="invoice_amount_positive",
                violation_error_message="An invoice amount must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.sequence}-{self.number:05d}"


class Payment(TimeStampedModel):
    """Money received against an invoice, recorded by staff. Several partial payments may settle one."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CARD = "card", "Card"
        CHEQUE = "cheque", "Cheque"
        CASH = "cash", "Cash"
        OTHER = "other", "Other"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.BANK_TRANSFER)
    reference = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message="A payment amount must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.paid_on} ({self.invoice})"


# --- Climate data from outside sources (members.climate) ----------------------------------------------------


class NdcSubmission(TimeStampedModel):
    """A party's filing in the UNFCCC NDC registry, as its published list names it.

    EU member states file no NDC of their own: they carry the EU's (``members.climate.ndc``).
    """

    class Round(models.TextChoices):
        FIRST = "first", "First NDC"
        UPDATED = "updated", "Updated NDC"
        NDC_3 = "ndc3", "NDC 3.0"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    party_code = models.CharField(max_length=3, db_index=True, help_text="ISO 3166 alpha-3; EUU for the EU.")
    party = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="ndc_submissions"
    )
    title = models.CharField(max_length=300)
    round = models.CharField(max_length=8, choices=Round.choices, db_index=True)
    version = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, db_index=True)
    language = models.CharField(max_length=40, blank=True)
    submitted_on = models.DateField(null=True, blank=True)
    url = models.URLField(max_length=500)
    file_type = models.CharField(max_length=20, blank=True)
    original_filename = models.CharField(max_length=300, blank=True)
    net_negative_flagged = models.BooleanField(
        default=False,
        help_text="A target country's new NDC 3.0, flagged for staff to confirm the move to committed.",
    )

    class Meta:
        ordering = ["party", "-submitted_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["party_code", "url"], name="ndc_submission_unique_per_party_url"),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.title}"


class Discrepancy(TimeStampedModel):
    """An outside source disagrees with a commitment recorded here. Staff accept it (a new revision of the
    commitment) or keep ours (remembered by ``fingerprint``: not raised again until the source changes)."""

    class Source(models.TextChoices):
        NET_ZERO_TRACKER = "net_zero_tracker", "Net Zero Tracker"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        KEPT = "kept", "Kept ours"
        SUPERSEDED = "superseded", "Superseded"

    source = models.CharField(max_length=20, choices=Source.choices, default=Source.NET_ZERO_TRACKER)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="discrepancies")
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="discrepancies")
    source_identifier = models.CharField(max_length=100, blank=True)
    #: The source's values (commitment field names), and ours when the discrepancy was raised.
    source_values = models.JSONField(default=dict)
    recorded_values = models.JSONField(default=dict)
    fields = models.JSONField(default=list, help_text="The fields that disagree.")
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    summary = models.CharField(max_length=500)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "discrepancies"
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "source", "fingerprint"], name="discrepancy_once_per_source_values"
            ),
            models.UniqueConstraint(
                fields=["commitment", "source"],
                condition=Q(status="open"),
                name="one_open_discrepancy_per_commitment_source",
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class ImportColumnMapping(TimeStampedModel):
    """Which field an unknown column header stands for, saved per source (an importable's name)."""

    source = models.CharField(max_length=50, db_index=True)
    header = models.CharField(max_length=200)
    field = models.CharField(max_length=100, blank=True, help_text="Empty: ignore the column.")

    class Meta:
        ordering = ["source", "header"]
        constraints = [
            models.UniqueConstraint(fields=["source", "header"], name="column_mapping_unique_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.header} → {self.field or '(ignored)'}"


class SearchWord(models.Model):
    """One word of an organisation's, contact's or enquiry's name, for typo-tolerant staff search.

    ``members/search.py`` corrects each word of a query against this table (a few hundred or thousand
    rows, trigram-indexed) and then finds records by full text, instead of comparing the whole query with
    every name (pg_trgm's advice for word similarity on large tables). Kept current by the services that
    write names (``members.services.search_words_add``); a word that no record has any more does no harm
    (it finds nothing) and ``search_words_rebuild`` drops it. PostgreSQL only: SQLite never fills it.
    """

    word = models.CharField(max_length=200, primary_key=True)

    def __str__(self) -> str:
        return self.word


class OrganisationMerge(models.Model):
    """One merge of two organisations, with what it changed row by row, so that staff can undo it.

    ``changes`` is written by ``members.duplicates.services.organisations_merge`` from a snapshot of the rows
    the merge could touch, taken before and after it (``members.duplicates.snapshots``): the rows it
    deleted (the merged record, folded contacts and duplicates), the fields it changed on the rows it kept
    (before and after) and the rows it created (the timeline note). ``organisations_merge_undo`` puts them
    back, refusing while a later change to the same fields would be overwritten.
    """

    kept = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kept_name = models.CharField(max_length=300)
    gone_pk = models.PositiveBigIntegerField(help_text="The id the merged record had, and gets back on undo.")
    gone_name = models.CharField(max_length=300)
    merged_at = models.DateTimeField(db_index=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.TextField(blank=True)
    changes = models.JSONField(default=dict)
    # When ``changes`` was emptied (``MERGE_UNDO_DAYS`` after the merge): it holds copies of the deleted
    # rows (a folded contact's name and email), kept only as long as the merge may be undone.
    changes_dropped_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at", "-pk"]
        verbose_name = _("organisation merge")
        verbose_name_plural = _("organisation merges")

    def __str__(self) -> str:
        return f"{self.gone_name} (#{self.gone_pk}) into {self.kept_name}"
