"""The one SMTP reply classifier the outbox and the newsletter sender share."""

import smtplib

import pytest

from coalition.smtp import PERMANENT, TRANSIENT, retry_backoff, smtp_classify


def test_a_451_refusal_of_every_recipient_is_transient_not_permanent():
    failure = smtp_classify(smtplib.SMTPRecipientsRefused({"a@example.org": (451, b"4.3.0 Try again later")}))
    assert failure.kind == TRANSIENT and failure.kind_for("a@example.org") == TRANSIENT
    assert "451 4.3.0 Try again later" in failure.reason_for("a@example.org")
    assert not failure.reconnect  # smtplib sent RSET: the connection is still good


def test_a_550_refusal_is_permanent_with_the_servers_reason():
    failure = smtp_classify(smtplib.SMTPRecipientsRefused({"b@example.org": (550, b"5.1.1 No such user")}))
    assert failure.permanent and failure.reason_for("b@example.org") == "550 5.1.1 No such user"


def test_recipients_are_classified_one_by_one():
    failure = smtp_classify(
        smtplib.SMTPRecipientsRefused(
            {"soft@example.org": (452, b"4.2.2 Mailbox full"), "hard@example.org": (550, b"5.1.1 Unknown")}
        )
    )
    assert failure.kind_for("soft@example.org") == TRANSIENT
    assert failure.kind_for("hard@example.org") == PERMANENT
    assert failure.kind == TRANSIENT  # someone may still get it on a retry


def test_a_421_at_rcpt_means_the_connection_is_gone_and_must_be_reopened():
    failure = smtp_classify(smtplib.SMTPRecipientsRefused({"c@example.org": (421, b"4.3.2 Shutting down")}))
    assert failure.kind == TRANSIENT and failure.reconnect and failure.connection_lost


@pytest.mark.parametrize(
    "exc",
    [
        smtplib.SMTPServerDisconnected("please run connect() first"),
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError("timed out"),
        smtplib.SMTPSenderRefused(421, b"4.3.2 Try later", "from@example.org"),
    ],
)
def test_a_lost_or_refused_connection_is_transient_and_asks_for_a_new_connection(exc):
    failure = smtp_classify(exc)
    assert failure.kind == TRANSIENT and failure.reconnect and failure.connection_lost


def test_a_5xx_for_the_message_is_permanent_and_keeps_the_connection():
    failure = smtp_classify(smtplib.SMTPDataError(554, b"5.6.0 Message refused"))
    assert failure.permanent and not failure.reconnect
    assert failure.kind_for("anyone@example.org") == PERMANENT


def test_something_that_is_not_an_smtp_failure_is_not_classified():
    with pytest.raises(TypeError):
        smtp_classify(RuntimeError("a bug"))


def test_backoff_doubles_from_the_setting_and_stops_at_an_hour(settings):
    settings.SMTP_RETRY_BACKOFF = 30
    assert [retry_backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_backoff(20).total_seconds() == 3600
