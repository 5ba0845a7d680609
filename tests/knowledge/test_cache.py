"""The knowledge cache answers like a fresh parse, and any change, damage or odd directory means a parse."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import platformdirs
import pytest

from knowledge import cache
from knowledge.loader import ROOT, KnowledgeError, load, load_cached, load_from


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the knowledge directory (data and code) to edit."""
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _cache_file(cache_dir: Path) -> Path:
    files = list(cache_dir.glob("knowledge-*.cache"))
    assert len(files) == 1, files
    return files[0]


def _edit_keeping_stat(path: Path, old: str, new: str) -> None:
    """Change the text but keep the size and modification time (what the key looks at)."""
    assert len(old.encode()) == len(new.encode())
    st = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    st = path.stat()  # a later mtime even on a file system with coarse timestamps
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def _title_file(root: Path) -> tuple[Path, str]:
    path = root / "reasons" / "mailboxfull.toml"
    title = load_from(root).reasons["mailboxfull"].title.en
    assert title in path.read_text(encoding="utf-8")
    return path, title


def test_the_cached_knowledge_base_equals_a_fresh_parse(copy: Path, cache_dir: Path) -> None:
    first = load_cached(copy, cache_dir)
    assert _cache_file(cache_dir).stat().st_size > 0
    second = load_cached(copy, cache_dir)
    assert first == second == load_from(copy)
    assert second.reasons["userunknown"].fix.get("zh-TW")
    assert second.status("5.1.1") == load_from(copy).status("5.1.1")


def test_the_shipped_load_is_the_shipped_parse() -> None:
    assert load() == load_from(ROOT)


def test_an_unchanged_directory_is_not_parsed_again(copy: Path, cache_dir: Path) -> None:
    path, title = _title_file(copy)
    load_cached(copy, cache_dir)
    _edit_keeping_stat(path, title, title.upper())
    assert load_cached(copy, cache_dir).reasons["mailboxfull"].title.en == title
    assert load_cached(copy, None).reasons["mailboxfull"].title.en == title.upper()


def test_an_edited_knowledge_file_is_read_again(copy: Path, cache_dir: Path) -> None:
    path, title = _title_file(copy)
    load_cached(copy, cache_dir)
    _edit(path, title, title + " (edited)")
    assert load_cached(copy, cache_dir).reasons["mailboxfull"].title.en == title + " (edited)"
    assert load_cached(copy, cache_dir).reasons["mailboxfull"].title.en == title + " (edited)"


def test_a_changed_code_file_is_a_new_version(copy: Path, cache_dir: Path) -> None:
    path, title = _title_file(copy)
    load_cached(copy, cache_dir)
    _edit_keeping_stat(path, title, title.upper())
    _edit(copy / "model.py", '"""Typed', '"""New version: typed')
    assert load_cached(copy, cache_dir).reasons["mailboxfull"].title.en == title.upper()


def test_an_added_file_is_seen_and_still_checked(copy: Path, cache_dir: Path) -> None:
    load_cached(copy, cache_dir)
    shutil.copy(copy / "reasons" / "vacation.toml", copy / "reasons" / "holiday.toml")
    with pytest.raises(KnowledgeError, match="holiday"):
        load_cached(copy, cache_dir)


def test_a_broken_file_is_named_even_after_a_good_load(copy: Path, cache_dir: Path) -> None:
    load_cached(copy, cache_dir)
    _edit(copy / "reasons" / "vacation.toml", "name =", "name = = ")
    with pytest.raises(KnowledgeError, match=r"vacation\.toml"):
        load_cached(copy, cache_dir)


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a pickle at all",
        b"\x80\x05\x95",  # a pickle cut short
    ],
)
def test_a_corrupt_cache_file_is_ignored_and_replaced(
    copy: Path, cache_dir: Path, damage: bytes
) -> None:
    good = load_cached(copy, cache_dir)
    path = _cache_file(cache_dir)
    whole = path.read_bytes()
    path.write_bytes(damage)
    assert load_cached(copy, cache_dir) == good
    assert path.read_bytes() == whole


def test_a_truncated_cache_file_is_ignored(copy: Path, cache_dir: Path) -> None:
    good = load_cached(copy, cache_dir)
    path = _cache_file(cache_dir)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert load_cached(copy, cache_dir) == good


class _Plant:
    """What an attacker would pickle: unpickling it calls os.mkdir."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.target),)


def test_a_tampered_cache_file_cannot_run_code(copy: Path, cache_dir: Path, tmp_path: Path) -> None:
    good = load_cached(copy, cache_dir)
    path = _cache_file(cache_dir)
    marker = tmp_path / "planted"
    key = cache.fingerprint(cache.sources(copy))
    path.write_bytes(pickle.dumps(key) + pickle.dumps(_Plant(marker)))
    assert load_cached(copy, cache_dir) == good
    assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to chown")
def test_a_cache_file_owned_by_someone_else_is_not_read(copy: Path, cache_dir: Path) -> None:
    path, title = _title_file(copy)
    load_cached(copy, cache_dir)
    os.chown(_cache_file(cache_dir), 65534, 65534)
    _edit_keeping_stat(path, title, title.upper())
    assert load_cached(copy, cache_dir).reasons["mailboxfull"].title.en == title.upper()


def test_a_cache_directory_that_cannot_be_made_costs_only_the_parse(
    copy: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    unusable = blocker / "cache"  # works the same as root, where permission bits do not stop us
    assert load_cached(copy, unusable) == load_from(copy)
    assert load_cached(copy, unusable) == load_from(copy)
    assert blocker.read_text(encoding="utf-8") == "not a directory"


@pytest.mark.skipif(hasattr(os, "getuid") and os.getuid() == 0, reason="root writes anywhere")
def test_a_read_only_cache_directory_costs_only_the_parse(copy: Path, cache_dir: Path) -> None:
    cache_dir.mkdir(mode=0o500)
    try:
        assert load_cached(copy, cache_dir) == load_from(copy)
        assert list(cache_dir.iterdir()) == []
    finally:
        cache_dir.chmod(0o700)


def test_processes_starting_together_all_get_the_knowledge_and_leave_one_good_file(
    copy: Path, cache_dir: Path
) -> None:
    code = (
        "import sys; from pathlib import Path; from knowledge.loader import load_cached\n"
        "kb = load_cached(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "print(len(kb.reasons), kb.reasons['mailboxfull'].title.en)\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(copy), str(cache_dir)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(6)
    ]
    answers = {p.communicate(timeout=60)[0] for p in starts}
    assert all(p.returncode == 0 for p in starts)
    expected = load_from(copy)
    assert answers == {f"{len(expected.reasons)} {expected.reasons['mailboxfull'].title.en}\n"}
    assert load_cached(copy, cache_dir) == expected
    assert [p.name for p in cache_dir.iterdir()] == [_cache_file(cache_dir).name]


def test_a_write_removes_month_old_files_of_other_checkouts(copy: Path, cache_dir: Path) -> None:
    cache_dir.mkdir()
    old, recent, other = (
        cache_dir / "knowledge-0000000a.cache",
        cache_dir / "knowledge-0000000b.cache",
        cache_dir / "toml-0000000c.cache",
    )
    month = (cache.STALE_DAYS + 1) * 86_400
    for path in (old, recent, other):
        path.write_bytes(b"left by another checkout")
    for path in (old, other):
        st = path.stat()
        os.utime(path, (st.st_atime - month, st.st_mtime - month))
    load_cached(copy, cache_dir)
    assert not old.exists()
    assert recent.exists() and other.exists()  # in use lately, or another kind of file
    assert len(list(cache_dir.glob("knowledge-*.cache"))) == 2  # the other one and ours


def test_no_temporary_files_are_left_behind(copy: Path, cache_dir: Path) -> None:
    load_cached(copy, cache_dir)
    _edit(copy / "reasons" / "vacation.toml", "name =", "name   =")
    load_cached(copy, cache_dir)
    assert [p.name for p in cache_dir.iterdir()] == [_cache_file(cache_dir).name]


def test_the_default_directory_is_platformdirs_user_cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert cache.default_dir() == Path(platformdirs.user_cache_dir("mailtriage"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_dir() == Path(platformdirs.user_cache_dir("mailtriage"))
    monkeypatch.setenv("XDG_CACHE_HOME", "  ")
    assert cache.default_dir() == Path(platformdirs.user_cache_dir("mailtriage"))


# --- one TOML file's plain data ------------------------------------------------------------


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cached_toml_reads_like_tomllib(tmp_path: Path, cache_dir: Path) -> None:
    path = _toml(tmp_path, '[a]\nb = "c"\nn = [1, 2.5, true]\n[[x]]\ny = "中文"\n')
    expected = tomllib.loads(path.read_text(encoding="utf-8"))
    assert cache.read_toml(path, cache_dir) == expected
    assert len(list(cache_dir.iterdir())) == 1
    assert cache.read_toml(path, cache_dir) == expected


def test_cached_toml_sees_an_edit(tmp_path: Path, cache_dir: Path) -> None:
    path = _toml(tmp_path, 'a = "old"\n')
    assert cache.read_toml(path, cache_dir) == {"a": "old"}
    _edit(path, '"old"', '"newer"')
    assert cache.read_toml(path, cache_dir) == {"a": "newer"}


def test_cached_toml_ignores_a_corrupt_cache_file(tmp_path: Path, cache_dir: Path) -> None:
    path = _toml(tmp_path, 'a = "value"\n')
    cache.read_toml(path, cache_dir)
    for stored in cache_dir.iterdir():
        stored.write_bytes(b"\xff\x00garbage")
    assert cache.read_toml(path, cache_dir) == {"a": "value"}


def test_cached_toml_raises_tomllib_errors_and_caches_nothing(
    tmp_path: Path, cache_dir: Path
) -> None:
    path = _toml(tmp_path, "a = \n")
    with pytest.raises(tomllib.TOMLDecodeError):
        cache.read_toml(path, cache_dir)
    assert not cache_dir.exists()
    with pytest.raises(FileNotFoundError):
        cache.read_toml(tmp_path / "missing.toml", cache_dir)


def test_cached_toml_with_dates_is_parsed_every_time(tmp_path: Path, cache_dir: Path) -> None:
    path = _toml(tmp_path, "when = 2024-01-02\n")
    assert str(cache.read_toml(path, cache_dir)["when"]) == "2024-01-02"
    assert str(cache.read_toml(path, cache_dir)["when"]) == "2024-01-02"
