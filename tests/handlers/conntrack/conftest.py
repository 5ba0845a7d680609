"""Fixtures of the /mailtrack tests: a real uvicorn server on loopback for any ASGI app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from tests.lab.binaries import free_port


@contextmanager
def serving(app: Any, **tls: str) -> Iterator[str]:
    """Run `app` with uvicorn on 127.0.0.1 in a thread; yields its base URL.

    `tls` (ssl_certfile, ssl_keyfile) serves HTTPS instead of HTTP.
    """
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **tls
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """serve(app) -> base URL; every server is stopped after the test."""
    stack: list[Any] = []

    def start(app: Any) -> str:
        cm = serving(app)
        url = cm.__enter__()
        stack.append(cm)
        return url

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)
