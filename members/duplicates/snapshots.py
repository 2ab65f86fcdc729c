"""What a merge of two organisations changed, row by row, so that it can be undone.

``take`` reads the rows a merge can touch before it runs, ``take_after`` the same rows (and any new ones)
once it has run, and ``difference`` keeps what changed: the rows deleted (the merged record, folded
contacts, folded campaign targets and participations), the fields changed on rows that stay (a contact
moved, a membership withdrawn, the kept record's chosen values) and the rows created (the timeline note).
``conflicts`` and ``restore`` put a difference back (``services.organisations_merge_undo``).

The rows are found through the models' own relations, so a model another app adds pointing at
organisations or contacts is covered without being named here:

- the two organisations;
- every row pointing at one of them (contacts, memberships, engagements, invoices, targets ...);
- every row pointing at one of the merged record's own rows (its contacts' engagements, subscriptions and
  affiliations, its targets' stage changes). The kept record's rows are not followed further: the merge
  does not change what hangs from them.

History rows are left alone: the merge and its undo each write their own.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

_CHUNK = 500  # ids per IN list (SQLite's variable limit)


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()  # to the microsecond (Django's encoder stops at the millisecond)
        try:
            return super().default(o)
        except TypeError:
            return str(o)  # a country, a stored file's name


def _jsonable(value):
    return json.loads(json.dumps(value, cls=_Encoder))


def _key(model, pk) -> str:
    return f"{model._meta.label}:{pk}"


def _split(key: str):
    label, raw = key.rsplit(":", 1)
    model = apps.get_model(label)
    return model, model._meta.pk.to_python(raw)


def _relations(model) -> list:
    """The relations of other models pointing at ``model`` whose rows a merge may move, fold or delete."""
    from members.models import OrganisationMerge

    found = []
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.is_relation and rel.auto_created and not rel.concrete):
            continue
        related = rel.related_model
        if related._meta.auto_created or related.__name__.startswith("Historical"):
            continue  # an m2m's own table (read as the owner's list) or a history table
        if related is OrganisationMerge:
            continue
        found.append(rel)
    return found


def _m2m_names(model) -> list[str]:
    return [f.name for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]


def _row(obj, m2m: list[str]) -> dict:
    data = {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}
    for name in m2m:
        data[name] = sorted(o.pk for o in getattr(obj, name).all())
    return _jsonable(data)


def _read(model, lookup: str, values: Iterable) -> dict[str, dict]:
    """The rows of ``model`` whose ``lookup`` is one of ``values``, as {key: row}."""
    values = list(values)
    m2m = _m2m_names(model)
    rows = {}
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        queryset = model._base_manager.filter(**{f"{lookup}__in": chunk}).prefetch_related(*m2m)
        rows.update({_key(model, obj.pk): _row(obj, m2m) for obj in queryset})
    return rows


def _pks(model, lookup: str, value) -> list:
    return list(model._base_manager.filter(**{lookup: value}).values_list("pk", flat=True))


@dataclass
class Snapshot:
    rows: dict[str, dict] = field(default_factory=dict)
    # The merged record's own rows (model label -> ids), whose rows are read at the second level.
    parents: dict[str, list] = field(default_factory=dict)


def _second_level(parents: dict[str, list]) -> dict[str, dict]:
    rows = {}
    for label, pks in parents.items():
        for rel in _relations(apps.get_model(label)):
            rows.update(_read(rel.related_model, rel.field.name, pks))
    return rows


def take(*, keep_pk, gone_pk) -> Snapshot:
    """The rows a merge of ``gone_pk`` into ``keep_pk`` can touch, before it runs."""
    from members.models import Organisation

    snapshot = Snapshot(rows=_read(Organisation, "pk", [keep_pk, gone_pk]))
    for rel in _relations(Organisation):
        snapshot.rows.update(_read(rel.related_model, rel.field.name, [keep_pk, gone_pk]))
        if rel.related_model is not Organisation:  # the bodies within ``gone`` only change their parent
            pks = _pks(rel.related_model, rel.field.name, gone_pk)
            if pks:
                snapshot.parents.setdefault(rel.related_model._meta.label, []).extend(pks)
    snapshot.rows.update(_second_level(snapshot.parents))
    return snapshot


def take_after(*, keep_pk, before: Snapshot) -> dict[str, dict]:
    """The same rows once the merge has run (the deleted ones missing), and the rows it created."""
    from members.models import Organisation

    rows = _read(Organisation, "pk", [keep_pk])
    for rel in _relations(Organisation):
        rows.update(_read(rel.related_model, rel.field.name, [keep_pk]))
    rows.update(_second_level(before.parents))
    rows.update(_current(before.rows.keys() - rows.keys()))
    return rows


def _ignored(model) -> set[str]:
    """Fields that change on every save (``updated_at``): not compared, not put back."""
    return {f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)}


def _changed_fields(model, old: dict, new: dict, *, derived: bool = True) -> list[str]:
    """The fields whose values differ; with ``derived=False`` not those the code derives (columns staff
    cannot edit, such as an organisation's current membership), which a later change may move on its own."""
    ignored = _ignored(model)
    if not derived:
        ignored |= {f.attname for f in model._meta.concrete_fields if not f.editable and not f.primary_key}
    return [name for name in old if name not in ignored and old[name] != new.get(name)]


def difference(*, before: dict[str, dict], after: dict[str, dict]) -> dict:
    """What the merge did, from the two readings: ``deleted`` {key: row}, ``created`` {key: row} and
    ``changed`` {key: {"before": {field: value}, "after": {field: value}}}."""
    changed = {}
    for key in before.keys() & after.keys():
        model, _ = _split(key)
        names = _changed_fields(model, before[key], after[key])
        if names:
            changed[key] = {
                "before": {n: before[key][n] for n in names},
                "after": {n: after[key].get(n) for n in names},
            }
    return {
        "deleted": {key: row for key, row in before.items() if key not in after},
        "created": {key: row for key, row in after.items() if key not in before},
        "changed": changed,
    }


def _current(keys: Iterable[str]) -> dict[str, dict]:
    """The rows of ``keys`` as they are now (those deleted missing)."""
    by_model = defaultdict(list)
    for key in keys:
        model, pk = _split(key)
        by_model[model].append(pk)
    rows = {}
    for model, pks in by_model.items():
        rows.update(_read(model, "pk", pks))
    return rows


def _describe(key: str) -> str:
    """A row as staff know it: its kind and name (its number alone if it went meanwhile)."""
    model, pk = _split(key)
    obj = model._base_manager.filter(pk=pk).first()
    return f"{model._meta.verbose_name} “{obj}” (#{pk})" if obj else f"{model._meta.verbose_name} #{pk}"


def conflicts(changes: dict) -> list[str]:
    """What was changed since the merge and would be overwritten by putting its changes back."""
    changed, created = changes.get("changed", {}), changes.get("created", {})
    current = _current([*changed, *created, *changes.get("deleted", {})])
    problems = []
    for key, values in changed.items():
        if key not in current:
            continue  # deleted since: there is nothing to put back, and nothing is overwritten
        model, _ = _split(key)
        since = _changed_fields(model, _alive(model, values["after"]), current[key], derived=False)
        if since:
            names = ", ".join(_field_label(model, n) for n in since)
            problems.append(f"The {_describe(key)} has been changed since the merge ({names}).")
    for key, row in created.items():
        model, _ = _split(key)
        if key in current and _changed_fields(model, row, current[key], derived=False):
            problems.append(f"The {_describe(key)}, added by the merge, has been changed since.")
    for key in changes.get("deleted", {}):
        if key in current:
            problems.append(f"The {_describe(key)} exists again.")
    return problems


def _alive(model, values: dict) -> dict:
    """``values`` with the people (or other rows) deleted since left out of its m2m lists: a deletion
    since the merge is not a change the undo would overwrite."""
    values = dict(values)
    for name in set(_m2m_names(model)) & values.keys():
        target = model._meta.get_field(name).remote_field.model
        values[name] = sorted(target._base_manager.filter(pk__in=values[name]).values_list("pk", flat=True))
    return values


def _field_label(model, name: str) -> str:
    for f in [*model._meta.concrete_fields, *model._meta.many_to_many]:
        if name in (f.name, getattr(f, "attname", None)):
            return str(f.verbose_name)
    return name


def _values(model, row: dict) -> tuple[dict, dict]:
    """A stored row as (column values, m2m lists) ready to be written."""
    columns, m2m = {}, {}
    m2m_names = set(_m2m_names(model))
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    for name, value in row.items():
        if name in m2m_names:
            m2m[name] = value
        elif name in by_attname:
            f = by_attname[name]
            columns[name] = None if value is None else f.to_python(value)
    return columns, m2m


def restore(changes: dict) -> dict[tuple[str, type], list]:
    """Put back what a merge changed (inside the caller's transaction): the created rows are deleted, the
    changed fields get their earlier values and the deleted rows come back with their ids. Returns the
    ids put back, by ("changed" or "restored", model), for the history records."""
    touched: dict[tuple[str, type], list] = defaultdict(list)
    for key in changes.get("created", {}):
        model, pk = _split(key)
        model._base_manager.filter(pk=pk).delete()
    now = timezone.now()
    lists = []
    for key, values in changes.get("changed", {}).items():
        model, pk = _split(key)
        columns, m2m = _values(model, values["before"])
        columns.update({name: now for name in _ignored(model)})
        model._base_manager.filter(pk=pk).update(**columns)
        lists.append((model, pk, m2m))
        touched[("changed", model)].append(pk)
    for key, row in changes.get("deleted", {}).items():
        model, pk = _split(key)
        columns, m2m = _values(model, row)
        # A raw insert keeps the row's own dates (a plain one would stamp ``created_at`` now) and writes no
        # history of its own; the undo writes that, with its reason.
        model(**columns).save_base(raw=True, force_insert=True)
        lists.append((model, pk, m2m))
        touched[("restored", model)].append(pk)
    for model, pk, m2m in lists:
        obj = model._base_manager.filter(pk=pk).first() if m2m else None
        if obj is not None:
            for name, pks in m2m.items():
                target = model._meta.get_field(name).remote_field.model
                # People deleted since the merge are not linked again.
                getattr(obj, name).set(target._base_manager.filter(pk__in=pks).values_list("pk", flat=True))
    return dict(touched)


def counts(changes: dict) -> list[tuple[str, int, int, int]]:
    """Per kind of row: (kind, restored, moved back or changed, removed), for the undo's preview."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for index, part in enumerate(("deleted", "changed", "created")):
        for key in changes.get(part, {}):
            model, _ = _split(key)
            tally[str(model._meta.verbose_name_plural)][index] += 1
    return [(kind, *numbers) for kind, numbers in sorted(tally.items())]
