"""Client of the generic connection-track API (deploy/appliance-openapi.yaml): bearer token, cursor pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from handlers.conntrack.model import Track, TrackStatus, iso_time
from handlers.conntrack.sources import Query, select
from handlers.conntrack.sources.http import ApplianceClient
from handlers.errors import ApplianceError
from handlers.request import ApplianceSettings

PAGE = 200
DETAILS = 20  # transcripts fetched per query, failed tracks first


class GenericSource:
    name = "generic"

    def __init__(
        self,
        settings: ApplianceSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        page: int = PAGE,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.page = page

    async def fetch(self, query: Query) -> list[Track]:
        headers = {"Authorization": f"Bearer {self.settings.token}"} if self.settings.token else {}
        async with ApplianceClient(self.settings, query.lang, self.transport, headers) as api:
            tracks = await self._list(api, query)
            wanted = [t for t in tracks if t.status.failed or t.status is TrackStatus.GREYLISTED]
            for t in wanted[:DETAILS]:
                if t.transcript:
                    continue
                try:
                    answer = await api.request("GET", f"/tracks/{quote(t.id, safe='')}")
                except ApplianceError:  # rotated out of the logs since the list was read
                    continue
                full = _track(api, answer)
                t.transcript = full.transcript
                t.failed_step = t.failed_step or full.failed_step
        return select(tracks, query)

    async def _list(self, api: ApplianceClient, query: Query) -> list[Track]:
        params: dict[str, Any] = {
            "since": iso_time(query.since),
            "until": iso_time(query.until),
        }
        if query.address:
            params["address"] = query.address
        if query.protocol:
            params["protocol"] = query.protocol
        if query.direction:
            params["direction"] = query.direction
        if query.failed_only:
            params["status"] = "deferred,bounced,rejected,greylisted,login_failed"
        bound = min(query.limit, self.settings.max_tracks)
        tracks: list[Track] = []
        cursor: str | None = None
        while len(tracks) < bound:
            params["limit"] = min(self.page, bound - len(tracks))
            if cursor:
                params["cursor"] = cursor
            page = await api.request("GET", "/tracks", params=params)
            if not isinstance(page, dict) or not isinstance(page.get("tracks"), list):
                raise api.fail("conntrack.error.bad_answer", detail="no `tracks` list")
            tracks.extend(_track(api, item) for item in page["tracks"])
            cursor = page.get("next_cursor")
            if not cursor or not page["tracks"]:
                break
        return tracks[:bound]


def _track(api: ApplianceClient, data: Any) -> Track:
    try:
        return Track.from_json(data)
    except ValueError as exc:
        raise api.fail("conntrack.error.bad_answer", detail=str(exc)) from exc
