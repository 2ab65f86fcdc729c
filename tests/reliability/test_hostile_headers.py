"""Header injection: names with CR/LF are refused at every door, and one unsendable row never stalls a
newsletter (a real worker sends the batch; the bad rows are written straight into the database)."""

import pytest

from coalition.validators import header_safe, validate_single_line
from members.models import Enquiry
from newsletters.models import Delivery, Newsletter, Subscriber
from newsletters.sending import services as sending
from tests.members.enquiry_factories import OpenTierFactory, application, form_data, started_token
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory
from tests.waiting import wait_until

INJECTED = "Eve\r\nBcc: victim@example.net"


@pytest.mark.django_db
@pytest.mark.parametrize("value", [INJECTED, "Eve\nBcc: x", "Eve\x00", "Eve\u2028x", "Eve\x85", "Eve\tTab"])
def test_the_shared_validator_refuses_control_characters(value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="one line of plain text"):
        validate_single_line(value)
    assert "\n" not in header_safe(value) and "\r" not in header_safe(value)


@pytest.mark.django_db
def test_a_subscriber_with_cr_lf_in_the_name_cannot_be_created(anon_api, admin_api, client):
    topic = TopicFactory(public=True)
    response = anon_api.post(
        "/api/v1/subscriptions/", {"email": "eve@example.org", "name": INJECTED}, format="json"
    )
    assert response.status_code == 400 and "one line of plain text" in str(response.data["name"])
    response = admin_api.post(
        "/api/v1/subscribers/", {"email": "eve@example.org", "name": INJECTED}, format="json"
    )
    assert response.status_code == 400 and "name" in response.data
    response = client.post(
        "/subscribe/",
        {"email": "eve@example.org", "name": INJECTED, "topics": [topic.pk], "form_started": started_token()},
    )
    assert response.status_code == 400 and "one line of plain text" in response.content.decode()
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["contact_name", "organisation_name", "job_title"])
def test_an_enquiry_with_cr_lf_in_a_name_is_refused_by_the_api_and_the_form(anon_api, client, field):
    tier = OpenTierFactory()
    response = anon_api.post("/api/v1/enquiries/", application(**{field: INJECTED}), format="json")
    assert response.status_code == 400 and field in response.data
    response = client.post("/join/", form_data(tier=tier, **{field: INJECTED}))
    assert response.status_code == 400 and "one line of plain text" in response.content.decode()
    assert not Enquiry.objects.exists()


@pytest.mark.django_db
def test_a_contact_with_cr_lf_in_the_name_is_refused(admin_api):
    from tests.members.factories import OrganisationFactory

    organisation = OrganisationFactory()
    response = admin_api.post(
        "/api/v1/contacts/",
        {"organisation": organisation.pk, "name": INJECTED, "email": "eve@example.org"},
        format="json",
    )
    assert response.status_code == 400 and "name" in response.data


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_row_that_cannot_be_sent_fails_alone_and_the_batch_is_delivered(worker, mailbox):
    topic = TopicFactory(slug="hostile-headers")
    good = [SubscriberFactory(topics=[topic], email=f"good{n}@example.net") for n in range(5)]
    bad_name = SubscriberFactory(topics=[topic], email="eve-name@example.net")
    bad_address = SubscriberFactory(topics=[topic], email="eve-address@example.net")
    # Straight into the database, past every door: what the worker must survive.
    Subscriber.objects.filter(pk=bad_name.pk).update(name=INJECTED)
    Subscriber.objects.filter(pk=bad_address.pk).update(email="eve@example.net\r\nBcc: victim@example.net")
    newsletter = NewsletterFactory(topics=[topic], subject="Hostile headers")

    sending.newsletter_send(newsletter=newsletter)

    def finished():
        newsletter.refresh_from_db()
        return newsletter.status == Newsletter.Status.SENT

    assert wait_until(finished, timeout=60)
    mailbox.settle(quiet=1.0)
    deliveries = {d.subscriber_id: d for d in Delivery.objects.filter(newsletter=newsletter)}
    failed = deliveries[bad_address.pk]
    assert failed.status == Delivery.Status.FAILED and "eve@example.net" in failed.last_error  # the reason
    # The injected name is flattened to one line at send time: delivered, with no Bcc.
    assert deliveries[bad_name.pk].status == Delivery.Status.SENT
    assert all(deliveries[s.pk].status == Delivery.Status.SENT for s in good)
    recipients = {str(m["To"].addresses[0].addr_spec) for m in mailbox.messages}
    assert recipients == {s.email for s in good} | {"eve-name@example.net"}
    assert not any(m["Bcc"] for m in mailbox.messages)
    assert all("victim@example.net" not in rcpts for _sender, rcpts in mailbox.envelopes)


@pytest.mark.django_db
def test_an_imported_subscriber_or_contact_with_cr_lf_in_the_name_is_a_row_error(admin_user):
    from members.imports.services import import_run
    from members.models import Contact
    from tests.members.factories import OrganisationFactory
    from tests.members.import_files import csv_bytes

    content = csv_bytes(
        [
            {"email": "eve@example.org", "name": INJECTED, "topics": ""},
            {"email": "ok@example.org", "name": "Ok"},
        ],
        ["email", "name", "topics"],
    )
    outcome = import_run(resource="subscribers", content=content, fmt="csv", by=admin_user)
    assert [(e.row, e.field) for e in outcome.errors] == [(2, "name")]
    assert "one line of plain text" in outcome.errors[0].message
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["ok@example.org"]

    OrganisationFactory(name="Acme Removals")
    content = csv_bytes(
        [{"organisation": "Acme Removals", "name": INJECTED, "email": "eve@acme.example"}],
        ["organisation", "name", "email"],
    )
    outcome = import_run(resource="contacts", content=content, fmt="csv", by=admin_user)
    assert [(e.row, e.field) for e in outcome.errors] == [(2, "name")] and not Contact.objects.exists()
