"""Text of snippets and small text files shared with a message, fetched with the bot token.

A long bounce pasted in Slack arrives as a snippet (a file). Only text-like files are read, only
from Slack's own hosts (the token must never go elsewhere), and never more than the paste limit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("mailtriage.slack.files")

TEXT_FILETYPES = frozenset({"text", "email", "eml", "log", "csv", "markdown", "diff"})
TEXT_MIMETYPES = ("text/", "message/rfc822", "message/delivery-status", "application/mbox")


@dataclass(frozen=True, slots=True)
class Problem:
    """A shared file we did not read: `kind` is "too_large" or "unreadable"."""

    kind: str
    name: str
    size: int = 0


@dataclass(slots=True)
class FileText:
    texts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def is_text(info: Mapping[str, Any]) -> bool:
    mimetype = str(info.get("mimetype") or "")
    return str(info.get("filetype") or "") in TEXT_FILETYPES or mimetype.startswith(TEXT_MIMETYPES)


class FileReader:
    """Reads shared text files; `limit` bounds the bytes read over all files of one message."""

    def __init__(
        self, client: AsyncWebClient, api_url: str, limit: int, timeout: float = 10.0
    ) -> None:
        self.client = client
        self.limit = limit
        self.timeout = timeout
        self._api_host = urlsplit(api_url).hostname or ""

    def trusted(self, url: str) -> bool:
        """True for Slack's file hosts (and the API host, a local fake in tests)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host == self._api_host:
            return parts.scheme in ("http", "https")
        return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

    async def read(self, files: Sequence[Mapping[str, Any]]) -> FileText:
        out = FileText()
        budget = self.limit
        for shared in files[:10]:
            info = await self._info(shared)
            name = str(info.get("name") or info.get("title") or info.get("id") or "file")
            if not is_text(info):
                continue
            size = int(info.get("size") or 0)
            if size > budget:
                out.problems.append(Problem("too_large", name, size))
                continue
            text = await self._download(info, budget)
            if text is None:
                out.problems.append(Problem("unreadable", name, size))
            elif len(text.encode()) > budget:
                out.problems.append(Problem("too_large", name, len(text.encode())))
            else:
                budget -= len(text.encode())
                out.texts.append(text)
        return out

    async def _info(self, shared: Mapping[str, Any]) -> Mapping[str, Any]:
        """The file object; events may carry only its id (`file_access: check_file_info`)."""
        if shared.get("url_private_download") or shared.get("url_private"):
            return shared
        try:
            resp = await self.client.files_info(file=str(shared.get("id", "")))
        except SlackApiError as exc:
            log.warning("files.info failed: %s", exc.response.get("error"))
            return shared
        info = resp.get("file")
        return info if isinstance(info, Mapping) else shared

    async def _download(self, info: Mapping[str, Any], budget: int) -> str | None:
        url = str(info.get("url_private_download") or info.get("url_private") or "")
        if not url or not self.trusted(url):
            log.warning("not fetching a shared file from an untrusted URL")
            return None
        headers = {"Authorization": f"Bearer {self.client.token}"}
        chunks: list[bytes] = []
        got = 0
        try:
            async with (
                httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as http,
                http.stream("GET", url, headers=headers) as resp,
            ):
                kind = resp.headers.get("content-type", "")
                if resp.status_code != 200 or kind.startswith("text/html"):
                    # without files:read Slack answers its sign-in page, not the file
                    log.warning("file download answered %s %s", resp.status_code, kind)
                    return None
                async for chunk in resp.aiter_bytes():
                    got += len(chunk)
                    chunks.append(chunk)
                    if got > budget:
                        break
        except httpx.HTTPError as exc:
            log.warning("file download failed: %s", type(exc).__name__)
            return None
        return b"".join(chunks).decode("utf-8", errors="replace")
