"""Honeypot and minimum fill time for public forms (join, subscribe).

A form carries a hidden honeypot field that people never see and bots fill, and a signed timestamp of
when it was rendered. API clients may send the same two fields; ``form_started`` is then optional.
"""

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

HONEYPOT_FIELD = "homepage"
STARTED_FIELD = "form_started"
_SALT = "coalition.antispam.started"


def form_started_token() -> str:
    return signing.dumps(time.time(), salt=_SALT)


def spam_problem(*, honeypot: str | None, started_token: str | None, require_started: bool) -> str | None:
    """The reason a submission looks automated, phrased for a person, or None."""
    if honeypot:
        return _("This submission looks automated. Please leave the hidden 'homepage' field empty.")
    if not started_token:
        if require_started:
            return _("The form is incomplete. Please reload the page and try again.")
        return None
    try:
        started = float(signing.loads(started_token, salt=_SALT, max_age=24 * 3600))
    except (signing.BadSignature, TypeError, ValueError):
        return _("The form has expired. Please reload the page and try again.")
    if time.time() - started < settings.SPAM_MIN_FORM_SECONDS:
        return _(
            "That was faster than a person can fill in the form. Please wait a few seconds and send again."
        )
    return None


class SpamProtectedForm(forms.Form):
    """Mixin form: add to a public form's bases; call ``spam_problem`` from ``clean``."""

    homepage = forms.CharField(
        required=False,
        label=gettext_lazy("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    form_started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial[STARTED_FIELD] = form_started_token()

    def clean(self):
        cleaned = super().clean()
        problem = spam_problem(
            honeypot=cleaned.get(HONEYPOT_FIELD),
            started_token=cleaned.get(STARTED_FIELD),
            require_started=True,
        )
        if problem:
            raise forms.ValidationError(problem, code="spam")
        return cleaned
