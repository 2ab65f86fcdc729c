"""Public pages of the enquiry flow. They validate and call services; the rules live in the services."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from coalition.exceptions import BadToken, InvalidTransition
from coalition.throttles import client_ip, throttle_check
from members.enquiries.forms import AnswerForm, JoinForm, WithdrawForm
from members.enquiries.services import (
    enquiry_from_status_token,
    enquiry_information_answer,
    enquiry_submit,
    enquiry_withdraw,
)
from members.models import Enquiry

# What the applicant reads for each stage: never internal notes, never who on the staff did what.
STAGE_TEXT = {
    Enquiry.Status.RECEIVED: gettext_lazy(
        "We have received your enquiry. The secretariat will review it shortly."
    ),
    Enquiry.Status.UNDER_REVIEW: gettext_lazy("The secretariat is reviewing your enquiry."),
    Enquiry.Status.AWAITING_INFORMATION: gettext_lazy(
        "We need a little more information from you: please answer below."
    ),
    Enquiry.Status.APPROVED: gettext_lazy(
        "Your enquiry was approved. Welcome! You should have received a welcome email."
    ),
    Enquiry.Status.DECLINED: gettext_lazy(
        "Your enquiry was not approved this time. We have written to you with the reason."
    ),
    Enquiry.Status.WITHDRAWN: gettext_lazy(
        "You withdrew this enquiry. You are welcome to apply again at any time."
    ),
    # Shown as closed: telling a sender it was filed as spam helps nobody.
    Enquiry.Status.SPAM: gettext_lazy(
        "This enquiry is closed. Please contact the secretariat if you think this is a mistake."
    ),
}
STAGES_SHOWN = [
    Enquiry.Status.RECEIVED,
    Enquiry.Status.UNDER_REVIEW,
    Enquiry.Status.APPROVED,
]


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        wait = throttle_check(request, scope="enquiries")
        if wait is not None:
            response = render(
                request, "members/join/throttled.html", {"wait_minutes": max(1, round(wait / 60))}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        form = JoinForm(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k not in ("homepage", "form_started")}
            # The applicant's language is the one they filled the form in (/fr/join/ → French).
            data["preferred_language"] = get_language()
            try:
                enquiry_submit(data=data, source=Enquiry.Source.FORM, ip=client_ip(request))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                # The status link goes by email only: a repeat from someone else must not reveal it.
                return redirect("join:thanks")
        status = 400
    else:
        form = JoinForm()
        status = 200
    return render(request, "members/join/form.html", {"form": form}, status=status)


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "members/join/thanks.html")


@never_cache  # a private link: no shared or browser cache keeps the page
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        enquiry = enquiry_from_status_token(token=token)
    except BadToken as exc:
        return render(
            request,
            "members/join/bad_link.html",
            {"problem": str(exc), "secretariat_email": settings.SECRETARIAT_EMAIL},
            status=400,
        )
    answer_form = AnswerForm(prefix="answer")
    withdraw_form = WithdrawForm(prefix="withdraw")
    code = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "answer":
                answer_form = AnswerForm(request.POST, prefix="answer")
                if answer_form.is_valid():
                    enquiry_information_answer(enquiry=enquiry, answer=answer_form.cleaned_data["answer"])
                    messages.success(request, _("Thank you: your answer was sent to the secretariat."))
                    return redirect(request.path)
            elif action == "withdraw":
                withdraw_form = WithdrawForm(request.POST, prefix="withdraw")
                if withdraw_form.is_valid():
                    enquiry_withdraw(enquiry=enquiry)
                    messages.success(request, _("Your enquiry is withdrawn."))
                    return redirect(request.path)
            else:
                messages.error(request, _("Please use one of the buttons on this page."))
        except InvalidTransition as exc:
            messages.error(request, str(exc))
            enquiry.refresh_from_db()
        except ValidationError as exc:
            answer_form.add_error(None, exc.messages)
        code = 400
    stage_index = {
        Enquiry.Status.RECEIVED: 0,
        Enquiry.Status.UNDER_REVIEW: 1,
        Enquiry.Status.AWAITING_INFORMATION: 1,
        Enquiry.Status.APPROVED: 2,
    }.get(enquiry.status)
    context = {
        "enquiry": enquiry,
        "stage_text": STAGE_TEXT[enquiry.status],
        "stage_label": _("Closed") if enquiry.status == Enquiry.Status.SPAM else enquiry.get_status_display(),
        "stages": [
            (s.label, stage_index is not None and i <= stage_index) for i, s in enumerate(STAGES_SHOWN)
        ],
        "answer_form": answer_form if enquiry.status == Enquiry.Status.AWAITING_INFORMATION else None,
        "withdraw_form": withdraw_form if enquiry.is_open else None,
        "secretariat_email": settings.SECRETARIAT_EMAIL,
    }
    return render(request, "members/join/status.html", context, status=code)
