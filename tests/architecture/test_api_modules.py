"""The guide's one API style (§3.5): an app's ``api.py`` holds viewsets; its serializers live in
``serializers.py`` and its FilterSets in ``filters.py``."""

import importlib
import types
from pathlib import Path

import django_filters
from rest_framework import serializers

ROOT = Path(__file__).resolve().parents[2]
APPS = ("coalition", "members", "campaigns", "newsletters")


def _api_modules() -> list[types.ModuleType]:
    paths = sorted(p for app in APPS for p in (ROOT / app).rglob("api.py") if "migrations" not in p.parts)
    return [importlib.import_module(".".join(p.relative_to(ROOT).with_suffix("").parts)) for p in paths]


def _defined_in(module: types.ModuleType, base: type) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, base) and value.__module__ == module.__name__
    ]


def _serializers_defined_in(module: types.ModuleType) -> list[str]:
    return _defined_in(module, serializers.BaseSerializer)


def test_the_api_modules_of_every_app_are_found():
    names = {module.__name__ for module in _api_modules()}
    assert {"members.api", "members.enquiries.api", "campaigns.api", "newsletters.api"} <= names


def test_no_api_module_defines_a_serializer():
    defined = {module.__name__: _serializers_defined_in(module) for module in _api_modules()}
    assert {name: found for name, found in defined.items() if found} == {}


def test_a_serializer_defined_in_an_api_module_is_caught():
    probe = types.ModuleType("probe.api")
    probe.Imported = serializers.Serializer  # imported from elsewhere: allowed
    probe.Local = type("Local", (serializers.Serializer,), {"__module__": "probe.api"})
    assert _serializers_defined_in(probe) == ["Local"]


def test_no_api_module_defines_a_filterset():
    defined = {module.__name__: _defined_in(module, django_filters.FilterSet) for module in _api_modules()}
    assert {name: found for name, found in defined.items() if found} == {}
