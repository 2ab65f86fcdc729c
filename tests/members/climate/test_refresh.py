"""The weekly refresh, against a local HTTP server on loopback serving the sample files: the tracker in
discrepancy mode (nothing recorded changes), the NDC list imported, the secretariat told what changed."""

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from coalition.models import OutboundEmail
from members import demo
from members.climate.tasks import climate_data_refresh_task
from members.models import Commitment, Discrepancy, NdcSubmission

from .samples import DATA

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def sample_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(DATA)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_refresh_raises_discrepancies_imports_the_ndc_list_and_tells_the_secretariat(
    sample_server, settings
):
    demo.load(profile="gone")
    settings.NET_ZERO_TRACKER_URL = f"{sample_server}/tracker_semicolon.csv"
    settings.NDC_REGISTRY_URL = f"{sample_server}/ndcs.csv"
    settings.SECRETARIAT_EMAIL = "secretariat@example.org"
    commitments = sorted(Commitment.objects.values_list("pk", "kind", "target_year", "status", "updated_at"))

    text = climate_data_refresh_task()

    assert (
        sorted(Commitment.objects.values_list("pk", "kind", "target_year", "status", "updated_at"))
        == commitments
    )
    denmark = Discrepancy.objects.get(organisation__country="DK", status="open")
    assert "climate neutral 2050" in denmark.summary
    assert NdcSubmission.objects.count() == 8
    email = OutboundEmail.objects.get(kind="climate.refresh")
    assert email.to == "secretariat@example.org"
    assert "new discrepancies to review" in email.body_text
    assert denmark.summary in email.body_text
    assert "New NDC submission: Panama, Panama NDC 3.0" in text

    discrepancies = Discrepancy.objects.count()
    again = climate_data_refresh_task()
    assert Discrepancy.objects.count() == discrepancies
    assert "0 new discrepancies" in again and "0 new submissions" in again


def test_an_unreachable_source_is_reported_not_raised(settings, sample_server):
    settings.NET_ZERO_TRACKER_URL = f"{sample_server}/missing.xlsx"
    settings.NDC_REGISTRY_URL = ""
    text = climate_data_refresh_task()
    assert "Net Zero Tracker: could not be read" in text
    assert "404" in text


def _beat_has_refresh(**env: str) -> bool:
    code = "from django.conf import settings; print('climate-data-refresh' in settings.CELERY_BEAT_SCHEDULE)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "coalition.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1] == "True"


def test_the_weekly_beat_entry_exists_only_when_a_source_url_is_set():
    assert not _beat_has_refresh(NET_ZERO_TRACKER_URL="", NDC_REGISTRY_URL="")
    assert _beat_has_refresh(NET_ZERO_TRACKER_URL="", NDC_REGISTRY_URL="https://example.org/ndcs.csv")
