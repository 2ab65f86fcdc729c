from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0012_climate_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="enquiry",
            name="public_description",
            field=models.TextField(blank=True, max_length=2000),
        ),
    ]
