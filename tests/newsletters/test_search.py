import pytest

from members.search import search_everything
from newsletters.models import Subscriber

pytestmark = pytest.mark.django_db


def test_staff_search_finds_a_subscriber_by_email_and_by_a_misspelt_name(admin_user):
    Subscriber.objects.create(email="ingrid.hansen@example.org", name="Ingrid Hansen")
    Subscriber.objects.create(email="someone@example.org", name="Someone Else")
    by_email = search_everything(query="ingrid.hansen", user=admin_user)["subscribers"]
    assert [h.title for h in by_email] == ["ingrid.hansen@example.org"]
    by_typo = search_everything(query="Ingrid Hansn", user=admin_user)["subscribers"]
    assert by_typo and by_typo[0].title == "ingrid.hansen@example.org"
    assert by_typo[0].url.startswith("/admin/newsletters/subscriber/")


def test_a_viewer_without_subscriber_permission_sees_no_subscribers(staff_user):
    # Secretariat staff may view subscribers; a user of no group may not.
    from django.contrib.auth.models import User

    nobody = User.objects.create_user("nobody", is_staff=True)
    Subscriber.objects.create(email="ingrid.hansen@example.org", name="Ingrid Hansen")
    assert search_everything(query="ingrid", user=nobody).get("subscribers", []) == []
    assert search_everything(query="ingrid", user=staff_user)["subscribers"]
