"""Public pages: sign up, confirm, preferences and one-click unsubscribe. Rules live in services."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from coalition.exceptions import BadToken
from coalition.throttles import client_ip, throttle_check
from newsletters.forms import PreferencesForm, SubscribeForm
from newsletters.models import ConsentRecord, Subscriber
from newsletters.sending.rendering import subscriber_token
from newsletters.subscriptions import services as subscriptions


def _bad_link(request: HttpRequest, exc: BadToken) -> HttpResponse:
    return render(request, "newsletters/bad_link.html", {"message": str(exc)}, status=400)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    # The wording in the language of the page: what the consent record will keep.
    wording = subscriptions.consent_wording_current()
    wording_text = wording.text_in(get_language())
    if request.method == "POST":
        wait = throttle_check(request, scope="subscriptions")
        if wait:
            response = render(
                request,
                "newsletters/subscribe.html",
                {"form": form, "wording_text": wording_text, "throttled": wait},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            subscriptions.subscription_request(
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                topics=list(form.cleaned_data["topics"]),
                method=ConsentRecord.Method.FORM,
                ip_address=client_ip(request),
                language=get_language(),
            )
            return redirect("newsletters:subscribe-thanks")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "newsletters/subscribe.html", {"form": form, "wording_text": wording_text}, status=status
    )


def subscribe_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletters/subscribe_thanks.html")


@never_cache  # a private link: no shared or browser cache keeps the page
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links; only a person's click confirms); POST confirms."""
    if request.method == "GET":
        return render(request, "newsletters/confirm.html", {"token": token})
    try:
        subscriber = subscriptions.subscription_confirm(token=token)
    except BadToken as exc:
        return _bad_link(request, exc)
    # A relative link: the person is on this site already, whatever SITE_URL says.
    preferences_path = reverse("newsletters:preferences", args=[subscriber_token(subscriber.key)])
    return render(
        request,
        "newsletters/confirmed.html",
        {"subscriber": subscriber, "preferences_path": preferences_path},
    )


@never_cache  # a private link: no shared or browser cache keeps the page
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = subscriptions.subscriber_from_token(token=token)
    except BadToken as exc:
        return _bad_link(request, exc)
    if request.method == "POST" and request.POST.get("action") == "resubscribe":
        subscriptions.subscription_request(
            email=subscriber.email,
            name=subscriber.name,
            topics=list(subscriber.topics.all()),
            method=ConsentRecord.Method.FORM,
            ip_address=client_ip(request),
            language=get_language(),
        )
        return redirect("newsletters:subscribe-thanks")
    form = PreferencesForm(
        request.POST or None, initial={"name": subscriber.name, "topics": list(subscriber.topics.all())}
    )
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            subscriber = subscriptions.subscriber_update_preferences(
                subscriber=subscriber,
                name=form.cleaned_data["name"],
                topics=list(form.cleaned_data["topics"]),
                unsubscribe_all=form.cleaned_data["unsubscribe_all"],
            )
            saved = True
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "newsletters/preferences.html",
        {
            "form": form,
            "subscriber": subscriber,
            "saved": saved,
            "suppressed": subscriber.status in Subscriber.SUPPRESSED_STATUSES,
            "unsubscribe_path": reverse("newsletters:unsubscribe", args=[token]),
        },
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )


@never_cache  # a private link: no shared or browser cache keeps the page
@csrf_exempt  # RFC 8058: mailbox providers POST with no cookies and no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button and changes nothing; POST unsubscribes at once and answers 200."""
    try:
        subscriber = subscriptions.subscriber_from_token(token=token)
    except BadToken as exc:
        return _bad_link(request, exc)
    if request.method == "POST":
        with transaction.atomic():
            subscriber = subscriptions.subscriber_unsubscribe(subscriber=subscriber)
        return render(request, "newsletters/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "newsletters/unsubscribe.html", {"subscriber": subscriber, "token": token})
