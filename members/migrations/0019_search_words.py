"""Words of names for typo-tolerant staff search (members.models.SearchWord, members/search.py).

On PostgreSQL: a trigram GIN index on the word (built here, outside the model state, as in
0004_public_search_trgm, so SQLite is untouched) and the words of every existing name, the same statement
as ``members.services.search_words_rebuild``.
"""

from django.db import migrations, models

# Keep in step with members.services (SEARCH_WORDS_FROM / _WORDS_OF).
FILL = """
INSERT INTO members_searchword (word)
SELECT DISTINCT lexeme FROM (
    SELECT name AS text FROM members_organisation
    UNION ALL SELECT name FROM members_contact
    UNION ALL SELECT organisation_name FROM members_enquiry
    UNION ALL SELECT contact_name FROM members_enquiry
) AS names, unnest(to_tsvector('simple', names.text))
WHERE char_length(lexeme) BETWEEN 3 AND 200 AND lexeme !~ '^[0-9]+$'
ON CONFLICT DO NOTHING
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE INDEX search_word_trgm ON members_searchword USING gin (word gin_trgm_ops)")
    schema_editor.execute(FILL)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS search_word_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0018_tier_name_translations"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.CharField(max_length=200, primary_key=True, serialize=False)),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
