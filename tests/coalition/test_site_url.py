"""Links follow the site: with no SITE_URL, emailed links use the host and port ``make run`` serves on."""

import re

from tests.embedded import embedded_env, manage

PROBE = r"""
from django.conf import settings
from django.db import transaction
from members.enquiries.services import enquiry_submit
from newsletters.models import Newsletter, Subscriber
from newsletters.sending import services as sending
from newsletters.subscriptions.services import subscription_request
from tests.newsletters.factories import NewsletterFactory, TopicFactory, bulk_subscribers

print("SITE_URL", settings.SITE_URL)
topic = TopicFactory(slug="links")
with transaction.atomic():
    subscription_request(email="new@example.net", name="New Reader", topics=[topic], method="form")
with transaction.atomic():
    enquiry_submit(data={
        "organisation_name": "Port Test Institute", "organisation_kind": "research", "country": "DK",
        "contact_name": "Ada Port", "email": "ada@port.example.org", "motivation": "Removals research.",
        "consent_to_contact": True,
    })
bulk_subscribers(topic, 2, prefix="linked")
sending.newsletter_send(newsletter=NewsletterFactory(topics=[topic], body_markdown="See [the site](/)."))
"""


def test_with_port_8123_and_no_site_url_every_emailed_link_points_at_port_8123(tmp_path):
    env = embedded_env(tmp_path, PORT="8123", HOST="127.0.0.1")
    manage("migrate", "--noinput", env=env)
    out = manage("shell", "-c", PROBE, env=env).stdout
    manage("run_schedule", "--once", env=env)  # the newsletter goes out from the scheduler process
    assert "SITE_URL http://127.0.0.1:8123" in out
    text = "\n".join(path.read_text() for path in (tmp_path / "mail").iterdir())
    # Confirmation, acknowledgement with status link, secretariat review link, newsletter links.
    assert "/subscription/confirm/" in text or "confirm" in text
    links = re.findall(r"https?://[^\s\"'<>)]+", text)
    site_links = [link for link in links if "127.0.0.1" in link or "localhost" in link]
    assert len(site_links) >= 6, links
    assert all(link.startswith("http://127.0.0.1:8123/") for link in site_links), [
        link for link in site_links if not link.startswith("http://127.0.0.1:8123/")
    ]
    assert ":8000" not in text
