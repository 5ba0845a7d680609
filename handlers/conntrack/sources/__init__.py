"""The adapters behind one interface: a Query in, Tracks out; `open_source` picks one by kind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import httpx

from handlers.conntrack.model import Track, TrackStatus
from handlers.request import ApplianceSettings

KINDS = ("generic", "pmg", "mailcow", "postfix")


@dataclass(frozen=True, slots=True)
class Query:
    """What to pull: tracks involving `address` between `since` and `until` (epoch seconds)."""

    address: str
    since: float
    until: float
    direction: str | None = None
    protocol: str | None = None
    failed_only: bool = False
    limit: int = 500
    lang: str = "en"


class Source(Protocol):
    name: str

    async def fetch(self, query: Query) -> list[Track]: ...


def wanted(track: Track, query: Query) -> bool:
    """Whether a track answers the query (address, window, direction, protocol, failed only)."""
    if not query.since <= track.time <= query.until:
        return False
    if query.direction and track.direction != query.direction:
        return False
    if query.protocol and track.protocol != query.protocol:
        return False
    if query.failed_only and not (track.status.failed or track.status is TrackStatus.GREYLISTED):
        return False
    return not query.address or track.involves(query.address)


def select(tracks: Iterable[Track], query: Query) -> list[Track]:
    """The tracks answering the query, newest first, at most `query.limit` of them."""
    found = [t for t in tracks if wanted(t, query)]
    found.sort(key=lambda t: t.time, reverse=True)
    return found[: query.limit]


def open_source(
    settings: ApplianceSettings, transport: httpx.AsyncBaseTransport | None = None
) -> Source:
    """The adapter for `settings.kind`; `transport` lets tests put a real server or a fake behind it."""
    if settings.kind == "postfix":
        from handlers.conntrack.sources.postfix import PostfixSource

        return PostfixSource(settings)
    if settings.kind == "pmg":
        from handlers.conntrack.sources.pmg import PmgSource

        return PmgSource(settings, transport)
    if settings.kind == "mailcow":
        from handlers.conntrack.sources.mailcow import MailcowSource

        return MailcowSource(settings, transport)
    from handlers.conntrack.sources.generic import GenericSource

    return GenericSource(settings, transport)
