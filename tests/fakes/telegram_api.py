"""A fake Telegram Bot API on loopback: a real HTTP server at /bot<token>/<method> that tests steer.

It answers getMe, getUpdates (offsets, long-poll timeout), sendMessage (checked as strictly as
Telegram checks HTML: 400 "can't parse entities" otherwise), setWebhook, deleteWebhook and getFile,
serves the files tests add at /file/bot<token>/<file_path> as Telegram does, records every call, and
can be told to answer 429 with `parameters.retry_after`. Run it in the test's event
loop (`async with FakeTelegramAPI(token).running()`) or in a thread for a bot in a subprocess
(`with FakeTelegramAPI(token).in_thread()`); state is guarded by a lock either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.telegram_html import EntityParseError, check_message

BOT_ID = 7000001
MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API's getFile limit for bots
BOT_USERNAME = "MailTriageBot"
_OBJECT_FIELDS = {
    "reply_parameters",
    "allowed_updates",
    "link_preview_options",
    "reply_markup",
    "commands",
}


@dataclass(frozen=True, slots=True)
class Sent:
    """A message the bot sent that the fake accepted."""

    message_id: int
    chat_id: str
    text: str
    parse_mode: str | None
    shown: str
    message_thread_id: int | None
    reply_to: int | None


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int


@dataclass(frozen=True, slots=True)
class _StoredFile:
    file_id: str
    file_path: str
    content: bytes
    size: int  # what getFile reports (tests may claim more than the content)


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1000
    next_message_id: int = 500
    calls: list[Call] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    throttle: dict[str, list[int]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)
    migrated: dict[str, int] = field(default_factory=dict)
    files: dict[str, _StoredFile] = field(default_factory=dict)  # by file_id
    downloads: list[str] = field(default_factory=list)  # file paths fetched


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str, **parameters: Any) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


class FakeTelegramAPI:
    """The Bot API of one bot (`token`), served by uvicorn on 127.0.0.1."""

    def __init__(self, token: str = "123456:TEST-token", max_poll_wait: float = 0.5) -> None:
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.port = 0
        self._lock = threading.Lock()
        self._state = _State()
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )

    # -- what tests read and steer --------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_URL (PTB's base_url; the token is appended to it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._state.sent)

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._state.calls)

    @property
    def webhook(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state.webhook)

    def throttle(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and `retry_after` seconds."""
        with self._lock:
            self._state.throttle.setdefault(method, []).extend([retry_after] * times)

    def migrate_chat(self, chat_id: int | str, to: int) -> None:
        """Answer sendMessage to `chat_id` with 400 and `migrate_to_chat_id`, as for an upgraded group."""
        with self._lock:
            self._state.migrated[str(chat_id)] = to

    def forbid_chat(self, chat_id: int | str) -> None:
        """Answer sendMessage to `chat_id` with 403, as for a group that removed the bot."""
        with self._lock:
            self._state.forbidden.add(str(chat_id))

    @property
    def downloads(self) -> list[str]:
        """The file paths the bot downloaded from /file/bot<token>/, in order."""
        with self._lock:
            return list(self._state.downloads)

    def add_document(
        self,
        content: bytes,
        file_name: str | None = "bounce.eml",
        mime_type: str | None = "message/rfc822",
        *,
        size: int | None = None,
        report_size: bool = True,
    ) -> dict[str, Any]:
        """Store a file and return its Document object for `message_update(document=...)`.

        `size` is what getFile reports (default: the content's length; more than 20 MB makes
        getFile answer "file is too big"); `report_size=False` leaves file_size out of the Document.
        """
        with self._lock:
            number = len(self._state.files) + 1
        suffix = file_name.rpartition(".")[2] if file_name and "." in file_name else "bin"
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:06d}",
            file_path=f"documents/file_{number}.{suffix}",
            content=content,
            size=len(content) if size is None else size,
        )
        with self._lock:
            self._state.files[stored.file_id] = stored
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": f"AgAD{number:06d}",
        }
        if file_name is not None:
            document["file_name"] = file_name
        if mime_type is not None:
            document["mime_type"] = mime_type
        if report_size:
            document["file_size"] = stored.size
        return document

    def message_update(
        self,
        text: str,
        *,
        document: dict[str, Any] | None = None,
        chat_id: int = 42,
        user_id: int = 42,
        chat_type: str = "private",
        topic: int | None = None,
        reply_to_bot: int | None = None,
        forwarded: bool = False,
    ) -> dict[str, Any]:
        """An update carrying a user's message (queue it with `deliver`, or post it to a webhook)."""
        with self._lock:
            self._state.next_update_id += 1
            self._state.next_message_id += 1
            update_id, message_id = self._state.next_update_id, self._state.next_message_id
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Mail ops"
            chat["is_forum"] = topic is not None
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Ada", "username": "ada"},
        }
        if document is None:
            message["text"] = text
        else:  # a file: its text, if any, is the caption
            message["document"] = document
            if text:
                message["caption"] = text
        if topic is not None:
            message["message_thread_id"] = topic
            message["is_topic_message"] = True
        if reply_to_bot is not None:
            message["reply_to_message"] = {
                "message_id": reply_to_bot,
                "date": int(time.time()),
                "chat": chat,
                "from": self._me(),
                "text": "an earlier answer",
            }
        if forwarded:
            message["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": "Mail Delivery Subsystem",
                "date": int(time.time()),
            }
        return {"update_id": update_id, "message": message}

    def deliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates."""
        with self._lock:
            self._state.updates.append(update)
        return update

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._state.updates)

    async def wait_sent(self, count: int, within: float = 10.0) -> list[Sent]:
        """Wait until at least `count` messages were accepted; returns them all."""
        deadline = time.monotonic() + within
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} sent messages, got {self.sent!r}")
            await asyncio.sleep(0.02)
        return self.sent

    # -- the HTTP side ----------------------------------------------------------------------------
    def _me(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "mailtriage",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        kind = request.headers.get("content-type", "")
        body = await request.body()
        if kind.startswith("application/json"):
            params.update(json.loads(body or b"{}"))
        elif kind.startswith("application/x-www-form-urlencoded"):
            params.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for key in _OBJECT_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await self._params(request)
        response = await self._answer(request.path_params["token"], method, params)
        with self._lock:
            self._state.calls.append(Call(method, params, response.status_code))
        return response

    async def _answer(self, token: str, method: str, params: dict[str, Any]) -> JSONResponse:
        if token != self.token:
            return _error(401, "Unauthorized")
        with self._lock:
            waits = self._state.throttle.get(method)
            retry_after = waits.pop(0) if waits else None
        if retry_after is not None:
            return _error(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        if method == "getMe":
            return _ok(self._me())
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        if method == "setWebhook" and not str(params.get("url", "")).startswith("https://"):
            return _error(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if method == "setWebhook" and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", str(params.get("secret_token", "x"))
        ):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        if method in ("setWebhook", "deleteWebhook"):
            with self._lock:
                self._state.webhook = dict(params) if method == "setWebhook" else {}
            return _ok(True)
        if method == "sendMessage":
            return self._send_message(params)
        if method == "getFile":
            return self._get_file(params)
        if method in ("setMyCommands", "close", "logOut"):
            return _ok(True)
        return _error(404, "Not Found: method not found")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:  # an offset confirms every update before it
                self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
                ready = self._state.updates[:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.02)

    def _get_file(self, params: dict[str, Any]) -> JSONResponse:
        with self._lock:
            stored = self._state.files.get(str(params.get("file_id", "")))
        if stored is None:
            return _error(400, "Bad Request: invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            return _error(400, "Bad Request: file is too big")
        return _ok(
            {
                "file_id": stored.file_id,
                "file_unique_id": "AgAD" + stored.file_id[-6:],
                "file_size": stored.size,
                "file_path": stored.file_path,
            }
        )

    async def _file(self, request: Request) -> Response:
        """GET /file/bot<token>/<file_path>: the bytes of a stored file, as Telegram serves them."""
        path = request.path_params["path"]
        if request.path_params["token"] != self.token:
            return Response(b"Unauthorized", status_code=401)
        with self._lock:
            found = [f for f in self._state.files.values() if f.file_path == path]
            self._state.downloads.append(path)
        if not found:
            return Response(b"Not Found", status_code=404)
        return Response(found[0].content, media_type="application/octet-stream")

    def _send_message(self, params: dict[str, Any]) -> JSONResponse:
        if "chat_id" not in params or "text" not in params:
            return _error(400, "Bad Request: chat_id and text are required")
        with self._lock:
            if str(params["chat_id"]) in self._state.forbidden:
                return _error(403, "Forbidden: bot was kicked from the supergroup chat")
            moved = self._state.migrated.get(str(params["chat_id"]))
        if moved is not None:
            return _error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=moved,
            )
        text, parse_mode = str(params["text"]), params.get("parse_mode")
        try:
            shown = check_message(text, parse_mode)
        except EntityParseError as exc:
            return _error(400, str(exc))
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") or params.get("reply_to_message_id")
        thread = params.get("message_thread_id")
        with self._lock:
            self._state.next_message_id += 1
            sent = Sent(
                message_id=self._state.next_message_id,
                chat_id=str(params["chat_id"]),
                text=text,
                parse_mode=parse_mode,
                shown=shown,
                message_thread_id=int(thread) if thread is not None else None,
                reply_to=int(reply_to) if reply_to is not None else None,
            )
            self._state.sent.append(sent)
        chat_id = sent.chat_id
        result: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else 0, "type": "group"},
            "from": self._me(),
            "text": shown,
        }
        if sent.message_thread_id is not None:
            result["message_thread_id"] = sent.message_thread_id
        return _ok(result)

    # -- running it -------------------------------------------------------------------------------
    def _server(self) -> tuple[uvicorn.Server, socket.socket]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
        )
        return uvicorn.Server(config), sock

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeTelegramAPI]:
        """Serve in the current event loop for the duration of the block."""
        server, sock = self._server()
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            await task
            sock.close()

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[FakeTelegramAPI]:
        """Serve from a thread of its own (for a bot running in another process)."""
        server, sock = self._server()
        thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
