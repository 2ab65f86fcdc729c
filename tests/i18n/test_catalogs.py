"""Catalog hygiene: every public string is in the French and Spanish catalogs, translated, not fuzzy, with
the same placeholders, and the committed .mo files are the compiled .po files."""

import re
import shutil
import subprocess

import polib
import pytest

from tests.i18n.catalog_scope import ROOT, public_messages, template_messages

LANGUAGES = ("fr", "es")
PLACEHOLDER = re.compile(r"%\([a-zA-Z_]+\)[sd]|\{[a-z_]+\}")


def _catalog(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


def _entries(catalog: polib.POFile) -> dict[tuple[str, ...], polib.POEntry]:
    return {
        ((e.msgid, e.msgid_plural) if e.msgid_plural else (e.msgid,)): e for e in catalog if not e.obsolete
    }


def catalog_problems(catalog: polib.POFile, messages: dict[tuple[str, ...], str]) -> list[str]:
    """What is wrong with ``catalog`` for ``messages``: missing, fuzzy, untranslated, placeholders."""
    entries = _entries(catalog)
    problems = []
    for key, where in sorted(messages.items()):
        entry = entries.get(key)
        if entry is None:
            problems.append(f"missing ({where}): {key[0]!r}")
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy ({where}): {key[0]!r}")
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not all(t.strip() for t in translations):
            problems.append(f"untranslated ({where}): {key[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(key)))
        for text in translations:
            if set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ ({where}): {key[0]!r} → {text!r}")
    return problems


def test_the_public_side_has_hundreds_of_strings_marked_for_translation():
    messages = public_messages()
    assert len(messages) > 300
    assert ("Ask to join",) in messages  # a template
    assert ("Please enter an email address like name@example.org.",) in messages  # a form's error message
    assert ("Under review",) in messages  # a status label shown to applicants


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_string_is_translated_in_the_catalog_and_none_is_fuzzy(language):
    problems = catalog_problems(_catalog(language), public_messages())
    assert not problems, f"{len(problems)} problems in the {language} catalog:\n" + "\n".join(problems[:40])


def test_the_check_reports_a_template_string_missing_from_a_catalog(tmp_path):
    template = tmp_path / "page.html"
    template.write_text('{% load i18n %}<h1>{% translate "A sentence nobody translated" %}</h1>')
    messages = {key: "page.html" for key in template_messages(template)}
    assert messages == {("A sentence nobody translated",): "page.html"}
    problems = catalog_problems(_catalog("fr"), messages)
    assert problems == ["missing (page.html): 'A sentence nobody translated'"]


def test_the_check_reports_fuzzy_untranslated_and_broken_entries():
    catalog = polib.POFile()
    catalog.append(polib.POEntry(msgid="Fuzzy one", msgstr="Un flou", flags=["fuzzy"]))
    catalog.append(polib.POEntry(msgid="Empty one", msgstr=""))
    catalog.append(polib.POEntry(msgid="Hello %(name)s", msgstr="Bonjour"))
    messages = {("Fuzzy one",): "x", ("Empty one",): "x", ("Hello %(name)s",): "x"}
    problems = catalog_problems(catalog, messages)
    assert len(problems) == 3
    assert problems[0].startswith("untranslated") and problems[1].startswith("fuzzy")
    assert problems[2].startswith("placeholders differ")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_is_the_compiled_catalog(language):
    """`make compilemessages` was run after the last edit of the .po file (fuzzy entries left out)."""
    po = _catalog(language)
    mo = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo if e.msgid
    }
    expected = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in po.translated_entries()
        if "fuzzy" not in e.flags
    }
    assert compiled == expected


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) is not installed")
def test_makemessages_finds_no_public_string_that_the_catalog_check_misses(tmp_path):
    """The extraction the check uses agrees with Django's own (makemessages with GNU gettext), run on a copy
    of the project so the real catalogs are left alone."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "var", "tests", "bench", "staticfiles", "node_modules"
        ),
    )
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "makemessages", "-l", "fr", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_ENV": "test", "DATABASE_URL": "sqlite:///:memory:"},
    )
    extracted = _entries(polib.pofile(str(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po")))
    missing = [key for key in public_messages() if key not in extracted]
    assert not missing, missing[:20]
