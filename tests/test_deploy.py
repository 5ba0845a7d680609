"""The deploy/ files parse, and what they name exists: entry point, subcommands, variables, port."""

from __future__ import annotations

import configparser
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.main import SUBCOMMANDS
from bot.config import SETTINGS
from bot.http import build_app
from handlers.dispatch import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
KNOWN = {s.env for s in SETTINGS}


def entry_point() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (name,) = project["scripts"]
    return str(name)


def dockerfile() -> list[tuple[str, str]]:
    lines = [
        line.strip()
        for line in (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


async def _ready() -> tuple[bool, str]:
    return True, "ok"


ROUTES = {getattr(r, "path", "") for r in build_app([], _ready).routes}


def test_dockerfile_is_slim_non_root_and_runs_the_entry_point() -> None:
    instructions = dockerfile()
    froms = [arg for op, arg in instructions if op == "FROM"]
    assert froms and all("slim" in f for f in froms)
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    for op, arg in instructions:
        if op == "COPY" and "--from" not in arg:
            for source in shlex.split(arg)[:-1]:
                assert (ROOT / source).exists(), (
                    f"COPY names {source}, which is not in the repository"
                )
    entry = next(arg for op, arg in instructions if op == "ENTRYPOINT")
    cmd = next(arg for op, arg in instructions if op == "CMD")
    assert entry_point() in entry and yaml.safe_load(cmd)[0] in SUBCOMMANDS
    env = " ".join(arg for op, arg in instructions if op == "ENV")
    port = next(arg for op, arg in instructions if op == "EXPOSE")
    assert f"MAILTRIAGE_HTTP_PORT={port}" in env
    for word in env.split():
        assert word.split("=")[0] in KNOWN | {"PYTHONUNBUFFERED"}
    health = next(arg for op, arg in instructions if op == "HEALTHCHECK")
    assert f":{port}/healthz" in health and "/healthz" in ROUTES


def test_compose_runs_the_bot_with_postgresql() -> None:
    doc: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    bot, db = doc["services"]["mailtriage"], doc["services"]["postgres"]
    assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).exists()
    assert set(bot["environment"]) <= KNOWN
    assert bot["environment"]["MAILTRIAGE_DB"].startswith("postgresql://")
    assert bot["ports"] == [f"{bot['environment']['MAILTRIAGE_HTTP_PORT']}:8080"]
    assert db["environment"]["POSTGRES_DB"] in bot["environment"]["MAILTRIAGE_DB"]


def test_systemd_unit_starts_serve_and_stops_with_sigterm() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment, method-assign]
    unit.read(DEPLOY / "mailtriage.service")
    command = shlex.split(unit["Service"]["ExecStart"])
    assert command[0].endswith("/" + entry_point()) and command[1] in SUBCOMMANDS
    assert unit["Service"]["KillSignal"] == "SIGTERM" and unit["Service"]["User"] != "root"
    name, _, _ = unit["Service"]["Environment"].partition("=")
    assert name in KNOWN


def test_kubernetes_runs_two_replicas_in_http_mode_on_postgresql() -> None:
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "mailtriage.yaml").read_text()))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][0] in SUBCOMMANDS
    env = {e["name"]: e["value"] for e in container["env"]}
    assert set(env) <= KNOWN and env["MAILTRIAGE_DB"].startswith("postgresql://")
    assert container["ports"][0]["containerPort"] == int(env["MAILTRIAGE_HTTP_PORT"])
    assert container["readinessProbe"]["httpGet"]["path"] in ROUTES
    assert container["livenessProbe"]["httpGet"]["path"] in ROUTES
    assert any(d["kind"] == "StatefulSet" and d["metadata"]["name"] == "postgres" for d in docs)


def test_env_example_names_only_real_settings() -> None:
    names = [
        line.split("=", 1)[0]
        for line in (DEPLOY / "mailtriage.env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert names and set(names) <= KNOWN


def test_slack_manifest_names_real_commands_and_the_scopes_they_need() -> None:
    path = DEPLOY / "slack-manifest.yaml"
    if not path.exists():
        pytest.fail("deploy/slack-manifest.yaml is missing")
    manifest: dict[str, Any] = yaml.safe_load(path.read_text())
    commands = [c["command"].lstrip("/") for c in manifest["features"]["slash_commands"]]
    assert commands and set(commands) <= set(COMMANDS)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "files:read"} <= scopes
