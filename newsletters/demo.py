"""Demo topics and a few subscribers (idempotent; called by the demo loader)."""

from django.db import transaction
from django.utils import timezone

from newsletters.models import ConsentRecord, Subscriber, Topic
from newsletters.subscriptions.services import consent_wording_current

TOPICS = [
    (
        "progress-updates",
        "Progress updates",
        "A monthly round-up: new members, commitments and campaign milestones.",
        True,
        True,
    ),
    (
        "removals-policy",
        "Carbon removal policy",
        "Net-negative targets, NDCs and removal accounting.",
        True,
        False,
    ),
    ("events", "Events and webinars", "Side events at the COPs and online briefings.", True, False),
    ("members-briefing", "Members' briefing", "For member organisations only.", False, False),
]

SUBSCRIBERS = [
    (
        "ingrid.lund@example.org",
        "Ingrid Lund",
        Subscriber.Status.CONFIRMED,
        ["progress-updates", "removals-policy"],
    ),
    (
        "tomas.ferreira@example.org",
        "Tomás Ferreira",
        Subscriber.Status.CONFIRMED,
        ["progress-updates", "events"],
    ),
    ("amara.okafor@example.org", "Amara Okafor", Subscriber.Status.CONFIRMED, ["progress-updates"]),
    ("kenji.sato@example.org", "Kenji Sato", Subscriber.Status.PENDING, ["events"]),
    ("lea.martin@example.org", "Léa Martin", Subscriber.Status.UNSUBSCRIBED, ["progress-updates"]),
]


@transaction.atomic
def load(*, profile: str) -> None:
    for order, (slug, name, description, public, default) in enumerate(TOPICS):
        Topic.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "public": public,
                "default": default,
                "sort_order": order,
            },
        )
    wording = consent_wording_current()
    now = timezone.now()
    for email, name, status, topic_slugs in SUBSCRIBERS:
        subscriber, created = Subscriber.objects.get_or_create(
            email=email,
            defaults={
                "name": name,
                "status": status,
                "confirmed_at": now if status != Subscriber.Status.PENDING else None,
                "status_changed_at": now,
            },
        )
        if not created:
            continue
        subscriber.topics.set(Topic.objects.filter(slug__in=topic_slugs))
        ConsentRecord.objects.create(
            subscriber=subscriber,
            method=ConsentRecord.Method.IMPORT,
            wording=wording,
            requested_name=name,
            confirmed_at=subscriber.confirmed_at,
        )
