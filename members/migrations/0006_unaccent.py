"""The unaccent extension on PostgreSQL, for accent-blind name matching of applicants (enquiry_services).

Django's CreateExtension does nothing on other databases (the embedded SQLite default).
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("members", "0005_history_change_reason_text")]

    operations = [UnaccentExtension()]
