"""One knowledge TOML file being read: every complaint names the file, the place and the problem."""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from knowledge.model import Steps, Text


class KnowledgeError(Exception):
    """A knowledge file is missing, not TOML, or breaks the schema; the message names the file."""


class TomlFile:
    """A parsed TOML file plus typed, checked accessors that fail with a KnowledgeError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with path.open("rb") as fh:
                self.data: dict[str, Any] = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise KnowledgeError(f"{path}: file is missing") from exc
        except tomllib.TOMLDecodeError as exc:
            raise KnowledgeError(f"{path}: not valid TOML: {exc}") from exc

    def fail(self, where: str, problem: str) -> KnowledgeError:
        return KnowledgeError(f"{self.path}: {where}: {problem}")

    def only(self, table: Mapping[str, Any], allowed: Collection[str], where: str) -> None:
        """Refuse keys the schema does not know (a typo, or a key under the wrong [table])."""
        unknown = sorted(k for k in table if k not in allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)}")

    def text(self, table: Any, where: str, extra: Collection[str] = ()) -> Text:
        if not isinstance(table, Mapping):
            raise self.fail(where, "expected a table with `en` and `zh-TW`")
        self.only(table, ("en", "zh-TW", *extra), where)
        en, zh = table.get("en"), table.get("zh-TW")
        if not isinstance(en, str) or not en.strip():
            raise self.fail(where, "`en` text is missing or empty")
        if not isinstance(zh, str) or not zh.strip():
            raise self.fail(where, "`zh-TW` text is missing or empty")
        return Text(en=en.strip(), zh_tw=zh.strip())

    def steps(self, table: Any, where: str) -> Steps:
        if not isinstance(table, Mapping):
            raise self.fail(where, "expected a table with `en` and `zh-TW` lists")
        self.only(table, ("en", "zh-TW"), where)
        en, zh = table.get("en"), table.get("zh-TW")
        for lang, items in (("en", en), ("zh-TW", zh)):
            if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
                raise self.fail(where, f"`{lang}` must be a list of non-empty strings")
        assert isinstance(en, list) and isinstance(zh, list)
        if not en:
            raise self.fail(where, "there are no steps")
        if len(en) != len(zh):
            raise self.fail(where, f"`en` has {len(en)} steps but `zh-TW` has {len(zh)}")
        return Steps(en=tuple(en), zh_tw=tuple(zh))

    def string(
        self, table: Mapping[str, Any], key: str, where: str, default: str | None = None
    ) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.fail(where, f"`{key}` must be a string")
        return value

    def flag(self, table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(where, f"`{key}` must be true or false")
        return value

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(where, f"`{key}` must be a list of non-empty strings")
        return tuple(value)

    def items(self, key: str, table: Mapping[str, Any] | None = None) -> list[Mapping[str, Any]]:
        value = (self.data if table is None else table).get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(key, "expected an array of tables")
        return value
