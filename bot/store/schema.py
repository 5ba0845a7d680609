"""The database schema as numbered migrations; SQLite and PostgreSQL run the same statements.

`{serial}` stands for an auto-numbered primary key, the one spelling the two differ on. A database
records the last migration it ran and runs the later ones when opened, so a new migration is a new
tuple at the end: never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS seen_events (key TEXT PRIMARY KEY, seen_at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX IF NOT EXISTS seen_events_at ON seen_events (seen_at)",
        "CREATE TABLE IF NOT EXISTS user_prefs (platform TEXT NOT NULL, user_id TEXT NOT NULL,"
        " lang TEXT NOT NULL, PRIMARY KEY (platform, user_id))",
        "CREATE TABLE IF NOT EXISTS watch (target TEXT PRIMARY KEY, kind TEXT NOT NULL,"
        " added_by TEXT NOT NULL, added_at DOUBLE PRECISION NOT NULL, source TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS listing (target TEXT NOT NULL, zone TEXT NOT NULL,"
        " state TEXT NOT NULL, codes TEXT NOT NULL, txt TEXT NOT NULL,"
        " since DOUBLE PRECISION NOT NULL, checked_at DOUBLE PRECISION NOT NULL,"
        " unknown_since DOUBLE PRECISION, alerted_unreachable INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (target, zone))",
        "CREATE TABLE IF NOT EXISTS outbox (id {serial}, key TEXT NOT NULL,"
        " destination TEXT NOT NULL, incident TEXT NOT NULL, payload TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0, next_at DOUBLE PRECISION NOT NULL,"
        " created_at DOUBLE PRECISION NOT NULL, sent_at DOUBLE PRECISION, last_error TEXT,"
        " UNIQUE (key, destination))",
        "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (destination, sent_at, next_at)",
        "CREATE TABLE IF NOT EXISTS threads (destination TEXT NOT NULL, incident TEXT NOT NULL,"
        " ref TEXT NOT NULL, PRIMARY KEY (destination, incident))",
        "CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL,"
        " expires DOUBLE PRECISION NOT NULL)",
    ),
    # 2: an outbox row is claimed before its post (in doubt if the poster died before marking it)
    # and can end as failed (a chat kept refusing it, or its list was dropped from the settings)
    (
        "ALTER TABLE outbox ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE outbox ADD COLUMN claim TEXT",
        "ALTER TABLE outbox ADD COLUMN claimed_at DOUBLE PRECISION",
        "ALTER TABLE outbox ADD COLUMN failed_at DOUBLE PRECISION",
    ),
)
