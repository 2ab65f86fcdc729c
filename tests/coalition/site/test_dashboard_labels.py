"""Figures agree: where the dashboard counts non-members, its label says so."""

import pytest

pytestmark = pytest.mark.django_db


def test_dashboard_labels_say_which_figures_include_non_members(client, staff_user):
    client.force_login(staff_user)
    page = client.get("/dashboard/").content.decode()
    assert (
        'Commitments by kind <small class="scope">· every organisation tracked, members and non-members'
        in page
    )
    assert 'Commitments by target year <small class="scope">· members and non-members' in page
    assert "the public commitments tracker shows members only" in page
    # The member share is of members in good standing only, and says so.
    assert "members in good standing</p>" in page
