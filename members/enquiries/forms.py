"""Public forms: the join form and the two forms of the enquiry status page."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from coalition.antispam import SpamProtectedForm
from coalition.validators import validate_single_line
from members.enquiries.services import APPLICANT_FIELDS, TARGET_YEAR_MAX, TARGET_YEAR_MIN, enquiry_validate
from members.models import Commitment, Enquiry, MembershipTier, Organisation

TEXT_LIMIT = Enquiry._meta.get_field("motivation").max_length  # 5000


def _limit(name: str) -> int:
    return Enquiry._meta.get_field(name).max_length


def _length_message(limit: int) -> dict[str, str]:
    return {
        "max_length": format_lazy(
            _("Please shorten this to at most {limit} characters (it has %(show_value)d)."), limit=limit
        )
    }


class TierChoiceField(forms.ModelChoiceField):
    """Membership tiers named in the page's language (``MembershipTier.name_in``)."""

    def label_from_instance(self, obj) -> str:
        return obj.name_in(get_language())


_YEAR_RANGE = format_lazy(
    _("The target year must be between {first} and {last}."), first=TARGET_YEAR_MIN, last=TARGET_YEAR_MAX
)


class JoinForm(SpamProtectedForm):
    """The application to join. Limits come from the model, cross-field rules from the enquiry service,
    so the form and the API accept exactly the same applications."""

    organisation_name = forms.CharField(
        label=_("Organisation or country name"),
        max_length=_limit("organisation_name"),
        validators=[validate_single_line],
        error_messages={"required": _("Please give the name of your organisation or country.")}
        | _length_message(_limit("organisation_name")),
    )
    organisation_kind = forms.ChoiceField(
        label=_("What kind of organisation is it?"),
        choices=[("", _("Choose one"))] + list(Organisation.Kind.choices),
        error_messages={"required": _("Please choose what kind of organisation it is.")},
    )
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        choices=[("", _("Choose a country"))] + list(countries),
        help_text=_("Required for a country, region or city."),
    )
    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=_limit("website"),
        assume_scheme="https",
        error_messages={"invalid": _("Please enter a web address such as https://example.org.")}
        | _length_message(_limit("website")),
    )
    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=_limit("contact_name"),
        validators=[validate_single_line],
        error_messages={"required": _("Please tell us your name.")} | _length_message(_limit("contact_name")),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=_limit("email"),
        error_messages={
            "required": _("Please give an email address we can reply to."),
            "invalid": _("Please enter an email address like name@example.org."),
        }
        | _length_message(_limit("email")),
    )
    job_title = forms.CharField(
        label=_("Your job title"),
        required=False,
        max_length=_limit("job_title"),
        validators=[validate_single_line],
        error_messages=_length_message(_limit("job_title")),
    )
    motivation = forms.CharField(
        label=_("Why do you want to join? (for the secretariat only)"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Please tell us briefly why you want to join.")}
        | _length_message(TEXT_LIMIT),
    )
    public_description = forms.CharField(
        label=_("Public description (optional)"),
        required=False,
        max_length=_limit("public_description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown in the public member directory if you are listed. Your answer to “Why do you want to "
            "join?” stays with the secretariat and is never published."
        ),
        error_messages=_length_message(_limit("public_description")),
    )
    intended_commitments = forms.CharField(
        label=_("What do you intend to commit to?"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: net negative emissions by 2045, or a removal target."),
        error_messages=_length_message(TEXT_LIMIT),
    )
    target_kind = forms.ChoiceField(
        label=_("Kind of target (optional)"),
        required=False,
        choices=[("", _("No specific target yet"))] + list(Commitment.Kind.choices),
    )
    target_year = forms.IntegerField(
        label=_("Target year (optional)"),
        required=False,
        min_value=TARGET_YEAR_MIN,
        max_value=TARGET_YEAR_MAX,
        error_messages={
            "invalid": _("Please enter a year such as 2050."),
            "min_value": _YEAR_RANGE,
            "max_value": _YEAR_RANGE,
        },
    )
    requested_tier = TierChoiceField(
        label=_("Membership you are asking for"),
        required=False,
        queryset=MembershipTier.objects.filter(open_to_applicants=True),
        empty_label=_("Not sure yet"),
        error_messages={"invalid_choice": _("Please choose one of the memberships offered.")},
    )
    consent_to_contact = forms.BooleanField(
        label=_("I agree that the secretariat may contact me about this enquiry."),
        error_messages={
            "required": _("Please agree to be contacted: we cannot process your enquiry otherwise.")
        },
    )
    wants_updates = forms.BooleanField(
        label=_(
            "Send me occasional updates on the coalition's work (you will be asked to confirm by email)."
        ),
        required=False,
    )

    list_publicly = forms.BooleanField(
        label=_("List our organisation in the public member directory once we are accepted."),
        required=False,
    )

    field_order = list(APPLICANT_FIELDS)

    # Let phones offer the right keyboard and autofill.
    AUTOCOMPLETE = {
        "organisation_name": "organization",
        "country": "country",
        "website": "url",
        "contact_name": "name",
        "email": "email",
        "job_title": "organization-title",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, token in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        self.fields["target_year"].widget.attrs.update(
            {"inputmode": "numeric", "placeholder": _("e.g. 2050")}
        )

    def clean(self):
        cleaned = super().clean()
        for name, message in enquiry_validate(cleaned).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Please write your answer.")} | _length_message(TEXT_LIMIT),
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, withdraw our enquiry to join."),
        error_messages={"required": _("Tick the box to confirm that you want to withdraw.")},
    )
