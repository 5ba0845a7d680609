"""Reads the local Postfix/Dovecot log files (plain or .gz) into tracks, in a worker thread."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, tzinfo

from handlers.conntrack.model import Track
from handlers.conntrack.postfix_log import LogReader
from handlers.conntrack.sources import Query, select, wanted
from handlers.errors import ApplianceError
from handlers.request import ApplianceSettings
from knowledge.loader import load

MAX_BYTES = 2_000_000_000  # per query: a busy day's log fits many times over


class PostfixSource:
    name = "postfix"

    def __init__(self, settings: ApplianceSettings) -> None:
        self.settings = settings

    async def fetch(self, query: Query) -> list[Track]:
        if not self.settings.log_paths:
            raise ApplianceError(load().text("conntrack.error.no_logs", query.lang))
        tracks = await asyncio.to_thread(
            read_files, self.settings.log_paths, query.lang, lambda t: wanted(t, query)
        )
        return select(tracks, query)


def read_files(
    paths: Sequence[str], lang: str = "en", keep: Callable[[Track], bool] | None = None
) -> list[Track]:
    """The tracks in the files (those `keep` accepts), read in the order given, oldest first."""
    reader = LogReader(tz=_local_tz())
    budget = MAX_BYTES
    for path in paths:
        try:
            for line in _lines(path):
                budget -= len(line)
                if budget < 0:
                    break
                reader.feed(line)
        except OSError as exc:
            raise ApplianceError(
                load().text("conntrack.error.log_unreadable", lang, path=path, detail=exc.strerror)
            ) from exc
    return reader.tracks(keep)


def _lines(path: str) -> Iterator[str]:
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            yield from fh
    else:
        with open(path, encoding="utf-8", errors="replace") as fh:
            yield from fh


def _local_tz() -> tzinfo | None:
    return datetime.now().astimezone().tzinfo
