"""The send's raw SQL (freezing the audience, cutting batches) runs on PostgreSQL and on SQLite."""

import pytest
from django.db import connection

from newsletters.models import Delivery, Newsletter, SendBatch
from newsletters.sending import services as sending
from tests.embedded import embedded_env, manage
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory, bulk_subscribers

# Run in the child process on SQLite: the same steps as the PostgreSQL test below.
SQLITE_PROBE = r"""
from django.db import connection
from django.test import override_settings
from newsletters.models import Delivery, Newsletter, SendBatch, Subscriber
from newsletters.sending import services as sending
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory, bulk_subscribers

assert connection.vendor == "sqlite", connection.vendor
topic = TopicFactory(slug="sql-probe")
bulk_subscribers(topic, 7, prefix="probe")
SubscriberFactory(status=Subscriber.Status.PENDING).topics.add(topic)
newsletter = NewsletterFactory(topics=[topic])
with override_settings(NEWSLETTER_BATCH_SIZE=3, NEWSLETTER_RATE_LIMIT=0):
    sending.newsletter_send(newsletter=newsletter)
newsletter.refresh_from_db()
print("deliveries", Delivery.objects.filter(newsletter=newsletter).count())
print("unique", Delivery.objects.filter(newsletter=newsletter).values("subscriber").distinct().count())
print("batches", sorted(SendBatch.objects.filter(newsletter=newsletter).values_list("number", flat=True)))
print("status", newsletter.status)
"""
STATUS = """
from newsletters.models import Newsletter
print("status", Newsletter.objects.get().status)
"""


@pytest.mark.django_db
def test_sending_freezes_one_delivery_per_confirmed_subscriber_and_cuts_batches_on_postgresql(settings):
    assert connection.vendor == "postgresql"
    settings.NEWSLETTER_BATCH_SIZE = 3
    topic = TopicFactory()
    bulk_subscribers(topic, 7, prefix="pg")
    SubscriberFactory(status="pending").topics.add(topic)
    newsletter = NewsletterFactory(topics=[topic])
    # In a test transaction nothing commits, so no batch task is queued: this checks the SQL alone.
    sending.newsletter_send(newsletter=newsletter)
    assert Delivery.objects.filter(newsletter=newsletter).count() == 7
    numbers = sorted(SendBatch.objects.filter(newsletter=newsletter).values_list("number", flat=True))
    assert numbers == [0, 1, 2]
    assert Newsletter.objects.get(pk=newsletter.pk).status == "sending"


def test_sending_freezes_the_audience_and_sends_every_message_on_sqlite(tmp_path):
    env = embedded_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    out = manage("shell", "-c", SQLITE_PROBE, env=env).stdout
    assert "deliveries 7" in out
    assert "unique 7" in out
    assert "batches [0, 1, 2]" in out
    # On the embedded default the request only starts the send: its batches are left to the scheduler
    # process (a page does not wait minutes for a newsletter to go out), which sends every message.
    assert "status sending" in out and not (tmp_path / "mail").exists()
    manage("run_schedule", "--once", env=env)
    assert "status sent" in manage("shell", "-c", STATUS, env=env).stdout
    # The file backend writes one file per connection (here: per batch), messages one after another.
    recipients = [
        line
        for path in (tmp_path / "mail").iterdir()
        for line in path.read_text().splitlines()
        if line.startswith("To: Probe")
    ]
    assert len(recipients) == len(set(recipients)) == 7
