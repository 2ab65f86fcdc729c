"""Public pages: the RSVP link from an event invitation. No login: the signed, expiring token is the key."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaigns import services
from campaigns.models import EventParticipant
from coalition.exceptions import BadToken
from coalition.throttles import throttle_check


@never_cache  # a private link: no shared or browser cache keeps the page
@require_http_methods(["GET", "POST"])
def rsvp(request, token: str):
    """GET shows the invitation and a button; POST records the answer (mail scanners only ever GET)."""
    wait = throttle_check(request, scope="public")
    if wait:
        response = render(
            request, "campaigns/rsvp_problem.html", {"problem": "Too many requests."}, status=429
        )
        response["Retry-After"] = str(wait)
        return response
    try:
        participant, answer = services.rsvp_read(token=token)
    except BadToken as exc:
        return render(
            request,
            "campaigns/rsvp_problem.html",
            {"problem": str(exc), "hint": "Use the latest invitation email, or write to the secretariat."},
            status=400,
        )
    context = {
        "participant": participant,
        "event": participant.event,
        "answer": answer,
        "accepting": answer == EventParticipant.Response.ACCEPTED,
    }
    if request.method == "POST":
        try:
            participant = services.participant_respond(participant=participant, response=answer)
        except ValidationError as exc:
            return render(
                request, "campaigns/rsvp_problem.html", {"problem": " ".join(exc.messages)}, status=400
            )
        return render(request, "campaigns/rsvp_done.html", {**context, "participant": participant})
    return render(request, "campaigns/rsvp_confirm.html", context)
