"""Two staff approving the same enquiry at the same moment: one joining, one welcome."""

import threading
import time

import pytest
from django.db import connection

from coalition import hooks
from coalition.models import OutboundEmail
from members.enquiries import services
from members.models import Engagement, Enquiry, EnquiryTransition, Membership, Organisation
from tests.members.enquiry_factories import EnquiryFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_create_one_member_and_one_welcome(staff_user, admin_user):
    enquiry = EnquiryFactory()
    inside = threading.Event()

    def slow_hook(enquiry):
        # Hold the first approval's transaction open so the second one has to wait for the row lock.
        inside.set()
        time.sleep(0.5)

    hooks.register("enquiry_approved", slow_hook)
    errors: list[BaseException] = []

    def approve(user):
        try:
            services.enquiry_approve(enquiry=Enquiry.objects.get(pk=enquiry.pk), by=user)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    try:
        first = threading.Thread(target=approve, args=(staff_user,))
        first.start()
        assert inside.wait(10)
        second = threading.Thread(target=approve, args=(admin_user,))
        second.start()
        first.join(20)
        second.join(20)
    finally:
        hooks._handlers["enquiry_approved"].remove(slow_hook)

    assert errors == []
    assert Organisation.objects.count() == 1 and Membership.objects.count() == 1
    assert Engagement.objects.filter(kind=Engagement.Kind.JOINED).count() == 1
    assert EnquiryTransition.objects.filter(to_status="approved").count() == 1
    assert OutboundEmail.objects.filter(kind="enquiry.welcome").count() == 1
