"""Proxmox Mail Gateway's tracking center: ticket auth, /nodes/{node}/tracker, then /tracker/{id}.

PMG has no API tokens: MAILTRIAGE_APPLIANCE_TOKEN is `user@realm:password` (exchanged for a ticket,
sent as the PMGAuthCookie cookie) or an existing ticket `PMG:...`. The list is asked twice (address
as sender, as recipient); `limit` (newer releases) pages backwards by moving `endtime`, older
releases answer the whole window at once. Rows are keyed by (id, to).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx

from handlers.conntrack.analyse import analyse
from handlers.conntrack.model import Track, TrackStatus
from handlers.conntrack.sources import Query, select
from handlers.conntrack.sources.http import ApplianceClient
from handlers.errors import ApplianceError
from handlers.request import ApplianceSettings

PAGE = 200
DETAILS = 20
_STATUS = {
    "2": TrackStatus.SENT,
    "4": TrackStatus.DEFERRED,
    "5": TrackStatus.BOUNCED,
    "N": TrackStatus.REJECTED,
    "G": TrackStatus.GREYLISTED,
    "B": TrackStatus.REJECTED,
    "Q": TrackStatus.REJECTED,
}
_IP = re.compile(r"\[([0-9A-Fa-f:.]+)\]")


class PmgSource:
    name = "pmg"

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
        async with ApplianceClient(self.settings, query.lang, self.transport) as api:
            api.client.cookies.set("PMGAuthCookie", await self._ticket(api))
            base = f"/api2/json/nodes/{quote(self.settings.node, safe='')}/tracker"
            rows: dict[tuple[str, str], dict[str, Any]] = {}
            bound = min(query.limit, self.settings.max_tracks)
            for role in ("from", "target"):
                await self._rows(api, base, query, role, rows, bound)
            tracks = [_track(row) for row in rows.values()]
            failed = [t for t in tracks if t.status.failed or t.status is TrackStatus.GREYLISTED]
            for t in failed[:DETAILS]:
                try:
                    detail = await api.request(
                        "GET",
                        f"{base}/{quote(t.id.rsplit('/', 1)[0], safe='')}",
                        params={"starttime": int(query.since), "endtime": int(query.until) + 1},
                    )
                except ApplianceError:  # gone since the list was read: keep the row unexplained
                    continue
                logs = detail.get("data", {}).get("logs") if isinstance(detail, dict) else None
                if isinstance(logs, list):
                    _explain(t, [str(x) for x in logs])
        return select(tracks, query)

    async def _ticket(self, api: ApplianceClient) -> str:
        token = self.settings.token or ""
        if token.startswith("PMG:"):
            return token
        user, sep, password = token.partition(":")
        if not sep:
            raise api.fail("conntrack.error.pmg_token")
        answer = await api.request(
            "POST", "/api2/json/access/ticket", data={"username": user, "password": password}
        )
        ticket = answer.get("data", {}).get("ticket") if isinstance(answer, dict) else None
        if not isinstance(ticket, str) or not ticket:
            raise api.fail("conntrack.error.auth", status=401)
        return ticket

    async def _rows(
        self,
        api: ApplianceClient,
        base: str,
        query: Query,
        role: str,
        rows: dict[tuple[str, str], dict[str, Any]],
        bound: int,
    ) -> None:
        endtime = int(query.until) + 1
        limit = self.page
        while len(rows) < bound:
            params: dict[str, Any] = {
                "starttime": int(query.since),
                "endtime": endtime,
                "ndr": 1,
                "greylist": 1,
                "limit": limit,
            }
            if query.address:
                params[role] = query.address
            answer = await api.request("GET", base, params=params)
            page = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(page, list):
                raise api.fail("conntrack.error.bad_answer", detail="no `data` list")
            page = [r for r in page if isinstance(r, dict) and isinstance(r.get("time"), int)]
            new = 0
            for row in page:
                if row.get("id"):
                    key = (str(row["id"]), str(row.get("to", "")))
                    new += key not in rows
                    rows.setdefault(key, row)
            if len(page) < limit:
                return  # the whole window (or a release without `limit`) has been answered
            if not new:  # a full page inside one second: ask for more rows at once
                if limit >= bound:
                    return
                limit = min(limit * 2, bound)
                continue
            endtime = min(int(r["time"]) for r in page) + 1


def _track(row: dict[str, Any]) -> Track:
    code = str(row.get("dstatus", ""))
    if code == "A":
        code = str(row.get("rstatus", "2"))
    client = str(row.get("client", ""))
    ip = _IP.search(client)
    return Track(
        id=f"{row['id']}/{row.get('to', '')}",
        protocol="smtp",
        direction="inbound",
        time=float(row["time"]),
        client=ip.group(1) if ip else client,
        sender=str(row.get("from", "")),
        recipient=str(row.get("to", "")),
        status=_STATUS.get(code, TrackStatus.SENT),
    )


def _explain(t: Track, logs: list[str]) -> None:
    mine = [
        line for line in logs if not t.recipient or "to=<" not in line or f"<{t.recipient}>" in line
    ]
    t.transcript = logs
    verdict = analyse(mine)
    t.failed_step = verdict.failed_step
    t.reason = verdict.reply
    t.reply_code = verdict.reply_code
    t.status_code = verdict.status_code
    if verdict.greylisted and t.status is TrackStatus.DEFERRED:
        t.status = TrackStatus.GREYLISTED
