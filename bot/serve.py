"""`mailtriage serve`: every configured adapter, the monitor loop and the HTTP server in one process.

Start-up checks first (settings, database, resolvers); then adapters start, the monitor runs (one
replica at a time, by lease) and the HTTP server answers. SIGTERM or SIGINT: stop taking new work,
finish replies in flight (bounded), leave unsent alerts in the outbox, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
from collections.abc import Sequence

from bot.adapters import Adapter, AlertTarget
from bot.config import Settings
from bot.console import ConsoleAdapter
from bot.http import HttpServer, build_app
from bot.runtime import Runtime
from bot.startup import check_resolvers

log = logging.getLogger("mailtriage.serve")

STOP_GRACE = 20.0


def build_adapters(settings: Settings, runtime: Runtime) -> list[Adapter]:
    """The chat adapters the settings enable (none: the caller falls back to the console)."""
    adapters: list[Adapter] = []
    if settings.slack_enabled:
        from bot.slack.adapter import SlackAdapter

        adapters.append(SlackAdapter(settings, runtime.ask, runtime.store))
    if settings.telegram_enabled:
        from bot.telegram.adapter import TelegramAdapter

        adapters.append(TelegramAdapter(settings, runtime.ask, runtime.store))
    return adapters


def replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


async def serve(settings: Settings, *, console: bool = True) -> int:
    await check_resolvers(settings)
    runtime = await Runtime.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    chats = build_adapters(settings, runtime)
    console_adapter = ConsoleAdapter(runtime.ask) if console and not chats else None
    alert_targets: Sequence[AlertTarget] = chats or ([console_adapter] if console_adapter else [])
    started: list[Adapter] = []
    tasks: list[asyncio.Task[None]] = []
    http: HttpServer | None = None
    try:
        for adapter in chats:
            await adapter.start()
            started.append(adapter)
            log.info("adapter started", extra={"adapter": adapter.name})
        if settings.http_port is not None:

            async def ready() -> tuple[bool, str]:
                try:
                    await runtime.store.outbox_pending()
                except Exception as exc:
                    return False, f"database: {type(exc).__name__}"
                return (not stop.is_set()), "stopping" if stop.is_set() else "ok"

            routes = [route for adapter in chats for route in adapter.routes()]
            http = HttpServer(build_app(routes, ready), settings.http_host, settings.http_port)
            await http.start()
            log.info("http server listening", extra={"port": settings.http_port})
        if settings.monitor_enabled:
            from bot.monitor import Monitor

            monitor = Monitor(runtime, alert_targets, holder=replica_id())
            tasks.append(asyncio.create_task(monitor.run(stop), name="monitor"))
        if console_adapter is not None:
            tasks.append(
                asyncio.create_task(
                    _console(console_adapter, stop, keep_running=bool(http or tasks)),
                    name="console",
                )
            )
        log.info(
            "mailtriage is running",
            extra={"adapters": ",".join(a.name for a in chats) or "console"},
        )
        await stop.wait()
        log.info("stopping: no new work, finishing replies in flight")
    finally:
        stop.set()
        for adapter in reversed(started):
            try:
                await asyncio.wait_for(adapter.stop(), STOP_GRACE)
            except Exception:
                log.exception("adapter did not stop cleanly", extra={"adapter": adapter.name})
        for task in tasks:
            try:
                await asyncio.wait_for(task, STOP_GRACE)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
            except Exception:
                log.exception("task ended with an error", extra={"task": task.get_name()})
        if http is not None:
            await http.stop()
        await runtime.close()
        log.info("stopped")
    return 0


async def _console(adapter: ConsoleAdapter, stop: asyncio.Event, keep_running: bool) -> None:
    """Run the console chat; at end of input stop the bot unless something else keeps it busy."""
    reader = asyncio.create_task(adapter.run())
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if reader in done:
        waiter.cancel()
        reader.result()
        if not keep_running:
            stop.set()
    else:
        reader.cancel()  # the thread blocked on stdin is left to die with the process
