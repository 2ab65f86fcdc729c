# ruff: noqa: S608  (SQL built from this module's own constant lists; values go in as parameters)
"""A coalition-sized data set built in a few set-based SQL statements (PostgreSQL only).

``build(cursor, organisations=100_000, engagements=1_000_000)`` adds, beside whatever the database holds:
one record per country (from django-countries), ``organisations`` other organisations (each with a contact,
a membership of one of four tiers and a commitment), and ``engagements`` history entries spread over them;
then points every new organisation at its membership (as ``services.organisation_membership_refresh``
would) and ANALYZEs the tables so the planner sees the real sizes. ``bench/web.py`` uses it for its data
set and ``tests/performance/test_explain.py`` for a smaller one.

Rows go in with ``INSERT … SELECT FROM generate_series`` (no Python per row): 100,000 organisations and
1,000,000 engagements take about a minute on a small machine. History tables are left empty: no list reads
them.
"""

from __future__ import annotations

from django_countries import countries

KINDS = ["company", "ngo", "city", "region", "research", "investor", "other", "intergovernmental"]
SECTORS = [
    "energy",
    "aviation",
    "heavy_industry",
    "agriculture_land",
    "technology",
    "finance",
    "manufacturing",
]
PREFIXES = ["Nordic", "Atlantic", "Pacific", "Green", "Blue", "Alpine", "Boreal", "Coastal", "Solar",
            "Deep", "Arctic", "Baltic", "Andean", "Sahel"]  # fmt: skip
CORES = ["Carbon", "Climate", "Removals", "Forest", "Soil", "Ocean", "Energy", "Capture", "Biochar",
         "Mineral", "Kelp", "Peat", "Basalt"]  # fmt: skip
SUFFIXES = ["Capture", "Solutions", "Partners", "Institute", "Alliance", "Trust", "Labs", "Fund", "Network",
            "Foundation", "Group", "AG"]  # fmt: skip
FIRST = ["Mette", "Jan", "Edda", "Sara", "Lars", "Aino", "Juan", "Karma", "Amina", "Oskar", "Freja", "Mateo"]
LAST = [
    "Frederiksen",
    "Jensen",
    "Wurzbacher",
    "Aradottir",
    "Virtanen",
    "Moreno",
    "Wangchuk",
    "Hansen",
    "Berg",
]
# Membership statuses by share: most members active, some in grace, lapsed, pending or withdrawn.
STATUSES = ["active"] * 14 + ["grace"] * 2 + ["lapsed"] * 2 + ["pending", "withdrawn"]
COMMITMENT_KINDS = ["net_zero", "net_zero", "net_zero", "net_negative", "carbon_neutral", "climate_neutral",
                    "emissions_reduction", "emissions_reduction", "removal_target", "other"]  # fmt: skip
COMMITMENT_STATUSES = ["pledge", "pledge", "policy_document", "ndc", "law", "proposed"]
ENGAGEMENT_KINDS = ["meeting", "call", "email", "letter", "event", "note"]
TIERS = [("Bench founding member", "bench-founding"), ("Bench member", "bench-member"),
         ("Bench associate", "bench-associate"), ("Bench partner", "bench-partner")]  # fmt: skip


def _array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _pick(values: list[str], expr: str) -> str:
    """The SQL for ``values[expr mod len]`` (arrays count from 1)."""
    return f"({_array(values)})[1 + mod(({expr}), {len(values)})]"


def build(cursor, *, organisations: int, engagements: int, analyze: bool = True) -> dict[str, int]:
    """Add the data set through ``cursor`` (a DB-API cursor on PostgreSQL); return what was added."""
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM members_organisation")
    before = cursor.fetchone()[0]
    for name, slug in TIERS:
        cursor.execute(
            "INSERT INTO members_membershiptier (created_at, updated_at, name, slug, description, currency, "
            "period_months, grace_days, starts_pending, open_to_applicants, sort_order, fee_first, "
            "grace_reminder, name_translations) "
            "VALUES (now(), now(), %s, %s, '', 'EUR', 12, 30, false, true, 0, false, true, '{}') "
            "ON CONFLICT (slug) DO NOTHING",
            [name, slug],
        )
    cursor.execute(
        "SELECT array_agg(id ORDER BY id) FROM members_membershiptier WHERE slug = ANY(%s)",
        [[t[1] for t in TIERS]],
    )
    tier_ids = cursor.fetchone()[0]

    # Countries first (one record per country), skipping those the database already has.
    codes = [code for code, _ in countries]
    names = [str(name) for _, name in countries]
    cursor.execute(
        "INSERT INTO members_organisation (created_at, updated_at, name, kind, country, sector, website, "
        "website_domain, description, listed_publicly, name_key, isin, membership_status, "
        "preferred_language) "
        "SELECT now(), now(), n, 'country', c, 'public_sector', '', '', '', true, lower(n), '', '', 'en' "
        "FROM unnest(%s::text[], %s::text[]) AS t(c, n) "
        "WHERE NOT EXISTS "
        "(SELECT 1 FROM members_organisation o WHERE o.kind = 'country' AND o.country = t.c)",
        [codes, names],
    )
    # Countries are not members here: "never a member" has rows behind it.
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM members_organisation")
    before = cursor.fetchone()[0]
    name = (
        f"{_pick(PREFIXES, 'g')} || ' ' || {_pick(CORES, 'g / 14')} || ' ' || {_pick(SUFFIXES, 'g / 182')}"
        " || ' ' || g"
    )
    cursor.execute(
        "INSERT INTO members_organisation (created_at, updated_at, name, kind, country, sector, website, "
        "website_domain, description, listed_publicly, name_key, isin, membership_status, "
        "preferred_language) "
        f"SELECT now() - mod(g, 2000) * interval '1 day', now(), {name}, {_pick(KINDS, 'g')}, "
        f"{_pick(codes, 'g * 7')}, {_pick(SECTORS, 'g / 3')}, "
        "'https://org' || g || '.example.org', 'org' || g || '.example.org', '', mod(g, 5) < 3, "
        f"lower({name}), '', '', 'en' FROM generate_series(1, %s) AS g",
        [organisations],
    )
    # The new organisations, in id order, numbered from 0: the other rows refer to them by number.
    cursor.execute(
        "CREATE TEMP TABLE bench_orgs ON COMMIT DROP AS "
        "SELECT id, ((row_number() OVER (ORDER BY id)) - 1)::int AS n "
        "FROM members_organisation WHERE id > %s",
        [before],
    )
    cursor.execute("CREATE INDEX ON bench_orgs (n)")
    cursor.execute("SELECT COUNT(*) FROM bench_orgs")
    added = cursor.fetchone()[0]
    first, last = _pick(FIRST, "n"), _pick(LAST, "n / 12")
    cursor.execute(
        "INSERT INTO members_contact (created_at, updated_at, name, email, phone, job_title, is_primary, "
        f"organisation_id, preferred_language) SELECT now(), now(), {first} || ' ' || {last}, "
        f"lower({first}) || '.' || lower({last}) || n || '@org' || n || '.example.org', '', 'Director', "
        "true, id, 'en' "
        "FROM bench_orgs"
    )
    status = _pick(STATUSES, "n * 3")
    cursor.execute(
        "INSERT INTO members_membership (created_at, updated_at, status, joined_on, start_date, end_date, "
        "status_override, override_reason, notes, tier_id, organisation_id) "
        f"SELECT now(), now(), {status}, current_date - mod(n, 3000), "
        "current_date - mod(n, 300), current_date - mod(n, 300) + 364, false, '', '', "
        "(%s::bigint[])[1 + mod(n, 4)], id FROM bench_orgs",
        [tier_ids],
    )
    cursor.execute(
        "INSERT INTO members_commitment (created_at, updated_at, kind, title, target_year, "
        "reduction_percent, status, gases, scope, uses_removals, uses_offsets, is_interim, source_url, "
        "notes, organisation_id, accountability, carbon_credit_conditions, covers_consumption_emissions, "
        "covers_international_aviation, "
        "covers_international_shipping, published_plan, reporting_mechanism, separate_removal_target, "
        f"source_identifier) SELECT now(), now(), {_pick(COMMITMENT_KINDS, 'n')}, '', 2030 + mod(n, 41), "
        f"CASE WHEN mod(n, 10) = 3 THEN 110 ELSE 100 END, {_pick(COMMITMENT_STATUSES, 'n / 10')}, 'unknown', "
        "'unknown', 'unknown', 'unknown', mod(n, 7) = 0, '', '', id, 'unknown', '', 'unknown', 'unknown', "
        "'unknown', 'unknown', 'unknown', 'unknown', '' FROM bench_orgs"
    )
    if engagements and added:
        cursor.execute(
            "INSERT INTO members_engagement (created_at, updated_at, kind, occurred_at, summary, details, "
            f"organisation_id) SELECT now(), now(), {_pick(ENGAGEMENT_KINDS, 'g')}, "
            "now() - mod(g, 3650) * interval '1 day' - mod(g, 86400) * interval '1 second', "
            "'Conversation on removals #' || g, '', o.id "
            "FROM generate_series(0, %s - 1) AS g JOIN bench_orgs o ON o.n = mod(g, %s)",
            [engagements, added],
        )
    # What services.organisation_membership_refresh keeps: each new organisation has one membership.
    cursor.execute(
        "UPDATE members_organisation o SET current_membership_id = m.id, membership_status = m.status "
        "FROM members_membership m, bench_orgs b WHERE o.id = b.id AND m.organisation_id = b.id"
    )
    cursor.execute("DROP TABLE bench_orgs")
    if analyze:
        for table in ("organisation", "contact", "membership", "membershiptier", "commitment", "engagement"):
            cursor.execute(f"ANALYZE members_{table}")
    return {"organisations": added, "engagements": engagements if added else 0}
