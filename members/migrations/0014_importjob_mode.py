from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0013_enquiry_public_description"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="clear_blanks",
            field=models.BooleanField(
                default=False,
                help_text="With overwrite: a blank cell clears the field (otherwise it is left alone).",
            ),
        ),
        migrations.AddField(
            model_name="importjob",
            name="mode",
            field=models.CharField(
                choices=[
                    ("skip", "Skip records that already exist"),
                    ("fill", "Fill empty fields only"),
                    ("overwrite", "Overwrite with the file's values"),
                ],
                default="fill",
                help_text="How a row that matches an existing record is treated.",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="importjob",
            name="reverted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
