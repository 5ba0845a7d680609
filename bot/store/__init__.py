"""Persistent state behind handlers.store.Store: SQLite by default, PostgreSQL for several replicas."""

from __future__ import annotations

from urllib.parse import urlparse

from bot.store.sql import SqlStore


class StoreError(Exception):
    """The database could not be opened or migrated; the message names MAILTRIAGE_DB."""


async def open_store(url: str) -> SqlStore:
    """Open (creating and migrating on first use) the database named by MAILTRIAGE_DB."""
    try:
        if url.startswith("sqlite:"):
            from bot.store.sqlite import SqliteDriver

            store = SqlStore(SqliteDriver(_sqlite_file(url)))
        else:
            from bot.store.postgres import PostgresDriver

            store = SqlStore(await PostgresDriver.connect(url))
        await store.migrate()
        return store
    except StoreError:
        raise
    except Exception as exc:
        safe = _redact(url)
        raise StoreError(f"MAILTRIAGE_DB: cannot open {safe}: {exc}") from exc


def _sqlite_file(url: str) -> str:
    if url in ("sqlite://", "sqlite:///:memory:"):
        return ":memory:"
    rest = url.split(":", 1)[1]
    if rest.startswith("///"):  # sqlite:///relative.db, sqlite:////absolute/path.db
        return rest[3:]
    raise StoreError(f"MAILTRIAGE_DB: `{url}` should look like sqlite:///path/to/file.db")


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url
