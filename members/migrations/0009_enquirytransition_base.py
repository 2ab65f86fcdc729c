# EnquiryTransition now takes ``by``, ``at`` and ``note`` from coalition.models.StateChange, whose ``at``
# defaults to now instead of auto_now_add. The column is unchanged: this only updates the migration state.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0008_organisation_name_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="enquirytransition",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
    ]
