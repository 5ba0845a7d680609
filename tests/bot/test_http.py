"""The HTTP server answers health, readiness and Prometheus metrics."""

from __future__ import annotations

import httpx

from bot.http import build_app
from bot.metrics import REPLIES


async def test_health_readiness_and_metrics() -> None:
    state = {"ready": True}

    async def ready() -> tuple[bool, str]:
        return state["ready"], "ok" if state["ready"] else "stopping"

    REPLIES.labels("help", "answer").inc()
    transport = httpx.ASGITransport(app=build_app([], ready))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        assert (await client.get("/healthz")).text == "ok\n"
        assert (await client.get("/readyz")).status_code == 200
        state["ready"] = False
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["detail"] == "stopping"
        metrics = await client.get("/metrics")
        assert 'mailtriage_replies_total{command="help",outcome="answer"}' in metrics.text
        assert "# TYPE mailtriage_handler_seconds histogram" in metrics.text
