"""Finding the lab's server binaries: skip on a laptop without them, fail under CI=true."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

SBIN = (
    "/usr/sbin",
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(name: str) -> str:
    """The path of server binary `name`; a skip on a laptop without it, a failure under CI=true."""
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in SBIN if (Path(d) / name).exists()), None
    )
    if found:
        return found
    message = (
        f"lab binary `{name}` is not installed (scripts/test installs it as root with apt-get)"
    )
    if in_ci():
        pytest.fail(message + " -- CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


def shared_dir() -> Path:
    """../shared beside the checkout: a skip when absent, a failure under CI=true."""
    here = Path(__file__).resolve().parents[2]
    path = here.parent / "shared"
    if path.is_dir():
        return path
    message = f"../shared is not beside the checkout ({path})"
    if in_ci():
        pytest.fail(message + " -- CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 that is free right now (for TCP; pass SOCK_DGRAM for UDP)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
