"""Migration 0010 gives every existing contact one current affiliation."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("members", "0009_enquirytransition_base")]
AFTER = [("members", "0010_relationships")]


@pytest.mark.django_db(transaction=True)
def test_each_existing_contact_gets_one_current_primary_affiliation_with_its_organisation():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        Organisation = old.get_model("members", "Organisation")
        Contact = old.get_model("members", "Contact")
        ministry = Organisation.objects.create(name="Danish Ministry of Climate", kind="other")
        agency = Organisation.objects.create(name="Danish Energy Agency", kind="other")
        anna = Contact.objects.create(
            organisation=ministry, name="Anna", email="anna@x.dk", job_title="Adviser"
        )
        lars = Contact.objects.create(organisation=agency, name="Lars", email="lars@x.dk")

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        Affiliation = new.get_model("members", "Affiliation")

        rows = {a.contact_id: a for a in Affiliation.objects.all()}
        assert set(rows) == {anna.pk, lars.pk}
        assert rows[anna.pk].organisation_id == ministry.pk
        assert rows[anna.pk].job_title == "Adviser"
        assert rows[lars.pk].organisation_id == agency.pk
        assert all(a.is_primary and a.end_on is None for a in rows.values())
        assert rows[anna.pk].start_on == anna.created_at.date()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
