"""Where an outside source disagrees with a commitment recorded here: raised by an import, worked through by
staff. Accepting writes a new revision of the commitment (source and reason in its history); keeping ours
is remembered by the source's values (``fingerprint``), so the same disagreement is not raised again until
the source changes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from members import services
from members.models import Commitment, Discrepancy, Organisation

#: What a discrepancy compares, and what accepting it copies (with the integrity indicators).
COMPARED = ("kind", "target_year", "status", "reduction_percent")


def _json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)  # Decimal, date


def _fingerprint(values: dict[str, Any]) -> str:
    core = {name: _json(values.get(name)) for name in COMPARED}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()


def describe(*, organisation: Organisation | None = None, values: dict[str, Any]) -> str:
    """A target in words: "climate neutral 2050, in law" (with "110 %" when there is a percent)."""
    kind = str(dict(Commitment.Kind.choices).get(values.get("kind"), values.get("kind") or "")).lower()
    parts = [kind]
    if values.get("reduction_percent") not in (None, ""):
        parts.append(f"{values['reduction_percent']} %")
    if values.get("target_year"):
        parts.append(str(values["target_year"]))
    text = " ".join(p for p in parts if p)
    status = dict(Commitment.Status.choices).get(values.get("status"))
    if status:
        text = f"{text}, {str(status)[0].lower()}{str(status)[1:]}"
    if values.get("is_interim"):
        text = _("%(target)s (interim)") % {"target": text}
    return f"{organisation.name}: {text}" if organisation is not None else text


def _recorded_values(commitment: Commitment) -> dict[str, Any]:
    return {name: _json(getattr(commitment, name)) for name in (*COMPARED, "is_interim")}


@transaction.atomic
def discrepancy_raise(
    *, commitment: Commitment, organisation: Organisation, target, fields: list[str], source: str = ""
) -> Discrepancy | None:
    """Record that ``target`` (a tracker target: its ``fields`` and ``source_identifier``) disagrees with
    ``commitment``. None when this very disagreement was raised before (open, accepted or kept)."""
    source = source or Discrepancy.Source.NET_ZERO_TRACKER
    values = {name: _json(value) for name, value in target.fields.items()}
    fingerprint = _fingerprint(values)
    if Discrepancy.objects.filter(commitment=commitment, source=source, fingerprint=fingerprint).exists():
        return None
    # The source changed again before staff looked: the older disagreement is out of date.
    Discrepancy.objects.filter(commitment=commitment, source=source, status=Discrepancy.Status.OPEN).update(
        status=Discrepancy.Status.SUPERSEDED, resolved_at=timezone.now(), updated_at=timezone.now()
    )
    summary = _("%(source)s says %(theirs)s; we record %(ours)s") % {
        "source": Discrepancy.Source(source).label,
        "theirs": describe(values=values),
        "ours": describe(values=_recorded_values(commitment)),
    }
    return Discrepancy.objects.create(
        source=source,
        organisation=organisation,
        commitment=commitment,
        source_identifier=target.source_identifier,
        source_values=values,
        recorded_values=_recorded_values(commitment),
        fields=list(fields),
        fingerprint=fingerprint,
        summary=f"{organisation.name}: {summary}"[:500],
    )


def _lock_open(discrepancy: Discrepancy) -> Discrepancy:
    locked = Discrepancy.objects.select_for_update().select_related("commitment").get(pk=discrepancy.pk)
    if locked.status != Discrepancy.Status.OPEN:
        raise ValidationError(
            _("This discrepancy is already %(status)s.") % {"status": locked.get_status_display().lower()}
        )
    return locked


def _field_value(name: str, value: Any) -> Any:
    """A stored JSON value back as the model field's Python value."""
    if value in (None, ""):
        return None if name not in ("source_identifier", "carbon_credit_conditions", "title") else ""
    return Commitment._meta.get_field(name).to_python(value)


@transaction.atomic
def discrepancy_accept(*, discrepancy: Discrepancy, by=None, reason: str = "") -> Discrepancy:
    """Take the source's values: a new revision of the commitment whose history names the source and why."""
    discrepancy = _lock_open(discrepancy)
    updatable = (*COMPARED, *Commitment.INTEGRITY_FIELDS, "gases", "scope", "uses_removals", "uses_offsets")
    fields = {
        name: _field_value(name, discrepancy.source_values[name])
        for name in updatable
        if name in discrepancy.source_values
    }
    if "reduction_percent" in fields and fields["reduction_percent"] is None:
        del fields["reduction_percent"]  # the source not stating a percent does not erase ours
    source_label = discrepancy.get_source_display()
    history_reason = _("Source: %(source)s (%(key)s). %(reason)s") % {
        "source": source_label,
        "key": discrepancy.source_identifier,
        "reason": reason or _("Accepted the source's values."),
    }
    services.commitment_update(
        commitment=discrepancy.commitment, by=by, reason=history_reason.strip(), **fields
    )
    discrepancy.status = Discrepancy.Status.ACCEPTED
    discrepancy.resolved_by = by
    discrepancy.resolved_at = timezone.now()
    discrepancy.reason = reason
    discrepancy.save()
    return discrepancy


@transaction.atomic
def discrepancy_keep(*, discrepancy: Discrepancy, by=None, reason: str = "") -> Discrepancy:
    """Keep our record. Not raised again while the source says the same."""
    discrepancy = _lock_open(discrepancy)
    discrepancy.status = Discrepancy.Status.KEPT
    discrepancy.resolved_by = by
    discrepancy.resolved_at = timezone.now()
    discrepancy.reason = reason
    discrepancy.save()
    return discrepancy


def discrepancies_open() -> QuerySet[Discrepancy]:
    """The queue staff work through, oldest first."""
    return (
        Discrepancy.objects.filter(status=Discrepancy.Status.OPEN)
        .select_related("organisation", "commitment")
        .order_by("created_at", "pk")
    )


@transaction.atomic
def climate_rows_merge(*, keep: Organisation, gone: Organisation) -> None:
    """Hook ``organisations_merged``: discrepancies and NDC submissions follow the merged organisation."""
    from members.models import NdcSubmission

    Discrepancy.objects.filter(organisation=gone).update(organisation=keep, updated_at=timezone.now())
    NdcSubmission.objects.filter(organisation=gone).update(organisation=keep, updated_at=timezone.now())
