"""The bench scripts' scratch databases: made on the server ``BENCH_DATABASE_URL`` (or the script's default)
names, and only dropped when their name says they are a bench's."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit


def bench_database(url: str, *, keep: bool = True) -> bool:
    """Make sure the database ``url`` names exists. With ``keep`` an existing one is left as it is;
    without, it is dropped and made again (only a name with "bench" in it, a guard against pointing a
    script at real data). Returns True when the database is new, so the caller must fill it."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            exists = cursor.fetchone() is not None
            if exists and keep:
                return False
            if exists:
                if "bench" not in name:
                    sys.exit(f"Refusing to drop {name!r}: a bench database's name must contain 'bench'.")
                cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        admin.close()
