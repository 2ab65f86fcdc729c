"""Search indexes for staff search (members/search.py) on PostgreSQL; nothing on SQLite.

pg_trgm trigram GIN indexes on UPPER(column) serve both the trigram operators (``%``, ``%>``; pg_trgm
folds case itself) and Django's ``icontains`` (``UPPER(col) LIKE UPPER('%q%')``), so one index per column
covers typo-tolerant and substring search (the admin's ``icontains`` search benefits too). GIN indexes
on ``to_tsvector('simple', ...)`` serve the full-text branch, and B-tree indexes on the contact's and
the enquiry's name the exact-name branch (an organisation's name has one already). They are built through Django's own index classes inside RunPython, so the indexed
expressions are compiled exactly as the search queries compile them (the planner matches expressions
textually), and the model state is untouched: ``members/models.py`` does not declare them and
``makemigrations --check`` stays clean. ``tests/coalition/test_search.py`` checks the planner uses them.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models
from django.db.models.functions import Upper


def _trgm(field: str, name: str) -> GinIndex:
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


# Keep in step with members/search.py (_SPECS): same fields, same vectors, config "simple".
SEARCH_INDEXES = {
    "organisation": [
        _trgm("name", "org_name_trgm"),
        _trgm("website_domain", "org_domain_trgm"),
        GinIndex(SearchVector("name", "website_domain", config="simple"), name="org_fts"),
    ],
    "contact": [
        models.Index(fields=["name"], name="contact_name_exact"),
        _trgm("name", "contact_name_trgm"),
        _trgm("email", "contact_email_trgm"),
        GinIndex(SearchVector("name", "email", config="simple"), name="contact_fts"),
    ],
    "enquiry": [
        models.Index(fields=["organisation_name"], name="enquiry_org_exact"),
        _trgm("organisation_name", "enquiry_org_trgm"),
        _trgm("contact_name", "enquiry_contact_trgm"),
        _trgm("email", "enquiry_email_trgm"),
        GinIndex(SearchVector("organisation_name", "contact_name", "email", config="simple"), name="enquiry_fts"),
    ],
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, indexes in SEARCH_INDEXES.items():
        model = apps.get_model("members", model_name)
        for index in indexes:
            schema_editor.add_index(model, index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, indexes in SEARCH_INDEXES.items():
        model = apps.get_model("members", model_name)
        for index in indexes:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_enquiry_list_publicly"),
    ]

    operations = [
        # CreateExtension already does nothing on databases other than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
