"""PostgreSQL driver (psycopg 3, async): for several replicas sharing one database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import psycopg

Row = tuple[Any, ...]

_LOCK_KEY = 0x6D61696C  # advisory lock serialising migrations across replicas


class PostgresDriver:
    def __init__(
        self, conn: psycopg.AsyncConnection[Any], url: str = "", connect_timeout: float = 10.0
    ) -> None:
        self._conn = conn
        self._url = url
        self._timeout = connect_timeout
        self._lock = asyncio.Lock()

    @classmethod
    async def connect(cls, url: str, connect_timeout: float = 10.0) -> PostgresDriver:
        url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        url = url.replace("postgres://", "postgresql://", 1)
        return cls(await cls._open(url, connect_timeout), url, connect_timeout)

    @staticmethod
    async def _open(url: str, connect_timeout: float) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            url, autocommit=True, connect_timeout=int(connect_timeout)
        )

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        """The connection, opened again after the server dropped it (restart, failover)."""
        if self._conn.closed and self._url:
            self._conn = await self._open(self._url, self._timeout)
        return self._conn

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._lock:
            conn = await self._connection()
            cur = await conn.execute(self._sql(sql), tuple(params))
            return cur.rowcount

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._lock:
            conn = await self._connection()
            cur = await conn.execute(self._sql(sql), tuple(params))
            return [tuple(r) for r in await cur.fetchall()]

    async def script(self, statements: Sequence[str], version: int) -> None:
        async with self._lock, self._conn.transaction():
            await self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            cur = await self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            row = await cur.fetchone()
            if row is not None and int(row[0]) >= version:
                return  # another replica migrated while we waited
            for s in statements:
                await self._conn.execute(s.replace("{serial}", "BIGSERIAL PRIMARY KEY"))  # type: ignore[arg-type]
            await self._conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))

    async def version(self) -> int:
        # CREATE TABLE IF NOT EXISTS is not safe against a replica doing the same at the same
        # moment (both pass the check, one fails on pg_type): serialise it with the advisory lock.
        async with self._lock, self._conn.transaction():
            await self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)"
            )
            cur = await self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            row = await cur.fetchone()
            return int(row[0]) if row else 0

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()
