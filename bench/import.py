"""Import throughput: the spreadsheet import service against a plain PostgreSQL COPY of the same file.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalition_bench_import \
        .venv/bin/python bench/import.py [--rows 100000] [--tracker-rows 0]

Works in a scratch database, created fresh and migrated here and dropped afterwards unless ``--keep``: the
database ``BENCH_DATABASE_URL`` names (dropped first if it exists: never point it at real data), or, without
it, ``<name>_bench_import`` beside ``DATABASE_URL``'s database. The figures never touch real data.
It writes one CSV of organisations (companies with
websites, NGOs without, 1 % bad rows, and 1 % of rows matching records that already exist), then:

1. imports it through ``members.imports.services.import_run`` (the path of staff uploads and the Celery task):
   parsing, natural-key matching, validation, history records, chunked commits;
2. loads the same file with ``COPY … FROM STDIN (FORMAT csv)`` into a scratch table of text columns:
   the floor of what PostgreSQL can ingest, with no matching or validation at all;
3. a set-based floor (``set_based_floor``);
4. a COPY peer (``copy_peer``): the records the service created, and their history rows, copied out and
   loaded back with ``COPY`` straight into ``members_organisation`` and its history table (every index and
   constraint in place), in a transaction that is rolled back: what PostgreSQL alone costs for the same
   records in the same tables.

The figures are printed in rows per second, with the service's ratio to the COPYs. Then it times
``import_tracker`` (members.climate.tracker) on a generated Net Zero Tracker file of ``--tracker-rows`` rows
(5,000 by default: the UN member states' countries and companies with ISINs, each with an end and, for
most, an interim target), once to create everything and once more to find it all unchanged.
"""

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMNS = ["name", "kind", "country", "sector", "website", "description", "listed_publicly"]


def build_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for i in range(rows):
        if i % 100 == 99:  # a bad row: unknown kind
            writer.writerow(
                [f"Unclassified body {i}", "spaceship", "", "", f"https://bad{i}.example.org", "", ""]
            )
        elif i % 10 == 0:  # an NGO without a website: matched by name
            writer.writerow([f"Soil Carbon Alliance {i}", "ngo", "BR", "civil_society", "", "", "no"])
        else:
            writer.writerow(
                [
                    f"Removal Works {i}",
                    "company",
                    "CH",
                    "technology",
                    f"https://www.removals{i}.example.net/",
                    "Direct air capture and storage",
                    "yes",
                ]
            )
    return out.getvalue().encode()


TRACKER_COLUMNS = [
    "Last_updated", "ID_Code", "ISIN_ID", "Name", "Country", "Geographic_region", "Entity_type", "End_target",
    "End_target_percentage_reduction", "End_target_baseline_year", "End_target_year", "Status_of_end_target",
    "Date_of_last_status_update", "End_target_text", "Interim_target", "Interim_target_year",
    "Interim_target_percentage_reduction", "Interim_target_baseline_year", "GHGs_covered", "Published_plan",
    "Reporting_mechanism", "Accountability_delivery", "Carbon_credits", "Separate_removal_target",
    "Planning_removals", "Consumption_emissions", "International_aviation", "International_shipping", "GDP",
]  # fmt: skip
TRACKER_KINDS = ["Net zero", "Carbon neutral(ity)", "Climate neutral(ity)", "Emissions reduction target",
                 "Carbon negative", "GHG neutral(ity)"]  # fmt: skip
TRACKER_STATUSES = ["In law", "In policy document", "In corporate strategy", "Declaration / pledge",
                    "Proposed / in discussion", "Achieved (self-declared)"]  # fmt: skip


def build_tracker_csv(rows: int) -> bytes:
    """A Net Zero Tracker CSV: every UN member state once (as far as ``rows`` goes), then companies."""
    from django_countries import countries

    from members.climate.countries import UN_MEMBER_STATES

    states = sorted(UN_MEMBER_STATES)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TRACKER_COLUMNS)
    for i in range(rows):
        is_country = i < len(states)
        code = states[i % len(states)]
        year = 2030 + 5 * (i % 10)
        writer.writerow(
            [
                "2025-03-01",
                f"{'COU' if is_country else 'COM'}-{i:05d}",
                "" if is_country else f"XS{i:010d}",
                countries.name(code) if is_country else f"Removal Works {i}",
                countries.alpha3(code),
                "Europe",
                "Country" if is_country else "Company",
                TRACKER_KINDS[i % len(TRACKER_KINDS)],
                "" if i % 3 else "100",
                "" if i % 3 else "1990",
                year,
                TRACKER_STATUSES[i % len(TRACKER_STATUSES)],
                "2024-06-01",
                f"Target {i}",
                "Emissions reduction target" if i % 4 else "No target",
                2030,
                50,
                2010,
                "All GHGs",
                "Yes",
                "Annual reporting",
                "Not specified",
                "No",
                "No",
                "Yes",
                "Not specified",
                "No",
                "No",
                "1000000",
            ]
        )
    return out.getvalue().encode()


def set_based_floor(connection, content: bytes) -> tuple[float, int, float]:
    """What a set-based import could reach at best on this table: stream the rows, with the matching keys
    worked out in Python (``members.matching``, the import's own normalisation), into a temporary table
    with ``COPY``; then write every valid new row and its history row with one ``INSERT … SELECT`` each,
    every index of both tables maintained. No per-field validation, no matching
    against existing records, no modes: a floor, not an import. Rolled back.
    """
    from django.db import transaction

    from members.matching import normalise_name, website_domain
    from members.models import Organisation

    started = time.perf_counter()
    staged = io.StringIO()
    writer = csv.writer(staged)
    for row in csv.DictReader(io.StringIO(content.decode())):
        writer.writerow(
            [row[c] for c in COLUMNS] + [normalise_name(row["name"]), website_domain(row["website"])]
        )
    staged.seek(0)
    with transaction.atomic(), connection.cursor() as cursor:
        pg = cursor.connection.cursor()
        pg.execute(
            "CREATE TEMP TABLE import_staging ("
            + ", ".join(f"{c} text" for c in [*COLUMNS, "name_key", "website_domain"])
            + ") ON COMMIT DROP"
        )
        pg.copy_expert("COPY import_staging FROM STDIN WITH (FORMAT csv)", staged)
        staged_seconds = time.perf_counter() - started
        fields = (
            "name, kind, country, sector, website, website_domain, description, listed_publicly, name_key"
        )
        pg.execute(
            f"""
            WITH inserted AS (
                INSERT INTO members_organisation
                    (created_at, updated_at, isin, preferred_language, membership_status, {fields})
                SELECT now(), now(), '', '', '', name, kind, coalesce(country, ''), coalesce(sector, ''),
                       coalesce(website, ''), coalesce(website_domain, ''), coalesce(description, ''),
                       coalesce(listed_publicly IN ('yes', 'true', '1'), false), name_key
                FROM import_staging WHERE kind = ANY(%s)
                RETURNING id, created_at, updated_at, isin, preferred_language, {fields}
            )
            INSERT INTO members_historicalorganisation
                (id, created_at, updated_at, isin, preferred_language, {fields},
                 history_date, history_change_reason, history_type)
            SELECT id, created_at, updated_at, isin, preferred_language, {fields}, now(), 'Imported', '+'
            FROM inserted
            """,  # noqa: S608 - the column names are this file's own; values go as parameters
            [[value for value, _label in Organisation.Kind.choices]],
        )
        written = pg.rowcount
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, written, staged_seconds


def index_counts(connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, count(*), count(*) FILTER (WHERE indexdef LIKE '%% USING gin %%')"
            " FROM pg_indexes WHERE tablename IN (%s, %s) GROUP BY tablename",
            ["members_organisation", "members_historicalorganisation"],
        )
        counts = {table: (n, gin) for table, n, gin in cursor.fetchall()}
    n, gin = counts.get("members_organisation", (0, 0))
    history = counts.get("members_historicalorganisation", (0, 0))[0]
    return f"{n} indexes ({gin} GIN) on members_organisation, {history} on its history table"


_PEER_RECORDS = "SELECT * FROM members_organisation WHERE id > %s ORDER BY id"
_PEER_HISTORY = (
    "SELECT * FROM members_historicalorganisation WHERE id > %s AND history_type = '+' ORDER BY history_id"
)


def copy_peer(connection, first_id: int) -> tuple[int, float, float]:
    """``COPY`` of the records the service created (ids above ``first_id``), and of their creation history
    rows, back into the same tables: copied out, deleted and loaded again in one transaction that is
    rolled back. Returns (records, seconds for the records, seconds for records and history rows)."""
    records, history = io.StringIO(), io.StringIO()
    with connection.cursor() as cursor:
        raw = cursor.connection
        pg = raw.cursor()
        for query, out in ((_PEER_RECORDS, records), (_PEER_HISTORY, history)):
            pg.copy_expert(f"COPY ({pg.mogrify(query, [first_id]).decode()}) TO STDOUT", out)
            out.seek(0)
        count = records.getvalue().count("\n")
        raw.commit()
        try:
            pg.execute(
                "DELETE FROM members_historicalorganisation WHERE id > %s AND history_type = '+'", [first_id]
            )
            pg.execute("DELETE FROM members_organisation WHERE id > %s", [first_id])
            started = time.perf_counter()
            pg.copy_expert("COPY members_organisation FROM STDIN", records)
            records_seconds = time.perf_counter() - started
            pg.copy_expert("COPY members_historicalorganisation FROM STDIN", history)
            both_seconds = time.perf_counter() - started
        finally:
            raw.rollback()
    return count, records_seconds, both_seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--tracker-rows", type=int, default=5_000, help="rows of the generated tracker file (0: skip it)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    bench_url = os.environ.get("BENCH_DATABASE_URL", "")
    url = bench_url or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set BENCH_DATABASE_URL (the scratch database itself) or DATABASE_URL (a PostgreSQL server; the "
            "bench creates <name>_bench_import there) to a PostgreSQL URL."
        )
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "coalition"
    scratch = name if bench_url else f"{name}_bench_import"
    # CREATE/DROP DATABASE from the maintenance database: the named one need not exist.
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{scratch}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")
    os.environ.setdefault("DJANGO_ENV", "test")
    os.environ["REDIS_URL"] = ""  # nothing here needs a broker

    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        from members.imports.services import import_run
        from members.models import Organisation

        content = build_csv(args.rows)
        # 1 % of the file's rows already exist (under older names), so matching is exercised too.
        Organisation.objects.bulk_create(
            [
                Organisation(
                    name=f"Old name {i}",
                    kind="company",
                    website=f"https://removals{i}.example.net",
                    website_domain=f"removals{i}.example.net",
                )
                for i in range(1, args.rows, 100)
                if i % 10 and i % 100 != 99
            ]
        )
        existing = Organisation.objects.count()
        first_id = max(Organisation.objects.values_list("id", flat=True))
        print(f"{args.rows:,} rows ({len(content) / 1e6:.1f} MB CSV), {existing:,} matching records exist")
        print(index_counts(connection))

        started = time.perf_counter()
        outcome = import_run(resource="organisations", content=content, fmt="csv", source_name="bench.csv")
        service_seconds = time.perf_counter() - started
        print(
            f"import service : {args.rows / service_seconds:9,.0f} rows/s  ({service_seconds:6.1f} s; "
            f"{outcome.created:,} created, {outcome.updated:,} updated, {outcome.error_rows:,} row errors)"
        )

        with connection.cursor() as cursor:
            raw = cursor.connection
            with raw.cursor() as pg:
                pg.execute("CREATE TABLE bench_copy (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
                raw.commit()
                started = time.perf_counter()
                pg.copy_expert(
                    "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", io.BytesIO(content)
                )
                raw.commit()
                copy_seconds = time.perf_counter() - started
                pg.execute("SELECT count(*) FROM bench_copy")
                copied = pg.fetchone()[0]
        print(
            f"plain COPY     : {copied / copy_seconds:9,.0f} rows/s  ({copy_seconds:6.2f} s; {copied:,} rows)"
        )
        print(f"COPY is {service_seconds / copy_seconds:,.0f}× faster; it does no matching or validation.")
        floor_seconds, written, staged_seconds = set_based_floor(connection, content)
        print(
            f"set-based floor: {args.rows / floor_seconds:9,.0f} rows/s  ({floor_seconds:6.2f} s; "
            f"{written:,} records and history rows; rolled back; keys in Python + COPY to staging "
            f"{staged_seconds:.2f} s, INSERT … SELECT {floor_seconds - staged_seconds:.2f} s)"
        )
        print(
            f"ratios to COPY : import service {copy_seconds / service_seconds:.4f}x, "
            f"set-based floor {copy_seconds / floor_seconds:.3f}x"
        )
        peer_records, peer_seconds, peer_both_seconds = copy_peer(connection, first_id)
        print(
            f"COPY peer      : {peer_records / peer_seconds:9,.0f} rows/s  ({peer_seconds:6.2f} s; the "
            f"{peer_records:,} records the service created, COPY into members_organisation; rolled back)"
        )
        print(
            f"  + history    : {peer_records / peer_both_seconds:9,.0f} rows/s  ({peer_both_seconds:6.2f} s; "
            "the same records and their creation history rows, COPY into both tables)"
        )
        service_rate = args.rows / service_seconds
        print(
            f"service ratio  : {service_rate / (peer_records / peer_seconds):.3f}x the COPY peer, "
            f"{service_rate / (peer_records / peer_both_seconds):.3f}x the COPY peer with history, "
            f"{copy_seconds / service_seconds:.4f}x plain COPY into a text table"
        )

        from members.climate.tracker import Create, tracker_import

        if not args.tracker_rows:
            return
        tracker_content = build_tracker_csv(args.tracker_rows)
        for label in ("import_tracker", "again (no change)"):
            started = time.perf_counter()
            outcome = tracker_import(content=tracker_content, fmt="csv", create=Create.ALL)
            seconds = time.perf_counter() - started
            print(
                f"{label:<15}: {args.tracker_rows / seconds:9,.0f} rows/s  ({seconds:6.1f} s; "
                f"{outcome.created:,} commitments and {outcome.organisations_created:,} organisations "
                f"created, {outcome.unchanged:,} unchanged, {outcome.error_rows:,} row errors)"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.close()


if __name__ == "__main__":
    main()
