"""The periodic task form (django-celery-beat's admin) runs no inline script the Content-Security-Policy
would refuse: its behaviour comes from a static file of this site, fed by a JSON data block."""

import json
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._open = {**dict(attrs), "_text": ""}
            self.found.append(self._open)

    def handle_data(self, data):
        if self._open is not None:
            self._open["_text"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def _scripts(html: str) -> list[dict[str, str | None]]:
    parser = _Scripts()
    parser.feed(html)
    return parser.found


def _blocked_inline_scripts(html: str) -> list[str]:
    """Inline scripts the CSP refuses: code with neither a src nor a nonce (JSON data blocks are not run)."""
    return [
        (s["_text"] or "").strip()[:80]
        for s in _scripts(html)
        if not s.get("src") and not s.get("nonce") and s.get("type") != "application/json"
    ]


@pytest.mark.parametrize("change", [False, True])
def test_the_periodic_task_form_has_no_inline_script_and_loads_its_behaviour_from_a_static_file(
    admin_client, change
):
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab = CrontabSchedule.objects.create(minute="30", hour="4", timezone="UTC")
    url = "/admin/django_celery_beat/periodictask/add/"
    if change:
        task = PeriodicTask.objects.create(
            name="a reminder", task="coalition.tasks.outbox_sweep", crontab=crontab
        )
        url = f"/admin/django_celery_beat/periodictask/{task.pk}/change/"
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()

    assert _blocked_inline_scripts(html) == []
    sources = [s.get("src") or "" for s in _scripts(html)]
    assert any(src.endswith("coalition/periodic_task_form.js") for src in sources)
    assert finders.find("coalition/periodic_task_form.js")
    (data,) = [s for s in _scripts(html) if s.get("id") == "readable-crontabs"]
    assert json.loads(data["_text"]) == {str(crontab.pk): crontab.human_readable}
    # The row the script's words replace is left out of the form.
    assert "Crontab translation" not in html


def test_the_check_finds_an_inline_script_without_a_nonce():
    html = (
        '<script src="/static/a.js"></script><script type="application/json">{}</script>'
        '<script nonce="abc">ok()</script><script>run()</script>'
    )
    assert _blocked_inline_scripts(html) == ["run()"]
