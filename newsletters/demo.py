"""Demo topics and a few subscribers (idempotent; called by the demo loader)."""

from django.db import transaction
from django.utils import timezone

from newsletters.models import ConsentRecord, Subscriber, Topic
from newsletters.services import topic_create, topic_update
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

# The public side shows topics in the reader's language (newsletters/migrations/0007 and 0009 translate
# the seeded ones the same way).
TRANSLATIONS = {
    "progress-updates": (
        {"fr": "Points d'étape", "es": "Informes de avance"},
        {
            "fr": "Un point mensuel\u00a0: nouveaux membres, engagements et grandes étapes des campagnes.",
            "es": "Un resumen mensual: nuevos miembros, compromisos y grandes hitos de las campañas.",
        },
    ),
    "removals-policy": (
        {"fr": "Politique d'absorption du carbone", "es": "Política de absorción de carbono"},
        {
            "fr": "Objectifs d'émissions négatives, CDN et comptabilisation des absorptions.",
            "es": "Objetivos de emisiones netas negativas, NDC y contabilidad de las absorciones.",
        },
    ),
    "events": (
        {"fr": "Événements et webinaires", "es": "Eventos y seminarios web"},
        {
            "fr": "Événements parallèles aux COP et présentations en ligne.",
            "es": "Eventos paralelos en las COP y sesiones informativas en línea.",
        },
    ),
    "members-briefing": (
        {"fr": "Note aux membres", "es": "Informe para miembros"},
        {"fr": "Réservé aux organisations membres.", "es": "Solo para las organizaciones miembros."},
    ),
}

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
        fields = {
            "name": name,
            "description": description,
            "public": public,
            "default": default,
            "sort_order": order,
            "name_translations": TRANSLATIONS[slug][0],
            "description_translations": TRANSLATIONS[slug][1],
        }
        existing = Topic.objects.filter(slug=slug).first()
        if existing is None:
            topic_create(slug=slug, **fields)
        else:
            topic_update(topic=existing, **fields)
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
