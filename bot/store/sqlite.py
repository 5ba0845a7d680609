"""SQLite driver: one connection used from a worker thread, WAL so several processes can share it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Row = tuple[Any, ...]


class SqliteDriver:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=10
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._lock = asyncio.Lock()

    def _execute(self, sql: str, params: Sequence[Any]) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Row]:
        return [tuple(r) for r in self._conn.execute(sql, tuple(params)).fetchall()]

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._lock:
            return await asyncio.to_thread(self._execute, sql, params)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._lock:
            return await asyncio.to_thread(self._fetch, sql, params)

    def _script(self, statements: Sequence[str], version: int) -> None:
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            if int(c.execute("PRAGMA user_version").fetchone()[0]) >= version:
                c.execute("COMMIT")  # another process migrated while we waited for the lock
                return
            for s in statements:
                c.execute(s.replace("{serial}", "INTEGER PRIMARY KEY"))
            c.execute(f"PRAGMA user_version = {int(version)}")
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    async def script(self, statements: Sequence[str], version: int) -> None:
        async with self._lock:
            await asyncio.to_thread(self._script, statements, version)

    async def version(self) -> int:
        rows = await self.fetch("PRAGMA user_version")
        return int(rows[0][0])

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._conn.close)
