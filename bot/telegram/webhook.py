"""The webhook endpoint: check Telegram's secret header, then queue the update for the Application."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

log = logging.getLogger("mailtriage.telegram")

PATH = "/telegram/webhook"
MAX_BODY = 1_000_000  # a message is at most 4096 characters; updates are far below this
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(application: Application[Any, Any, Any, Any, Any, Any], secret: str) -> Route:
    """POST /telegram/webhook: 403 without the right secret, else the update goes to PTB."""

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("wrong or missing secret token\n", status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("update too large\n", status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("telegram webhook: unreadable update: %s", exc)
            return PlainTextResponse("not a Telegram update\n", status_code=400)
        if not application.running:
            return PlainTextResponse("not running\n", status_code=503)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return Route(PATH, receive, methods=["POST"])
