"""`mailtriage appliance serve`: the postfix source over the generic connection-track API (HTTP).

Implements deploy/appliance-openapi.yaml: GET /api/v1/tracks (filters, cursor pages, no transcripts)
and GET /api/v1/tracks/{id} (one track with its transcript), bearer-token auth compared in constant
time, JSON errors. Lines appended to the logs are read as requests come (see follow).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.appliance.follow import FollowedLogs
from handlers.conntrack.model import DIRECTIONS, PROTOCOLS, Track, TrackStatus, parse_iso_time
from handlers.errors import ApplianceError

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class BadRequest(Exception):
    """A query parameter is malformed; the message names it."""


class TrackStore:
    """The tracks of some log files; appended lines are read when a request comes."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.logs = FollowedLogs(paths)
        self._by_id: dict[str, Track] = {}
        self._seen: list[Track] | None = None
        self._lock = asyncio.Lock()

    async def tracks(self) -> list[Track]:
        async with self._lock:
            tracks = await asyncio.to_thread(self.logs.refresh)
            if tracks is not self._seen:
                self._by_id, self._seen = {t.id: t for t in tracks}, tracks
            return tracks

    async def get(self, track_id: str) -> Track | None:
        await self.tracks()
        return self._by_id.get(track_id)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _cursor(t: Track) -> str:
    return base64.urlsafe_b64encode(f"{t.time!r}|{t.id}".encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, track_id = raw.partition("|")
        return float(when), track_id
    except ValueError as exc:
        raise BadRequest("cursor is not one this server handed out") from exc


def _newer(edge: float) -> Callable[[Track], bool]:
    return lambda t: t.time >= edge


def _older(edge: float) -> Callable[[Track], bool]:
    return lambda t: t.time <= edge


def _filters(q: Any) -> list[Callable[[Track], bool]]:
    tests: list[Callable[[Track], bool]] = []
    if address := q.get("address", "").strip().lower():
        tests.append(lambda t: t.involves(address))
    if ip := q.get("ip", "").strip():
        tests.append(lambda t: t.client == ip)
    if protocol := q.get("protocol"):
        if protocol not in PROTOCOLS:
            raise BadRequest("protocol must be smtp, pop3 or imap")
        tests.append(lambda t: t.protocol == protocol)
    if direction := q.get("direction"):
        if direction not in DIRECTIONS:
            raise BadRequest("direction must be inbound, outbound or local")
        tests.append(lambda t: t.direction == direction)
    for name, newer in (("since", True), ("until", False)):
        if value := q.get(name):
            try:
                edge = parse_iso_time(value)
            except ValueError as exc:
                raise BadRequest(f"{name} must be an RFC 3339 time") from exc
            tests.append(_newer(edge) if newer else _older(edge))
    if statuses := q.get("status"):
        wanted = {s.strip() for s in statuses.split(",") if s.strip()}
        if not wanted <= {s.value for s in TrackStatus}:
            raise BadRequest(
                "status must be a comma list of " + ", ".join(s.value for s in TrackStatus)
            )
        tests.append(lambda t: t.status.value in wanted)
    return tests


def create_app(paths: Sequence[str], token: str) -> Starlette:
    """The API app over `paths`; every /tracks request needs `Authorization: Bearer <token>`."""
    if not token:
        raise ValueError("a bearer token is required")
    store = TrackStore(paths)
    expected = f"Bearer {token}".encode()

    def authorized(request: Request) -> bool:
        given = request.headers.get("authorization", "").encode()
        return hmac.compare_digest(given, expected)

    async def list_tracks(request: Request) -> JSONResponse:
        if not authorized(request):
            return _error(401, "unauthorized", "missing or wrong bearer token")
        q = request.query_params
        try:
            tests = _filters(q)
            limit = int(q.get("limit", DEFAULT_LIMIT))
            if not 1 <= limit <= MAX_LIMIT:
                raise BadRequest(f"limit must be 1 to {MAX_LIMIT}")
            after = _after(q["cursor"]) if q.get("cursor") else None
        except (BadRequest, ValueError) as exc:
            return _error(
                400,
                "bad_request",
                str(exc) if isinstance(exc, BadRequest) else "limit must be a number",
            )
        try:
            tracks = await store.tracks()
        except ApplianceError as exc:
            return _error(500, "logs_unreadable", str(exc))
        page: list[Track] = []
        more = False
        for t in tracks:
            if after is not None and (t.time, t.id) >= after:
                continue
            if all(test(t) for test in tests):
                if len(page) == limit:
                    more = True
                    break
                page.append(t)
        items = []
        for t in page:
            item = t.as_json()
            del item["transcript"]
            items.append(item)
        return JSONResponse({"tracks": items, "next_cursor": _cursor(page[-1]) if more else None})

    async def one_track(request: Request) -> JSONResponse:
        if not authorized(request):
            return _error(401, "unauthorized", "missing or wrong bearer token")
        try:
            found = await store.get(request.path_params["track_id"])
        except ApplianceError as exc:
            return _error(500, "logs_unreadable", str(exc))
        if found is None:
            return _error(404, "not_found", "no track with this id")
        return JSONResponse(found.as_json())

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/api/v1/tracks", list_tracks),
            Route("/api/v1/tracks/{track_id:path}", one_track),
            Route("/api/v1/health", health),
        ]
    )
