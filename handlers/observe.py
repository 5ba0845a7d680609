"""Counters the handlers report to, without knowing who listens (bot/ wires them to /metrics)."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str, str], None]  # (event, kind), e.g. ("dns_query", "dnsbl")

_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    _listeners.append(listener)


def emit(event: str, kind: str) -> None:
    for listener in _listeners:
        listener(event, kind)
