import email
import email.policy
import uuid

import pytest

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


def _both(body: str, *, name: str, address: str = "ingrid@example.org", subject: str = "Progress"):
    """The same recipient's message built the slow way (EmailMessage) and from the skeleton, parsed."""
    from newsletters.sending.rendering import message_skeleton

    rendered = newsletter_render(subject=subject, preheader="Three new members", body_markdown=body)
    key = uuid.uuid4()
    slow = newsletter_message(
        rendered=rendered, name=name, email=address, key=key, newsletter_id=7, delivery_id=42
    )
    raw = message_skeleton(rendered=rendered, newsletter_id=7).message(
        name=name, email=address, key=key, delivery_id=42
    )
    parse = lambda data: email.message_from_bytes(data, policy=email.policy.default)  # noqa: E731
    return parse(slow.message().as_bytes(linesep="\r\n")), parse(raw.data), raw


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Ingrid <Lund>", "Progress"),
        ("", "Progress"),
        ('Åsa Þórsdóttir, "Chair"', "Fortschritt: Dänemark sagt 110 % bis 2050 " * 3),
    ],
)
def test_the_skeleton_message_reads_the_same_as_the_message_built_the_slow_way(name, subject):
    body = "Hello {{ name }}!\n\n" + "A long line of news about net-negative targets = good. " * 30
    slow, fast, raw = _both(body, name=name, subject=subject)
    for header in (
        "Subject",
        "From",
        "To",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "List-Id",
    ):
        assert str(fast[header]) == str(slow[header]), header
    assert fast.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):
        assert fast.get_body((kind,)).get_content() == slow.get_body((kind,)).get_content()
    assert raw.recipients == ("ingrid@example.org",)
    assert all(len(line) <= 998 for line in raw.data.split(b"\r\n"))
    assert b"\n" not in raw.data.replace(b"\r\n", b"")  # CRLF throughout, as SMTP wants


def test_the_skeleton_refuses_an_address_with_a_line_break_naming_it():
    with pytest.raises(ValueError, match="eve@example.net"):
        _both("Body", name="Eve", address="eve@example.net\r\nBcc: victim@example.net")


def test_the_subscriber_token_is_signed_once_per_message(monkeypatch):
    from newsletters.sending import rendering

    tokens = []
    real = rendering.token_make

    def counting(**kw):
        tokens.append(real(**kw))
        return tokens[-1]

    monkeypatch.setattr(rendering, "token_make", counting)
    skeleton = rendering.message_skeleton(
        rendered=newsletter_render(subject="S", preheader="", body_markdown="Hi {{ name }}"), newsletter_id=1
    )
    message = skeleton.message(name="Ana", email="ana@example.org", key=uuid.uuid4(), delivery_id=1)
    assert len(tokens) == 1
    # The one token is in the List-Unsubscribe header and in both bodies' two links.
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    assert tokens[0] in parsed["List-Unsubscribe"]
    for kind in ("plain", "html"):
        assert parsed.get_body((kind,)).get_content().count(tokens[0]) >= 2
