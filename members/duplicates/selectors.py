"""Likely duplicate organisations and contacts, each with why it looks like one, in plain words.

Duplicates are found by exact keys on every database: the same website domain, the same name by the one
matching rule (``members.matching``: case, accents, punctuation and legal forms do not count), a contact
email both records hold; for contacts, the same email at several organisations or the same name twice
in one organisation. On PostgreSQL with the ``pg_trgm`` extension, very similar names are found too;
elsewhere that rule is simply left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q

from members.matching import normalise_name, person_name_expression
from members.models import Contact, Organisation

TRIGRAM_MIN_SIMILARITY = 0.6


@dataclass
class OrganisationPair:
    first: Organisation
    second: Organisation
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0


@dataclass
class ContactGroup:
    reason: str
    contacts: list[Contact]


def trigrams_available() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def _groups(queryset, key: str) -> list[list[int]]:
    """Ids of organisations sharing ``key`` (an annotated or real column), in groups of two or more."""
    keys = (
        queryset.exclude(**{key: ""})
        .values(key)
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list(key, flat=True)
    )
    grouped: dict[Any, list[int]] = {}
    for pk, value in queryset.filter(**{f"{key}__in": list(keys)}).values_list("pk", key).order_by("pk"):
        grouped.setdefault(value, []).append(pk)
    return list(grouped.values())


def _words(name: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", str(name or "").strip()) if word]


def name_difference(first: str, second: str) -> str:
    """Why two names with one key are one name, in words: "same name" (only case or spacing differ),
    "names differ only by 'AG'" (a legal form), or "same name apart from accents or punctuation"."""
    a, b = _words(first), _words(second)
    if [w.casefold() for w in a] == [w.casefold() for w in b]:
        return "same name"
    in_a, in_b = {w.casefold() for w in a}, {w.casefold() for w in b}
    # Words the key drops (legal forms such as "AG", "Ltd.") found in one name only.
    extra = [w for w in a if not normalise_name(w) and w.casefold() not in in_b]
    extra += [w for w in b if not normalise_name(w) and w.casefold() not in in_a]
    if extra:
        return "names differ only by " + " and ".join(f"'{w}'" for w in extra)
    return "same name apart from accents or punctuation"


def _shared_contact_emails(limit: int) -> dict[tuple[int, int], str]:
    """Pairs of organisations (lower id first) with a contact email in common, and one such email."""
    emails = (
        Contact.objects.exclude(email="")
        .values("email")
        .annotate(n=Count("organisation", distinct=True))
        .filter(n__gt=1)
        .order_by("email")
        .values_list("email", flat=True)[:limit]
    )
    by_email: dict[str, list[int]] = {}
    for email, organisation_id in (
        Contact.objects.filter(email__in=list(emails))
        .order_by("email", "organisation_id")
        .values_list("email", "organisation_id")
        .distinct()
    ):
        by_email.setdefault(email, []).append(organisation_id)
    shared: dict[tuple[int, int], str] = {}
    for email, ids in by_email.items():
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                shared.setdefault((a, b), email)
    return shared


def organisation_duplicate_pairs(
    *, limit: int = 200, use_trigrams: bool | None = None
) -> list[OrganisationPair]:
    """Pairs of organisations that are probably one body, strongest evidence first, each with its reasons
    in plain words.

    Two country records are never proposed: one record per country is already a database constraint.
    """
    if use_trigrams is None:
        use_trigrams = trigrams_available()
    pairs: dict[tuple[int, int], OrganisationPair] = {}
    scores: dict[tuple[int, int], float] = {}
    reasons: dict[tuple[int, int], list[str]] = {}
    # Reasons worded once both records are loaded (they need the names).
    same_name: set[tuple[int, int]] = set()

    def add(a: int, b: int, reason: str | None, score: float) -> None:
        key = (min(a, b), max(a, b))
        reasons.setdefault(key, [])
        if reason:
            reasons[key].append(reason)
        scores[key] = scores.get(key, 0.0) + score

    base = Organisation.objects.all()
    for group in _groups(base, "website_domain"):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                add(a, b, "same website domain", 2.0)
    for group in _groups(base.exclude(name_key=""), "name_key"):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                add(a, b, None, 2.0)
                same_name.add((min(a, b), max(a, b)))
    for (a, b), email in _shared_contact_emails(limit).items():
        add(a, b, f"a contact with the same email ({email})", 1.5)
    if use_trigrams:
        with connection.cursor() as cursor:
            # ``%`` uses the trigram index when one exists; the explicit threshold keeps the list short.
            cursor.execute(
                """
                SELECT a.id, b.id, similarity(a.name, b.name)
                FROM members_organisation a
                JOIN members_organisation b ON a.id < b.id AND a.name %% b.name
                WHERE similarity(a.name, b.name) >= %s AND lower(a.name) <> lower(b.name)
                  AND NOT (a.kind = 'country' AND b.kind = 'country')
                ORDER BY 3 DESC
                LIMIT %s
                """,
                [TRIGRAM_MIN_SIMILARITY, limit],
            )
            for a, b, similarity in cursor.fetchall():
                if (a, b) not in same_name:
                    add(a, b, f"similar names ({similarity:.0%} alike)", float(similarity))

    ranked = sorted(scores, key=lambda k: (-scores[k], k))[: limit * 2]
    objects = Organisation.objects.in_bulk({pk for key in ranked for pk in key})
    for key in ranked:
        first, second = objects[key[0]], objects[key[1]]
        if first.kind == second.kind == Organisation.Kind.COUNTRY:
            continue
        why = list(reasons[key])
        if key in same_name:
            # After the website (the strongest single sign), before the rest.
            at = 1 if why and why[0] == "same website domain" else 0
            why.insert(at, name_difference(first.name, second.name))
        pairs[key] = OrganisationPair(first=first, second=second, reasons=why, score=scores[key])
    return list(pairs.values())[:limit]


def contact_duplicate_groups(*, limit: int = 200) -> list[ContactGroup]:
    """Contacts that are probably one person: one email at several organisations, or one name twice in an
    organisation."""
    groups: list[ContactGroup] = []
    emails = (
        Contact.objects.exclude(email="")
        .values("email")
        .annotate(n=Count("organisation", distinct=True))
        .filter(n__gt=1)
        .order_by("email")
        .values_list("email", flat=True)[:limit]
    )
    by_email: dict[str, list[Contact]] = {}
    for contact in (
        Contact.objects.filter(email__in=list(emails)).select_related("organisation").order_by("pk")
    ):
        by_email.setdefault(contact.email, []).append(contact)
    for email, contacts in by_email.items():
        groups.append(
            ContactGroup(reason=f"same email {email} at {len(contacts)} organisations", contacts=contacts)
        )

    named = Contact.objects.annotate(normalised=person_name_expression())
    same_name = (
        named.values("organisation_id", "normalised")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("organisation_id", "normalised")[:limit]
    )
    condition = Q(pk__in=[])
    for row in same_name:
        condition |= Q(organisation_id=row["organisation_id"], normalised=row["normalised"])
    by_name: dict[tuple[int, str], list[Contact]] = {}
    for contact in named.filter(condition).select_related("organisation").order_by("pk"):
        by_name.setdefault((contact.organisation_id, contact.normalised), []).append(contact)
    for contacts in by_name.values():
        groups.append(
            ContactGroup(reason=f"same name twice at {contacts[0].organisation.name}", contacts=contacts)
        )
    return groups[:limit]
