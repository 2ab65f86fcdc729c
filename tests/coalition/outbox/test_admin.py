"""The outbox in the admin: staff can read what was sent and send failed emails again."""

import pytest
from django.urls import reverse

from coalition.models import OutboundEmail
from coalition.outbox.services import email_queue, outbox_resend
from tests.waiting import wait_until

CHANGELIST = reverse("admin:coalition_outboundemail_changelist")


def _email(key: str, status: str) -> OutboundEmail:
    email = email_queue(
        kind="enquiry.acknowledgement",
        to=f"{key}@example.org",
        template="generic",
        context={"subject": "We received your enquiry", "body": "Thank you."},
        dedupe_key=key,
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=status, attempts=8, last_error="SMTPRecipientsRefused" if status == "failed" else ""
    )
    email.refresh_from_db()
    return email


@pytest.mark.django_db
def test_the_outbox_list_filters_by_status_and_is_read_only(client, admin_user):
    failed = _email("failed", "failed")
    _email("sent", "sent")
    client.force_login(admin_user)

    response = client.get(CHANGELIST, {"status__exact": "failed"})
    assert [e.pk for e in response.context["cl"].result_list] == [failed.pk]
    assert client.get(reverse("admin:coalition_outboundemail_add")).status_code == 403
    page = client.get(reverse("admin:coalition_outboundemail_change", args=[failed.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content


@pytest.mark.django_db
def test_resending_touches_only_failed_emails_and_queues_each_once(django_capture_on_commit_callbacks):
    failed = _email("failed", "failed")
    sent = _email("sent", "sent")
    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox_resend(email_ids=[failed.pk, sent.pk]) == 1
        assert outbox_resend(email_ids=[failed.pk]) == 0
    assert len(callbacks) == 1
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("pending", 0, None)
    assert sent.status == "sent"


@pytest.mark.django_db
def test_a_viewer_cannot_send_emails_again(client, viewer_user):
    from django.contrib.auth.models import Permission

    viewer_user.user_permissions.add(Permission.objects.get(codename="view_outboundemail"))
    failed = _email("failed", "failed")
    client.force_login(viewer_user)
    response = client.post(CHANGELIST, {"action": "send_again", "_selected_action": [failed.pk]})
    assert response.status_code in (200, 302)  # back to the list: the action is not offered to them
    failed.refresh_from_db()
    assert failed.status == "failed"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_send_again_delivers_a_failed_email_through_the_worker(client, admin_user, worker, mailbox):
    failed = _email("failed", "failed")
    sent = _email("sent", "sent")
    client.force_login(admin_user)

    response = client.post(
        CHANGELIST, {"action": "send_again", "_selected_action": [failed.pk, sent.pk]}, follow=True
    )

    assert "1 failed email(s) queued to be sent again. 1 skipped" in response.content.decode()
    mailbox.wait_for(1)
    assert [m["Subject"] for m in mailbox.to(failed.to)] == ["We received your enquiry"]
    assert mailbox.to(sent.to) == []
    # The worker records the email as sent just after the SMTP server has accepted it.
    assert wait_until(lambda: OutboundEmail.objects.get(pk=failed.pk).status == "sent")
