"""The column-mapping step of an import: staff say which field an unknown header stands for, once per source
(an importable's name, ``tracker`` or ``ndcs``), and every later file from that source is read with it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from members.climate.csvsniff import normalise_header
from members.models import ImportColumnMapping


def column_mappings_for(*, source: str) -> dict[str, str]:
    """{normalised header: field} saved for ``source``; an empty field means "ignore this column"."""
    return dict(ImportColumnMapping.objects.filter(source=source).values_list("header", "field"))


def apply(*, source: str, headers: list[str]) -> list[str]:
    """``headers`` with saved mappings applied. A header that is already a known column keeps its name."""
    saved = column_mappings_for(source=source)
    if not saved:
        return headers
    renamed = []
    for header in headers:
        key = normalise_header(header)
        target = saved.get(key)
        renamed.append(target if target else header)
    return renamed


def unknown_headers(*, headers: Iterable[str], known: Iterable[str], source: str) -> list[str]:
    """Headers neither known nor mapped before: what the mapping step asks about."""
    known = {normalise_header(k) for k in known}
    saved = column_mappings_for(source=source)
    return [h for h in headers if h and normalise_header(h) not in known and normalise_header(h) not in saved]


@transaction.atomic
def column_mapping_save(*, source: str, mappings: dict[str, str], known: Iterable[str]) -> int:
    """Remember {header: field} for ``source``. A field must be one of ``known`` (or "" to ignore)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    known = set(known)
    bad = {h: f for h, f in mappings.items() if f and f not in known}
    if bad:
        header, field = next(iter(bad.items()))
        raise ValidationError(_("“%(field)s” is not a column of this import (for “%(header)s”).") % {
            "field": field, "header": header})  # fmt: skip
    for header, field in mappings.items():
        ImportColumnMapping.objects.update_or_create(
            source=source, header=normalise_header(header), defaults={"field": field}
        )
    return len(mappings)
