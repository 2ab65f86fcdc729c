import pytest
from django.db import transaction

from coalition.models import OutboundEmail
from coalition.outbox.services import email_queue, outbox_send
from coalition.outbox.tasks import outbox_sweep
from tests.waiting import wait_until


def _queue(key: str | None = "k1") -> OutboundEmail:
    return email_queue(
        kind="test.generic",
        to="someone@example.org",
        template="generic",
        context={"subject": "Hello  there", "body": "Line one"},
        dedupe_key=key,
    )


def test_a_queued_email_is_rendered_in_text_and_html(db):
    email = _queue()
    assert email.subject == "Hello there"
    assert "Line one" in email.body_text and "Group of Negative Emitters" in email.body_text
    assert "<p>Line one</p>" in email.body_html and 'style="' in email.body_html


def test_the_same_dedupe_key_queues_one_email(db):
    assert _queue("same").pk == _queue("same").pk
    assert OutboundEmail.objects.count() == 1


def test_sending_twice_delivers_once(db, mailbox):
    email = _queue()
    assert outbox_send(email_id=email.pk) is True
    assert outbox_send(email_id=email.pk) is False
    assert len(mailbox.wait_for(1)) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 1


def test_an_unreachable_smtp_server_leaves_the_email_due_for_a_retry(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: nothing listens
    email = _queue()
    assert outbox_send(email_id=email.pk) is False
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING and email.next_attempt_at is not None
    assert "Connection refused" in email.last_error or "Errno" in email.last_error


@pytest.mark.django_db(transaction=True)
def test_a_committed_email_reaches_the_smtp_server_through_a_worker_exactly_once(worker, mailbox):
    with transaction.atomic():
        email = _queue("through-worker")
    messages = mailbox.wait_for(1)
    # The sweep runs too (as beat would): it must not send the same email again.
    outbox_sweep.delay().get(timeout=30)
    assert len(mailbox.settle()) == 1
    assert messages[0]["Subject"] == "Hello there"
    # The worker records the email as sent just after the SMTP server has accepted it.
    assert wait_until(lambda: OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.SENT)


@pytest.mark.parametrize(
    "subject",
    [
        "Hemos recibido su solicitud de adhesión a la Coalición para las Emisiones Negativas — Dinamarca",
        "Merci de confirmer votre abonnement aux points d’étape de la Coalition pour la neutralité carbone",
        "Ready",
    ],
)
def test_a_long_subject_in_another_language_reads_back_exactly_with_no_leading_space(subject):
    """Python's default folding moved a long encoded subject to the next line, so readers saw " Hemos…"."""
    import email
    from email import policy

    from coalition.outbox.rendering import outbound_message

    message = outbound_message(OutboundEmail(to="ana@example.org", subject=subject, body_text="Hola"))
    raw = message.message().as_bytes()
    assert max(len(line) for line in raw.splitlines()) <= 998
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject
