"""Spreadsheets for the import tests: realistic files with known good, matching and bad rows."""

import csv
import io
from dataclasses import dataclass, field

from django_countries import countries
from openpyxl import Workbook

from tests.members.factories import CountryFactory, OrganisationFactory

ORGANISATION_COLUMNS = ["name", "kind", "country", "sector", "website", "description", "listed_publicly"]


def csv_bytes(rows: list[dict], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[dict], columns: list[str]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class OrganisationFile:
    rows: list[dict]
    bad_rows: dict[int, str] = field(default_factory=dict)  # spreadsheet row number -> what is wrong
    existing_matched: int = 0

    @property
    def content(self) -> bytes:
        return csv_bytes(self.rows, ORGANISATION_COLUMNS)


def organisation_file_1000(*, existing_countries: int = 20, existing_companies: int = 30) -> OrganisationFile:
    """1,000 rows: 950 good (150 countries, 700 companies with websites, 100 NGOs without), 50 bad.

    ``existing_countries`` of the countries and ``existing_companies`` of the companies are created in the
    database first (under other names), so the file must update them rather than duplicate them.
    """
    codes = [c.code for c in countries][:150]
    good: list[dict] = []
    for i, code in enumerate(codes):
        good.append(
            {
                "name": dict(countries)[code],
                "kind": "Country",
                "country": code,
                "sector": "public_sector",
                "website": "",
                "description": "National government",
                "listed_publicly": "yes",
            }
        )
        if i < existing_countries:
            CountryFactory(country=code, name=f"Old name of {code}")
    for i in range(700):
        good.append(
            {
                "name": f"Direct Air Capture Works {i}",
                "kind": "company",
                "country": "CH",
                "sector": "Technology",
                "website": f"https://www.dac{i}.example.net/about",
                "description": "",
                "listed_publicly": "",
            }
        )
        if i < existing_companies:
            OrganisationFactory(name=f"DAC Works old {i}", website=f"http://dac{i}.example.net")
    for i in range(100):
        good.append(
            {
                "name": f"Soil Carbon Alliance {i}",
                "kind": "NGO",
                "country": "",
                "sector": "civil_society",
                "website": "",
                "description": "",
                "listed_publicly": "no",
            }
        )

    bad: list[tuple[dict, str]] = []
    for i in range(10):
        bad.append(({"name": "", "kind": "company", "website": f"https://noname{i}.example.org"}, "name"))
    for i in range(10):
        bad.append(
            (
                {"name": f"Mystery body {i}", "kind": "think tank", "website": f"mystery{i}.example.org"},
                "kind",
            )
        )
    for i, code in enumerate(["XX", "ZZ", "Atlantis", "QQ", "Narnia", "UK1", "EU", "Wakanda"]):
        bad.append(({"name": f"Nowhere {i}", "kind": "country", "country": code}, "country"))
    for i, url in enumerate(
        [
            "not a website",
            "http://exa mple.com",
            "https://",
            "htp//broken",
            "http://.",
            "https://under_score",
            "http://a b",
            "ftp:/x",
        ]
    ):
        bad.append(({"name": f"Bad link body {i}", "kind": "ngo", "website": url}, "website"))
    for i in range(7):
        bad.append(({"name": f"{i} " + "Very long organisation name " * 10, "kind": "ngo"}, "name"))
    for code in codes[100:107]:
        bad.append(({"name": f"Repeat of {code}", "kind": "country", "country": code}, "country"))

    # Interleave: a bad row after every 19 good ones, so errors land in different chunks of the import.
    rows: list[dict] = []
    bad_rows: dict[int, str] = {}
    good_iter, bad_iter = iter(good), iter(bad)
    while True:
        batch = [r for _, r in zip(range(19), good_iter, strict=False)]
        rows.extend(batch)
        item = next(bad_iter, None)
        if item is not None:
            row, column = item
            rows.append(row)
            bad_rows[len(rows) + 1] = column
        if not batch and item is None:
            break
    assert len(rows) == 1000 and len(bad_rows) == 50
    return OrganisationFile(
        rows=rows, bad_rows=bad_rows, existing_matched=existing_countries + existing_companies
    )
