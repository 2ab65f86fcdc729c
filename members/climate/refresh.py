"""The scheduled refresh (optional per deployment): download the Net Zero Tracker and the NDC registry list
from ``NET_ZERO_TRACKER_URL`` and ``NDC_REGISTRY_URL`` and import them. The tracker runs in discrepancy mode
(nothing recorded here changes; disagreements join the queue); the NDC list, a registry of filings rather
than anything staff record, is imported. The secretariat gets one email saying what changed."""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from coalition.dates import secretariat_today
from members.climate import ndc, tracker

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
TIMEOUT_SECONDS = 60


def download(url: str) -> tuple[bytes, str]:
    """The file at ``url`` and its format (``xlsx`` or ``csv``: by the bytes, then the name)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValidationError(_("%(url)s is not an http or https address.") % {"url": url})
    # The scheme is checked above: no file: or custom schemes.
    request = urllib.request.Request(url, headers={"User-Agent": "CoalitionCRM climate-data refresh"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        content = response.read(MAX_DOWNLOAD_BYTES + 1)
    if len(content) > MAX_DOWNLOAD_BYTES:
        raise ValidationError(_("The download from %(url)s is larger than 100 MB.") % {"url": url})
    if content[:2] == b"PK" or PurePosixPath(urlsplit(url).path).suffix.lower() == ".xlsx":
        return content, "xlsx"
    return content, "csv"


@dataclass
class RefreshReport:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tracker: tracker.TrackerOutcome | None = None
    ndcs: ndc.NdcOutcome | None = None

    @property
    def text(self) -> str:
        return "\n".join([*self.problems, *self.lines])


def climate_data_refresh(*, tracker_url: str = "", ndc_url: str = "", notify: bool = True) -> RefreshReport:
    report = RefreshReport()
    if tracker_url:
        try:
            content, fmt = download(tracker_url)
            outcome = tracker.tracker_import(content=content, fmt=fmt, mode=tracker.Mode.DISCREPANCIES)
        except (OSError, ValidationError) as error:
            report.problems.append(
                _("Net Zero Tracker: could not be read (%(error)s).") % {"error": _message(error)}
            )
        else:
            report.tracker = outcome
            report.lines.append(
                _(
                    "Net Zero Tracker: %(rows)d rows; %(discrepancies)d new discrepancies to review; "
                    "%(new)d targets not recorded here; %(errors)d rows with errors."
                )
                % {
                    "rows": outcome.rows,
                    "discrepancies": outcome.discrepancies,
                    "new": outcome.created,
                    "errors": outcome.error_rows,
                }
            )
            report.lines.extend(f"- {change}" for change in outcome.changes[:200])
    if ndc_url:
        try:
            content, fmt = download(ndc_url)
            outcome = ndc.ndc_import(content=content, fmt=fmt)
        except (OSError, ValidationError) as error:
            report.problems.append(
                _("NDC registry: could not be read (%(error)s).") % {"error": _message(error)}
            )
        else:
            report.ndcs = outcome
            report.lines.append(
                _(
                    "NDC registry: %(rows)d rows; %(created)d new submissions, %(updated)d changed, "
                    "%(flagged)d flagged for staff; %(errors)d rows with errors."
                )
                % {
                    "rows": outcome.rows,
                    "created": outcome.created,
                    "updated": outcome.updated,
                    "flagged": outcome.flagged,
                    "errors": outcome.error_rows,
                }
            )
            report.lines.extend(f"- {change}" for change in outcome.changes[:200])
    if notify and (tracker_url or ndc_url):
        _notify(report)
    return report


def _message(error: Exception) -> str:
    return "; ".join(getattr(error, "messages", [str(error)]))


@transaction.atomic
def _notify(report: RefreshReport) -> None:
    from coalition.outbox.services import email_queue

    today = secretariat_today()
    subject = _("Climate data refreshed on %(day)s") % {"day": today.isoformat()}
    email_queue(
        kind="climate.refresh",
        to=settings.SECRETARIAT_EMAIL,
        template="generic",
        context={"subject": subject, "body": report.text},
        dedupe_key=f"climate.refresh:{today.isoformat()}",
    )
