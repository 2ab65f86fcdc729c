"""The sample files of tests/members/climate/data/, in the sources' published layouts, with public facts
(Denmark, Finland, Panama, Bhutan, two companies) and figures of our own; and the tracker's XLSX built from
the same rows, with its "Current Snapshot" sheet and its row of group headers."""

import csv
import io
from pathlib import Path

from openpyxl import Workbook

DATA = Path(__file__).parent / "data"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def tracker_xlsx(*, source: str = "tracker_group_header.csv") -> bytes:
    """The group-header CSV as the tracker's workbook: a notes sheet first, then "Current Snapshot"."""
    rows = list(csv.reader(io.StringIO(read(source).decode("utf-8-sig"))))
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Read me"
    notes.append(["Net Zero Tracker download: see the Current Snapshot sheet."])
    sheet = workbook.create_sheet("Current Snapshot")
    for row in rows:
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(value: str):
    # Spreadsheets hand numbers back as numbers: 2050.0 for a year typed as 2050.
    try:
        return float(value) if value.replace(".", "", 1).isdigit() else value
    except ValueError:
        return value


def tracker_rows_csv(rows: list[dict[str, str]], *, delimiter: str = ",") -> bytes:
    """A tracker CSV with the published header and ``rows`` (missing columns left empty)."""
    header = next(csv.reader(io.StringIO(read("tracker.csv").decode())))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode()
