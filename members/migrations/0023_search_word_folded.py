"""Staff search finds an accented name typed without its accents ("sao tome" → São Tomé) on PostgreSQL.

An index on each known word of names folded (``members.matching.fold_sql``: Latin letters without their
accents), built here outside the model state as in 0019_search_words, so SQLite is untouched. The query
(``members/search.py``) looks words up by the same expression.
"""

from django.db import migrations

from members.matching import fold_sql


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX search_word_folded ON members_searchword (({fold_sql('word')}))")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS search_word_folded")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0022_tier_fee_per_period"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
