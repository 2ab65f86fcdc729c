from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from coalition.antispam import SpamProtectedForm
from coalition.validators import validate_single_line
from newsletters.models import Topic


class TopicChoiceField(forms.ModelMultipleChoiceField):
    """Topics labelled in the page's language, each with its description (when it has one) under the name,
    inside the label so that it is read out with the checkbox."""

    def label_from_instance(self, obj) -> str:
        language = get_language()
        description = obj.description_in(language)
        if not description:
            return obj.name_in(language)
        return format_html('{} <span class="topic-description">{}</span>', obj.name_in(language), description)


def _topic_choices():
    return Topic.objects.filter(public=True)


class SubscribeForm(SpamProtectedForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    name = forms.CharField(
        label=_("Your name"), max_length=200, required=False, validators=[validate_single_line]
    )
    topics = TopicChoiceField(
        queryset=Topic.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("What would you like to hear about?"),
        help_text=_("If you choose none, you get the monthly progress update."),
    )

    field_order = ["email", "name", "topics"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = _topic_choices()
        if not self.is_bound:
            self.initial["topics"] = list(_topic_choices().filter(default=True))


class PreferencesForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"), max_length=200, required=False, validators=[validate_single_line]
    )
    topics = TopicChoiceField(
        queryset=Topic.objects.none(), widget=forms.CheckboxSelectMultiple, required=False, label=_("Topics")
    )
    unsubscribe_all = forms.BooleanField(label=_("Unsubscribe from all emails"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = _topic_choices()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("unsubscribe_all") and not cleaned.get("topics"):
            raise forms.ValidationError(
                _("Choose at least one topic, or tick 'Unsubscribe from all emails' to stop every email.")
            )
        return cleaned


class TestSendForm(forms.Form):
    to = forms.EmailField(label="Send a test to")


class ScheduleForm(forms.Form):
    """A date and time in the secretariat's time zone (``settings.TIME_ZONE``), stored in UTC."""

    at = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].label = _("Send at (%(zone)s time)") % {
            "zone": timezone.get_current_timezone_name()
        }
