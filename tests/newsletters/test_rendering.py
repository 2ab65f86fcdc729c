import email
import email.policy
import uuid

from newsletters.sending.rendering import newsletter_message, newsletter_render


def _message(body: str, **kw):
    rendered = newsletter_render(subject="Progress", preheader="Three new members", body_markdown=body)
    return newsletter_message(
        rendered=rendered,
        name=kw.get("name", "Ingrid <Lund>"),
        email="ingrid@example.org",
        key=uuid.uuid4(),
        newsletter_id=7,
        delivery_id=42,
    )


def test_markdown_is_rendered_to_sanitised_html_with_inlined_css():
    message = _message("# Title\n\n<script>alert(1)</script> **bold** [link](javascript:alert(1))")
    html = message.alternatives[0][0]
    assert "<strong>bold</strong>" in html and "<script" not in html and "javascript:" not in html
    assert 'style="' in html and "<style" not in html
    assert "Three new members" in html  # the preheader


def test_the_name_is_escaped_in_html_and_plain_in_text():
    message = _message("Hello {{ name }}!")
    assert "Hello Ingrid &lt;Lund&gt;!" in message.alternatives[0][0]
    assert "Hello Ingrid <Lund>!" in message.body


def test_a_subscriber_without_a_name_is_greeted_as_a_friend():
    assert "Hello friend!" in _message("Hello {{ name }}!", name="").body


def test_every_message_carries_visible_links_and_rfc_8058_headers_that_parse():
    raw = _message("Body").message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    unsubscribe = parsed["List-Unsubscribe"]
    assert unsubscribe.startswith("<http") and "/subscription/unsubscribe/" in unsubscribe
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "/subscription/preferences/" in text and "/subscription/unsubscribe/" in text
    assert "Unsubscribe</a>" in html and "/subscription/preferences/" in html
    assert parsed["Message-ID"] == "<newsletter-7.delivery-42@127.0.0.1>"  # the same on every attempt
