"""Shared fixtures: a Context over a fresh SQLite store, and the lab servers' fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import open_store
from bot.store.sql import SqlStore
from handlers.request import Context, HandlerSettings

# The lab servers' session fixtures, registered once so each server starts once per run.
pytest_plugins = ["tests.lab.dns", "tests.lab.postfix_peer", "tests.lab.postgres"]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    s = await open_store(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    yield s
    await s.close()


@pytest.fixture
def ctx(store: SqlStore) -> Context:
    return Context(settings=HandlerSettings(), store=store)
