"""A fake Slack on loopback: the Web API, file downloads, response_urls and a Socket Mode WebSocket.

A real HTTP server (uvicorn + starlette, in the running event loop) answers like Slack does (`ok`,
`ts`, `channel`), records every call, and fails on demand (429 with Retry-After, 500, or an
`ok: false` error). `apps.connections.open` hands out the ws:// URL of a local `websockets` server
that sends Socket Mode envelopes and collects their acks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection, serve

BOT_TOKEN = "xoxb-0000-fake"
APP_TOKEN = "xapp-1-fake"
TEAM = "T0TEAM001"
BOT_USER = "U0BOT0001"
BOT_ID = "B0BOT0001"


async def started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Return once `server` listens (its start-up error, if it failed)."""
    for _ in range(1000):
        if server.started:
            return
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    raise TimeoutError("uvicorn did not start")


@dataclass(frozen=True)
class Call:
    """One request the fake received: `method` is the Web API method (or `response_url`)."""

    method: str
    args: dict[str, Any]
    token: str | None
    path: str = ""


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    times: int


@dataclass
class _File:
    info: dict[str, Any]
    content: bytes
    content_type: str


@dataclass
class FakeSlackApi:
    """Start with `async with FakeSlackApi() as fake:`; `fake.api_url` is SLACK_API_URL."""

    bot_token: str = BOT_TOKEN
    app_token: str = APP_TOKEN
    calls: list[Call] = field(default_factory=list)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _files: dict[str, _File] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)  # what chat.postMessage posted
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _socket: ServerConnection | None = None
    socket_connected: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    ws_port: int = 0

    # ---- life cycle
    async def __aenter__(self) -> FakeSlackApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/files/{file_id}/{name}", self._download, methods=["GET"]),
                Route("/respond/{name}", self._respond, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]
        self._task = asyncio.create_task(self._server.serve())
        await started(self._server, self._task)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        self._ws = await serve(self._socket_mode, "127.0.0.1", 0)
        self.ws_port = next(iter(self._ws.sockets)).getsockname()[1]

    async def stop(self) -> None:
        self._ws.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.wait_closed(), 5)
        self._server.should_exit = True
        await self._task

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/respond/{name}"

    # ---- what tests arrange
    def fail(
        self,
        method: str,
        status: int = 429,
        *,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` answer `status` (200 with `error`: ok false)."""
        self._failures.setdefault(method, []).append(_Failure(status, error, retry_after, times))

    def add_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        *,
        filetype: str = "text",
        mimetype: str = "text/plain",
        snippet: bool = True,
    ) -> dict[str, Any]:
        """Register a shared file; returns the file object as a message event carries it."""
        url = f"{self.base}/files/{file_id}/{name}"
        info = {
            "id": file_id,
            "created": 1700000000,
            "timestamp": 1700000000,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": "Plain Text",
            "user": "U0USER001",
            "mode": "snippet" if snippet else "hosted",
            "editable": snippet,
            "is_external": False,
            "external_type": "",
            "size": len(content),
            "url_private": url,
            "url_private_download": url + "?download=1",
            "permalink": f"https://example.slack.com/files/U0USER001/{file_id}/{name}",
            "lines": content.count(b"\n") + 1,
        }
        self._files[file_id] = _File(info, content, mimetype)
        return dict(info)

    # ---- what tests check
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, within: float = 10) -> list[Call]:
        """The calls of `method` once there are at least `count` (TimeoutError after `within` s)."""
        async with asyncio.timeout(within):
            while len(self.calls_to(method)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.calls_to(method)

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._arrived.set()

    # ---- Socket Mode
    async def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        within: float = 10,
    ) -> dict[str, Any]:
        """Send one Socket Mode envelope (`events_api`, `slash_commands`, `interactive`); returns
        the client's ack."""
        async with asyncio.timeout(within):
            await self.socket_connected.wait()
        assert self._socket is not None
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        await self._socket.send(json.dumps(envelope))
        return await asyncio.wait_for(future, within)

    async def _socket_mode(self, conn: ServerConnection) -> None:
        self._socket = conn
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0APP0001"},
        }
        await conn.send(json.dumps(hello))
        self.socket_connected.set()
        try:
            async for raw in conn:
                message = json.loads(raw)
                future = self._acks.pop(str(message.get("envelope_id")), None)
                if future is not None and not future.done():
                    future.set_result(message)
        finally:
            self.socket_connected.clear()
            self._socket = None

    # ---- HTTP handlers
    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        args: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        kind = request.headers.get("content-type", "")
        if body and kind.startswith("application/json"):
            args.update(json.loads(body))
        elif body:
            args.update(parse_qsl(body.decode()))
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        self._record(Call(method, args, token, request.url.path))
        failure = self._next_failure(method)
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            if failure.status == 200:
                return JSONResponse({"ok": False, "error": failure.error}, headers=headers)
            if failure.status == 429:
                return JSONResponse(
                    {"ok": False, "error": "ratelimited"}, status_code=429, headers=headers
                )
            return PlainTextResponse("Internal Server Error", status_code=failure.status)
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        return JSONResponse(self._answer(method, args))

    def _next_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake Team",
                "user": "mailtriage",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            n = next(self._ts)
            ts = f"{1700000000 + n}.{n:06d}"
            message = {
                "type": "message",
                "user": BOT_USER,
                "bot_id": BOT_ID,
                "text": args.get("text", ""),
                "ts": ts,
            }
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            self.messages.append({**message, "channel": args.get("channel"), "metadata": metadata})
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
        if method in ("conversations.history", "conversations.replies"):
            return {"ok": True, "messages": self._history(method, args), "has_more": False}
        if method == "chat.postEphemeral":
            n = next(self._ts)
            return {"ok": True, "message_ts": f"{1700000000 + n}.{n:06d}"}
        if method == "files.info":
            file = self._files.get(str(args.get("file")))
            if file is None:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": file.info}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.ws_port}/link/?ticket=fake"}
        return {"ok": True}

    def _history(self, method: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Messages of a channel (or of one thread) newer than `oldest`, newest first; metadata
        only with include_all_metadata, as Slack answers."""
        oldest = float(args.get("oldest") or 0)
        with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
        out = []
        for m in reversed(self.messages):
            if m["channel"] != args.get("channel") or float(m["ts"]) <= oldest:
                continue
            if method == "conversations.history" and m.get("thread_ts"):
                continue  # replies are not in the channel's history
            if method == "conversations.replies" and args.get("ts") not in (
                m["ts"],
                m.get("thread_ts"),
            ):
                continue
            shown = {k: v for k, v in m.items() if k not in ("channel", "metadata")}
            if with_metadata and m["metadata"]:
                shown["metadata"] = m["metadata"]
            out.append(shown)
        return out

    async def _download(self, request: Request) -> Response:
        file = self._files.get(request.path_params["file_id"])
        auth = request.headers.get("authorization", "")
        self.calls.append(
            Call("files.download", {}, auth.removeprefix("Bearer "), request.url.path)
        )
        if auth != f"Bearer {self.bot_token}" or file is None:
            # what Slack does without a valid token: its sign-in page, status 200
            return Response("<html><body>Sign in</body></html>", media_type="text/html")
        return Response(file.content, media_type=file.content_type)

    async def _respond(self, request: Request) -> Response:
        args = json.loads(await request.body() or b"{}")
        self._record(Call("response_url", args, None, request.url.path))
        return PlainTextResponse("ok")
