"""Reading records out through DRF serializers without DRF's per-field overhead on every row.

DRF's ``Serializer.to_representation`` asks every field, for every row, to find its attribute
(``Field.get_attribute``: a loop over the dotted source, a Mapping check, a callable check, exception
handling) and then to convert it, even when the attribute is a plain string column that comes out as it
went in. On a page of 50 organisations with their membership and commitments that is about 1,600 field
visits and most of the request's time.

``FastRepresentationMixin`` keeps DRF's output exactly, but works out once per serializer instance (a list
shares one child serializer across its rows) how each field is read:

* a concrete model column (its ``attname``) is read with ``getattr`` directly, then converted by the
  field's own ``to_representation``;
* a foreign key shown as its primary key (``PrimaryKeyRelatedField``) is read from ``<name>_id``;
* a value that already is what the field would return (a ``str`` for a character or choice field, an
  ``int`` for an integer field, a ``bool`` for a boolean) is not converted again;
* everything else (dotted sources, ``*``, properties, methods, prefetched attributes, nested serializers,
  dates, decimals, countries, method fields) goes through the field's own ``get_attribute`` and
  ``to_representation``, as in DRF.

``tests/coalition/test_representation.py`` compares every list endpoint's answer with and without it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

# Field classes whose ``to_representation`` returns a value of this type unchanged.
_UNCHANGED: dict[type, type] = {
    serializers.CharField: str,
    serializers.EmailField: str,
    serializers.SlugField: str,
    serializers.URLField: str,
    serializers.ChoiceField: str,
    serializers.IntegerField: int,
    serializers.BooleanField: bool,
}

_DIRECT, _FOREIGN_KEY, _FIELD = 0, 1, 2


def _plan(serializer: serializers.Serializer) -> list[tuple[Any, ...]]:
    """(kind, output name, attribute name, field, unchanged type) per readable field, in DRF's order."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    columns: dict[str, models.Field] = {}
    if model is not None:
        columns = {f.name: f for f in model._meta.concrete_fields}
    plan = []
    for field in serializer._readable_fields:
        source = field.source_attrs
        column = columns.get(source[0]) if len(source) == 1 else None
        if column is not None and isinstance(field, serializers.PrimaryKeyRelatedField):
            if (
                column.is_relation
                and field.pk_field is None
                and type(field).to_representation is (serializers.PrimaryKeyRelatedField.to_representation)
            ):
                plan.append((_FOREIGN_KEY, field.field_name, column.attname, field, None))
                continue
        elif (
            column is not None
            and not column.is_relation
            and not isinstance(field, serializers.BaseSerializer | serializers.RelatedField)
        ):
            plan.append((_DIRECT, field.field_name, column.attname, field, _UNCHANGED.get(type(field))))
            continue
        plan.append((_FIELD, field.field_name, None, field, None))
    return plan


class FastRepresentationMixin:
    """DRF's ``to_representation``, with the per-field reading planned once per serializer instance."""

    def to_representation(self, instance):
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)
        plan = self.__dict__.get("_representation_plan")
        if plan is None:
            plan = self._representation_plan = _plan(self)
        ret = {}
        for kind, name, attname, field, unchanged in plan:
            if kind == _DIRECT:
                value = getattr(instance, attname)
                if value is None or type(value) is unchanged:
                    ret[name] = value
                else:
                    ret[name] = field.to_representation(value)
                continue
            if kind == _FOREIGN_KEY:
                ret[name] = getattr(instance, attname)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else field.to_representation(attribute)
        return ret


class ModelSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """The project's base for model serializers (see the module's docstring)."""
