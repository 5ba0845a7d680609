"""Imports run one way: bot -> handlers -> knowledge; chat SDKs only under bot/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SDKS = ("slack_bolt", "slack_sdk", "telegram")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("package", ["handlers", "knowledge"])
def test_no_chat_sdk_outside_bot(package: str) -> None:
    offenders = [
        f"{p.relative_to(ROOT)}: {m}"
        for p in (ROOT / package).rglob("*.py")
        for m in imported_modules(p)
        if top(m) in SDKS
    ]
    assert offenders == []


def test_handlers_never_import_bot() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}: {m}"
        for p in (ROOT / "handlers").rglob("*.py")
        for m in imported_modules(p)
        if top(m) == "bot"
    ]
    assert offenders == []


def test_knowledge_imports_nothing_of_ours() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}: {m}"
        for p in (ROOT / "knowledge").rglob("*.py")
        for m in imported_modules(p)
        if top(m) in ("bot", "handlers")
    ]
    assert offenders == []


def test_no_grab_bag_modules() -> None:
    grab_bags = {"utils.py", "helpers.py", "common.py", "misc.py"}
    found = [
        str(p.relative_to(ROOT))
        for d in ("bot", "handlers", "knowledge")
        for p in (ROOT / d).rglob("*.py")
        if p.name in grab_bags
    ]
    assert found == []
