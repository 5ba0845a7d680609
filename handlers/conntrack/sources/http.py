"""The HTTP client every API adapter shares: verified TLS, timeouts, and errors that name the appliance.

Failures become ApplianceError with a message from knowledge (which appliance, which URL, what went
wrong and what to check); a message never holds a token, a password or a request body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from handlers.errors import ApplianceError
from handlers.request import ApplianceSettings
from knowledge.loader import load

log = logging.getLogger("mailtriage.conntrack")
MAX_BODY = 20_000_000
NAMES = {"generic": "Appliance API", "pmg": "Proxmox Mail Gateway", "mailcow": "mailcow"}


def public_url(url: str) -> str:
    """The URL without user:password, query or fragment, safe to show and log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class ApplianceClient:
    """An httpx client for one appliance; `fail()` builds the user-facing error."""

    def __init__(
        self,
        settings: ApplianceSettings,
        lang: str,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not settings.url:
            raise ApplianceError(load().text("conntrack.error.not_configured", lang))
        self.settings = settings
        self.lang = lang
        self.name = NAMES.get(settings.kind, settings.kind)
        self.base = settings.url.rstrip("/")
        self.client = httpx.AsyncClient(
            base_url=self.base,
            verify=settings.verify_tls,
            timeout=httpx.Timeout(settings.timeout),
            transport=transport,
            headers=dict(headers or {}),
            follow_redirects=False,
        )

    async def __aenter__(self) -> ApplianceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    def fail(self, key: str, **values: object) -> ApplianceError:
        text = load().text(key, self.lang, appliance=self.name, url=public_url(self.base), **values)
        log.info("appliance request failed: %s", text)
        return ApplianceError(text)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer of one request, or an ApplianceError saying what went wrong."""
        try:
            response = await self.client.request(method, path, params=params, data=data)
        except httpx.TimeoutException as exc:
            raise self.fail("conntrack.error.timeout", seconds=self.settings.timeout) from exc
        except httpx.ConnectError as exc:
            detail = _short(exc)
            if "CERTIFICATE" in detail.upper() or "SSL" in detail.upper():
                raise self.fail("conntrack.error.tls", detail=detail) from exc
            raise self.fail("conntrack.error.unreachable", detail=detail) from exc
        except httpx.HTTPError as exc:
            raise self.fail("conntrack.error.unreachable", detail=_short(exc)) from exc
        status = response.status_code
        if status in (401, 403):
            raise self.fail("conntrack.error.auth", status=status)
        if status == 404:
            raise self.fail("conntrack.error.not_found", status=status, path=path)
        if status >= 400:
            raise self.fail("conntrack.error.server", status=status)
        if len(response.content) > MAX_BODY:
            raise self.fail("conntrack.error.bad_answer", detail="answer too large")
        try:
            return response.json()
        except ValueError as exc:
            raise self.fail("conntrack.error.bad_answer", detail="not JSON") from exc


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
