"""A real PostgreSQL server on loopback for the store's tests: initdb in a tmp dir, pg_ctl, stop.

`postgres_server` (one per test session) starts the server; `postgres_url` gives each test a fresh,
empty database on it. As root the server runs as the `postgres` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.lab.binaries import free_port, require


@dataclass
class PostgresServer:
    """A running server: `url(db)` names a database on it, `create_db()` makes a fresh one."""

    root: Path
    port: int
    user: str
    pg_ctl: str
    run_as: dict[str, Any]

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{db}"

    def create_db(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            [self.pg_ctl, "stop", "-D", str(self.root / "data"), "-m", "fast", "-w"],
            check=False,
            capture_output=True,
            timeout=60,
            **self.run_as,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb into a fresh tmp dir and start the server on a free loopback port."""
    initdb, pg_ctl = require("initdb"), require("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="mailtriage-pg-"))
    run_as: dict[str, Any] = {}
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(root, entry.pw_uid, entry.pw_gid)
        run_as = {"user": entry.pw_uid, "group": entry.pw_gid, "cwd": str(root)}
        user = "postgres"
    data, port = root / "data", free_port()
    subprocess.run(
        [initdb, "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
        **run_as,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root}"
        " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    )
    started = subprocess.run(
        [
            pg_ctl,
            "start",
            "-D",
            str(data),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "-l",
            str(root / "log"),
        ],
        check=False,
        capture_output=True,
        timeout=90,
        **run_as,
    )
    server = PostgresServer(root, port, user, pg_ctl, run_as)
    if started.returncode != 0:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        server.stop()
        raise RuntimeError(f"pg_ctl start failed: {started.stderr.decode()} {log[-2000:]}")
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A URL of a fresh, empty database on the session's server."""
    return postgres_server.create_db()
