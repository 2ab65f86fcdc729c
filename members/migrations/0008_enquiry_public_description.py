from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0007_organisation_name_normalised_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="enquiry",
            name="public_description",
            field=models.TextField(blank=True, max_length=2000),
        ),
    ]
