"""A sent newsletter's links work in a mail client and its text part reads as plain text.

Links and images the writer gave as paths (``[the tracker](/commitments/)``) are made absolute against
SITE_URL, as the unsubscribe links are; the plain-text part is the Markdown written out as text (no ``**``,
links as "the tracker (https://…/commitments/)"), in every language version, through the send path.
"""

import pytest

from newsletters import services
from newsletters.sending import rendering
from newsletters.sending import services as sending
from newsletters.sending.plaintext import html_to_text
from tests.newsletters.conftest import run_send_in_process
from tests.newsletters.factories import NewsletterFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

SITE = "https://updates.coalition.example"

ENGLISH = """Hello **members**. Read [the tracker](/commitments/).

- [Write to us](mailto:secretariat@example.org)
- [The Net Zero Tracker](https://zerotracker.net/)
- [News below](#news)

![Denmark's target](/static/img/denmark.png)

1. First *step*
2. Second step
"""

FRENCH = """Bonjour **{{ name }}**. Lisez [le suivi](/fr/commitments/) & [l'annexe](annexe/).

- _un_
- deux
"""


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.NEWSLETTER_RATE_LIMIT = 0


def _sent_messages(mailbox) -> dict[str, tuple[str, str]]:
    """Send a newsletter with an English and a French version to one reader of each; (html, text) by
    address, as the SMTP server received them."""
    topic = TopicFactory()
    SubscriberFactory(email="ann@example.net", name="Ann", preferred_language="en", topics=[topic])
    SubscriberFactory(email="claire@example.net", name="Claire", preferred_language="fr", topics=[topic])
    newsletter = NewsletterFactory(topics=[topic], body_markdown=ENGLISH)
    services.newsletter_translation_save(
        newsletter=newsletter, language="fr", subject="Point", body_markdown=FRENCH
    )
    sending.newsletter_send(newsletter=newsletter)
    assert run_send_in_process(newsletter) == 2
    received = {}
    for message in mailbox.settle(quiet=0.3):
        address = message["To"].addresses[0].addr_spec
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        received[address] = (html, text)
    return received


def test_relative_links_and_images_arrive_absolute_and_other_links_as_written(mailbox):
    html, _ = _sent_messages(mailbox)["ann@example.net"]
    assert f'href="{SITE}/commitments/"' in html
    assert f'src="{SITE}/static/img/denmark.png"' in html
    assert 'href="mailto:secretariat@example.org"' in html
    assert 'href="https://zerotracker.net/"' in html
    assert 'href="#news"' in html
    assert 'href="/' not in html and 'src="/' not in html


def test_the_text_part_is_plain_text_with_the_links_written_out(mailbox):
    _, text = _sent_messages(mailbox)["ann@example.net"]
    assert f"Hello members. Read the tracker ({SITE}/commitments/).\n\n" in text
    assert (
        "- Write to us (secretariat@example.org)\n"
        "- The Net Zero Tracker (https://zerotracker.net/)\n"
        "- News below\n\n"
    ) in text
    assert f"Denmark's target ({SITE}/static/img/denmark.png)" in text
    assert "1. First step\n2. Second step" in text
    assert "**" not in text and "*step*" not in text and "](" not in text


def test_the_french_version_gets_absolute_links_and_plain_text_too(mailbox):
    html, text = _sent_messages(mailbox)["claire@example.net"]
    assert f'href="{SITE}/fr/commitments/"' in html and f'href="{SITE}/annexe/"' in html
    assert f"Bonjour Claire. Lisez le suivi ({SITE}/fr/commitments/) & l'annexe ({SITE}/annexe/).\n" in text
    assert "- un\n- deux" in text
    assert f"Modifier vos préférences: {SITE}/fr/subscription/preferences/" in text


def test_the_composer_preview_shows_the_absolute_links_and_the_plain_text(client, comms_user):
    client.force_login(comms_user)
    answer = client.post(
        "/admin/newsletters/newsletter/composer/preview/",
        {"subject": "Typed", "preheader": "", "body_markdown": ENGLISH},
    ).json()
    assert f'href="{SITE}/commitments/"' in answer["html"]
    assert f"Hello members. Read the tracker ({SITE}/commitments/)." in answer["text"]


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("A *b* `c` **d**", "A b c d"),
        ("# Title\n\nBody", "Title\n\nBody"),
        ("> Quoted\n> words\n\nAfter", "> Quoted\n> words\n\nAfter"),
        ("- one\n    - nested\n- two", "- one\n  - nested\n- two"),
        ("    code  kept\n    as is", "code  kept\nas is"),
        ("Line one  \nLine two", "Line one\nLine two"),
        ("R&D <b>bold</b> 3 < 4", "R&D bold 3 < 4"),
        ("<https://example.org/x>", "https://example.org/x"),
        ("Before\n\n---\n\nAfter", "Before\n\n----\n\nAfter"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n1 | 2"),
    ],
)
def test_markdown_reads_as_plain_text(markdown, text):
    assert html_to_text(rendering.markdown_to_safe_html(markdown)) == text
