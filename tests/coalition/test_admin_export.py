"""Every admin list of the coalition's records can be exported as staff see it (CSV or XLSX)."""

import csv
import io

import pytest
from django.contrib import admin

from campaigns.models import Target
from members.admin_export import CoalitionExportMixin
from tests.campaigns.factories import CampaignFactory, TargetFactory
from tests.members.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

DOMAIN_APPS = {"members", "campaigns", "newsletters"}


def test_every_admin_list_of_the_domain_apps_can_be_exported():
    registered = [m for m in admin.site._registry if m._meta.app_label in DOMAIN_APPS]
    missing = [
        m.__name__
        for m in registered
        if not isinstance(admin.site._registry[m], CoalitionExportMixin)
        # ErasedAddress: keyed hashes and dates, nothing a spreadsheet could show.
        and m.__name__ not in {"ConsentWording", "ImportJob", "ErasedAddress"}
    ]
    assert registered and missing == []


def test_a_filtered_campaign_target_list_exports_only_its_rows(client, admin_user):
    campaign = CampaignFactory()
    TargetFactory(campaign=campaign, organisation=OrganisationFactory(name="Panama"), stage="committed")
    TargetFactory(campaign=campaign, organisation=OrganisationFactory(name="Chile"), stage="identified")
    client.force_login(admin_user)
    (resource_class,) = admin.site._registry[Target].get_export_resource_classes(None)
    form = {"format": "0", "resource": "0"}  # CSV, with every column ticked as the export page does
    for name in resource_class().get_export_order():
        form[f"{resource_class.__name__.lower()}_{name}"] = "on"
    response = client.post("/admin/campaigns/target/export/?stage__exact=committed", form)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["stage"] == "committed"
