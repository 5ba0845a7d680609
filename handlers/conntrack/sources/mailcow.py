"""mailcow's log API (X-API-Key): postfix and dovecot lines, rebuilt into per-connection tracks.

mailcow keeps about 9,999 lines per service and cannot search them, so the adapter asks for the newest
`count` lines and doubles `count` until the window reaches `since` (or the bound); lines come newest
first with epoch-string times and no pids, and are turned back into syslog lines for postfix_log.
"""

from __future__ import annotations

from typing import Any

import httpx

from handlers.conntrack.model import Track, iso_time
from handlers.conntrack.postfix_log import LogReader
from handlers.conntrack.sources import Query, select
from handlers.conntrack.sources.http import ApplianceClient
from handlers.request import ApplianceSettings

FIRST = 1000
MOST = 10_000


class MailcowSource:
    name = "mailcow"

    def __init__(
        self,
        settings: ApplianceSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        first: int = FIRST,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.first = first

    async def fetch(self, query: Query) -> list[Track]:
        headers = {"X-API-Key": self.settings.token or ""}
        async with ApplianceClient(self.settings, query.lang, self.transport, headers) as api:
            services = (
                ("dovecot",) if query.protocol in ("pop3", "imap") else ("postfix", "dovecot")
            )
            if query.protocol == "smtp" or query.direction == "outbound":
                services = ("postfix",)
            reader = LogReader()
            for service in services:
                for line in await self._lines(api, service, query.since):
                    reader.feed(line)
        return select(reader.tracks(), query)

    async def _lines(self, api: ApplianceClient, service: str, since: float) -> list[str]:
        count = self.first
        while True:
            answer = await api.request("GET", f"/api/v1/get/logs/{service}/{count}")
            if answer == {} or answer is None:
                return []
            if not isinstance(answer, list):
                raise api.fail("conntrack.error.bad_answer", detail="expected a list of log lines")
            entries = [e for e in answer if isinstance(e, dict)]
            oldest = min((_epoch(e) for e in entries), default=since)
            if len(answer) < count or oldest <= since or count >= MOST:
                break
            count = min(count * 2, MOST)
        entries.reverse()  # newest first -> oldest first, keeping same-second order
        entries.sort(key=_epoch)
        return [_syslog(e) for e in entries if _epoch(e) >= since - 3600]


def _epoch(entry: dict[str, Any]) -> float:
    try:
        return float(entry.get("time", 0))
    except (TypeError, ValueError):
        return 0.0


def _syslog(entry: dict[str, Any]) -> str:
    program = str(entry.get("program", "")).strip() or "unknown"
    return f"{iso_time(_epoch(entry))} mailcow {program}: {entry.get('message', '')}"
