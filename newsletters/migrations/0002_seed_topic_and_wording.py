from django.db import migrations

WORDING = (
    "I would like to receive the coalition's progress updates and newsletters by email. "
    "I can change my topics or unsubscribe at any time with the link in every email."
)


def seed(apps, schema_editor):
    Topic = apps.get_model("newsletters", "Topic")
    ConsentWording = apps.get_model("newsletters", "ConsentWording")
    Topic.objects.get_or_create(
        slug="progress-updates",
        defaults={
            "name": "Progress updates",
            "description": "A monthly round-up: new members, commitments and campaign milestones.",
            "public": True,
            "default": True,
        },
    )
    ConsentWording.objects.get_or_create(version=1, defaults={"text": WORDING})


class Migration(migrations.Migration):
    dependencies = [("newsletters", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
