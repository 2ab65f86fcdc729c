"""Staff search latency at 100,000 organisations on PostgreSQL (not a test; prints figures).

Creates (or re-creates) its own database, fills it in bulk, then times ``search_everything`` (one
query per kind: organisations, contacts, enquiries, subscribers) for a mix of exact names, typos,
substrings, domains and email fragments, and prints the median and 95th percentile per query and overall.

    .venv/bin/python bench/search.py                       # 100,000 organisations, database coalition_bench
    .venv/bin/python bench/search.py --organisations 20000 --repeat 10
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalition_bench_x .venv/bin/python bench/search.py

``BENCH_DATABASE_URL`` names the database (default ``coalition_bench``); it is created if missing and,
unless ``--keep`` finds it filled, dropped and filled afresh; only a name containing "bench" is dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import bench_database  # noqa: E402 - the repository root is on the path now

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/coalition_bench"

QUERIES = [
    ("Denmark", "exact country name"),
    ("Danmark", "typo in a country"),
    ("Finnland", "typo in a country"),
    ("Climworks", "typo in a company"),
    ("nordik carbon capture", "typo, several words"),
    ("Removals", "common word"),
    ("oceanremovals", "website domain"),
    ("jensen@", "email fragment"),
    ("Mette Frederiksn", "typo in a person"),
    ("Xylophone Quartet", "no match"),
]

PREFIXES = [
    "Nordic",
    "Atlantic",
    "Pacific",
    "Green",
    "Blue",
    "Alpine",
    "Boreal",
    "Coastal",
    "Solar",
    "Deep",
    "Arctic",
    "Baltic",
    "Andean",
    "Sahel",
]
CORES = [
    "Carbon",
    "Climate",
    "Removals",
    "Forest",
    "Soil",
    "Ocean",
    "Energy",
    "Capture",
    "Biochar",
    "Mineral",
    "Kelp",
    "Peat",
    "Basalt",
]
SUFFIXES = [
    "Capture",
    "Solutions",
    "Partners",
    "Institute",
    "Alliance",
    "Trust",
    "Labs",
    "Fund",
    "Network",
    "Foundation",
    "Group",
    "AG",
]
FIRST = [
    "Mette",
    "Jan",
    "Edda",
    "Sara",
    "Lars",
    "Aino",
    "Juan",
    "Karma",
    "Amina",
    "Oskar",
    "Freja",
    "Mateo",
    "Leila",
    "Tenzin",
    "Ingrid",
    "Kofi",
]
LAST = [
    "Frederiksen",
    "Jensen",
    "Wurzbacher",
    "Aradottir",
    "Virtanen",
    "Moreno",
    "Wangchuk",
    "Hansen",
    "Nielsen",
    "Mensah",
    "Berg",
]


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")
    os.environ.pop("REDIS_URL", None)  # not needed; keeps Celery eager
    import django

    django.setup()


def _fill(organisations: int, contacts: int, enquiries: int, rng: random.Random) -> None:
    from django_countries import countries

    from members.models import Contact, Enquiry, Organisation

    batch = 10_000
    country_codes = [code for code, _ in countries]
    Organisation.objects.bulk_create(
        [
            Organisation(name=str(name), kind=Organisation.Kind.COUNTRY, country=code, sector="public_sector")
            for code, name in countries
        ]
    )
    kinds = [k for k in Organisation.Kind.values if k != Organisation.Kind.COUNTRY]
    made = len(country_codes)
    while made < organisations:
        rows = []
        for i in range(made, min(organisations, made + batch)):
            prefix, core, suffix = rng.choice(PREFIXES), rng.choice(CORES), rng.choice(SUFFIXES)
            domain = f"{prefix}{core}{i}.example.com".lower()
            rows.append(
                Organisation(
                    name=f"{prefix} {core} {suffix} {i}",
                    kind=rng.choice(kinds),
                    country=rng.choice(country_codes),
                    website=f"https://www.{domain}/",
                    website_domain=domain,
                )
            )
        Organisation.objects.bulk_create(rows)
        made += len(rows)
    # A few well-known names the queries look for.
    Organisation.objects.create(
        name="Climeworks AG", kind="company", country="CH", website="https://climeworks.com"
    )
    Organisation.objects.create(name="Nordic Carbon Capture", kind="company", country="DK")
    Organisation.objects.create(
        name="Ocean Removals", kind="company", website="https://oceanremovals.example.org"
    )

    ids = list(Organisation.objects.values_list("pk", flat=True))
    made = 0
    while made < contacts:
        rows = []
        for i in range(made, min(contacts, made + batch)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            rows.append(
                Contact(
                    organisation_id=rng.choice(ids),
                    name=f"{first} {last}",
                    email=f"{first}.{last}{i}@example.org".lower(),
                )
            )
        Contact.objects.bulk_create(rows)
        made += len(rows)

    made = 0
    while made < enquiries:
        rows = []
        for i in range(made, min(enquiries, made + batch)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            prefix, core, suffix = rng.choice(PREFIXES), rng.choice(CORES), rng.choice(SUFFIXES)
            rows.append(
                Enquiry(
                    organisation_name=f"{prefix} {core} {suffix} {i}",
                    organisation_kind="company",
                    contact_name=f"{first} {last}",
                    email=f"{first}{i}@applicant.example.org".lower(),
                    motivation="We remove carbon.",
                    consent_to_contact=True,
                )
            )
        Enquiry.objects.bulk_create(rows)
        made += len(rows)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _time(backend: str, repeat: int) -> tuple[list[tuple[str, str, float, float, int]], list[float]]:
    from members.search import search_everything

    rows, everything = [], []
    for query, what in QUERIES:
        search_everything(query=query, backend=backend)  # warm the cache and plan
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            results = search_everything(query=query, backend=backend)
            timings.append((time.perf_counter() - start) * 1000)
        everything.extend(timings)
        first = results["organisations"][0].title if results["organisations"] else "–"
        hits = sum(len(v) for v in results.values())
        rows.append((f"{query} ({what})", first, statistics.median(timings), _percentile(timings, 95), hits))
    return rows, everything


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--enquiries", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    parser.add_argument("--fallback", action="store_true", help="also time the icontains fallback")
    parser.add_argument("--keep", action="store_true", help="reuse the filled database if it exists")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)

    bench_database(url, keep=args.keep)
    _setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from members.models import Contact, Enquiry, Organisation

    started = time.perf_counter()
    # --keep reuses a filled database; a fresh or empty one (no tables yet) is migrated and filled.
    tables = connection.introspection.table_names()
    filled = "members_organisation" in tables and Organisation.objects.exists()
    if not filled:
        call_command("migrate", verbosity=0)
        _fill(args.organisations, args.contacts, args.enquiries, random.Random(2023))
        # Bulk inserts bypass the services that record the words of names (typo search); read them all.
        from members.services import search_words_rebuild

        search_words_rebuild()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # set hint bits and the visibility map, as a live database has
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(
        f"PostgreSQL {version}; {Organisation.objects.count():,} organisations, {Contact.objects.count():,} "
        f"contacts, {Enquiry.objects.count():,} enquiries (set up in {time.perf_counter() - started:.0f} s); "
        f"{args.repeat} timed runs per query, search_everything(limit=20) = one query per kind "
        "(organisations, contacts, enquiries, subscribers)\n"
    )
    backends = ["postgresql", "fallback"] if args.fallback else ["postgresql"]
    for backend in backends:
        rows, everything = _time(backend, args.repeat)
        print(f"backend: {backend}")
        print("| query | first organisation | median ms | p95 ms | hits |\n|---|---|---:|---:|---:|")
        for label, first, median, p95, hits in rows:
            print(f"| {label} | {first} | {median:.1f} | {p95:.1f} | {hits} |")
        print(
            f"| **all queries** | | **{statistics.median(everything):.1f}** | "
            f"**{_percentile(everything, 95):.1f}** | |\n"
        )


if __name__ == "__main__":
    main()
