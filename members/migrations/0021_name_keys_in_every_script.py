"""Organisation name keys are worked out again: a name in a non-Latin script (Cyrillic, Chinese, Arabic…) had
the empty key, so no such name matched its own record, and punctuation other than a few marks counted."""

from django.db import migrations

from members.matching import normalise_name


def refill_name_keys(apps, schema_editor):
    Organisation = apps.get_model("members", "Organisation")
    batch = []
    for organisation in Organisation.objects.only("pk", "name", "name_key").iterator(chunk_size=2000):
        key = normalise_name(organisation.name)
        if key != organisation.name_key:
            organisation.name_key = key
            batch.append(organisation)
        if len(batch) >= 2000:
            Organisation.objects.bulk_update(batch, ["name_key"])
            batch = []
    Organisation.objects.bulk_update(batch, ["name_key"])


class Migration(migrations.Migration):
    dependencies = [("members", "0020_index_diet")]

    operations = [migrations.RunPython(refill_name_keys, migrations.RunPython.noop)]
