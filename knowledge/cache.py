"""Files in the user's cache directory that let a start skip parsing TOML: parsed data, keyed by its sources.

Each cache file starts with a key: a format number, the Python version and the path, size and
modification time of every file the data was made from (for the knowledge base: every TOML and
Python file under knowledge/, so an edited file or a new version of the code means a fresh parse).
`cached()` keeps records as a pickle read back by an unpickler that builds only the classes its
caller names; `read_toml()` keeps one TOML file's plain data with marshal. Cache files are read only
when the current user owns them. A missing, unreadable, corrupt or stale file is ignored and
replaced (written to a temporary name, then renamed); a directory that cannot be written only costs
the parse. Writing one also removes files of the same kind that other checkouts left there and
nobody wrote for STALE_DAYS. Parsing and checking the data stay with the callers.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["FORMAT", "cached", "default_dir", "fingerprint", "read_toml", "sources"]

FORMAT = 1  # raise when the layout of a cache file changes
MAX_BYTES = 20_000_000  # a larger file is not one of ours
STALE_DAYS = 30  # a cache file of another checkout or install not written for this long goes

T = TypeVar("T")
Key = tuple[object, ...]


def default_dir() -> Path | None:
    """The user's cache directory for mailtriage (platformdirs' user_cache_dir), None if unknown."""
    try:
        if sys.platform.startswith("linux"):  # the XDG rule, without importing platformdirs
            base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
            return Path(base) / "mailtriage"
        import platformdirs

        return Path(platformdirs.user_cache_dir("mailtriage"))
    except Exception:  # no home directory, odd platform: run without a cache
        return None


def sources(root: Path) -> list[Path]:
    """Every .toml and .py file under `root` (sorted; hidden and __pycache__ folders skipped)."""
    out: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        out += [Path(folder, n) for n in sorted(names) if n.endswith((".toml", ".py"))]
    return out


def fingerprint(files: Iterable[Path]) -> Key:
    """What data made from `files` depends on: their paths, sizes and modification times."""
    stats = []
    for path in files:
        st = os.stat(path)
        stats.append((str(path), st.st_size, st.st_mtime_ns))
    return (FORMAT, sys.version, tuple(stats))


def _path(directory: Path, name: str, files: Sequence[Path]) -> Path:
    import zlib

    # one file per source location, so two checkouts do not keep replacing each other's cache
    where = str(files[0].resolve()) if files else ""
    return directory / f"{name}-{zlib.crc32(where.encode()):08x}.cache"


def _read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > MAX_BYTES or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                return None  # not ours: someone else could have written anything into it
            return fh.read()
    except OSError:
        return None


def _write_bytes(path: Path, chunks: Sequence[bytes]) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")  # one per writer
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except OSError:  # read-only or full disk, no such directory: run without a cache
        with contextlib.suppress(OSError):
            tmp.unlink()
        return
    _prune(path)


def _prune(kept: Path) -> None:
    """Remove the files of the same kind that other checkouts left and nobody wrote for long."""
    kind = kept.name.split("-", 1)[0]
    cutoff = time.time() - STALE_DAYS * 86_400
    for old in kept.parent.glob(f"{kind}-*.cache"):
        with contextlib.suppress(OSError):
            if old != kept and old.stat().st_mtime < cutoff:
                old.unlink()


def _unpickled(data: bytes, key: Key, allowed: dict[tuple[str, str], type]) -> object | None:
    """The value pickled after `key`, building only the allowed classes; None if anything is off."""
    import pickle

    class Restricted(pickle.Unpickler):
        """Builds only the allowed classes: a tampered cache file cannot run code."""

        def find_class(self, module: str, name: str, /) -> Any:
            found = allowed.get((module, name))
            if found is None:
                raise pickle.UnpicklingError(f"{module}.{name} is not allowed in this cache")
            return found

    stream = io.BytesIO(data)  # two pickles: the key, then the value (each its own memo)
    try:
        if Restricted(stream).load() != key:
            return None
        value: object = Restricted(stream).load()
    except Exception:  # truncated, corrupt, tampered, written by other code: parse instead
        return None
    return value


def _by_fields(obj: Any) -> tuple[type, tuple[object, ...]]:
    """Pickle a dataclass record as its constructor call (much faster to read than its state)."""
    return type(obj), tuple(getattr(obj, name) for name in obj.__dataclass_fields__)


def cached(
    name: str,
    files: Iterable[Path],
    build: Callable[[], T],
    kind: type[T],
    types: Iterable[type],
    directory: Path | None,
) -> T:
    """`build()`'s result, read from the cache file while none of `files` has changed.

    `kind` is the type of the result and `types` the dataclass records it contains: the only
    classes a cache file may build. With `directory` None no cache is used.
    """
    if directory is None:
        return build()
    files = list(files)
    key = fingerprint(files)
    path = _path(directory, name, files)
    records = tuple(types)
    allowed = {(t.__module__, t.__qualname__): t for t in (kind, *records)}
    data = _read_bytes(path)
    found = _unpickled(data, key, allowed) if data is not None else None
    if isinstance(found, kind):
        return found
    value = build()
    try:
        import pickle

        head = io.BytesIO()
        pickle.Pickler(head, protocol=pickle.HIGHEST_PROTOCOL).dump(key)
        body = io.BytesIO()
        writer = pickle.Pickler(body, protocol=pickle.HIGHEST_PROTOCOL)
        writer.dispatch_table = {t: _by_fields for t in records}
        writer.dump(value)
    except Exception:  # a value pickle cannot store: no cache
        return value
    _write_bytes(path, (head.getvalue(), body.getvalue()))
    return value


def read_toml(path: Path, directory: Path | None = None) -> dict[str, Any]:
    """`tomllib.load()` of `path`, from a cache file in `directory` (default: the user's) if current.

    Errors are tomllib's own (OSError, tomllib.TOMLDecodeError): a file that does not parse is
    never cached.
    """
    import marshal

    directory = directory or default_dir()
    key = fingerprint([path])
    cache_path = _path(directory, "toml", [path]) if directory else None
    data = _read_bytes(cache_path) if cache_path else None
    found = _unmarshalled(data, key) if data is not None else None
    if found is not None:
        return found
    import tomllib

    with open(path, "rb") as fh:
        value = tomllib.load(fh)
    if cache_path is not None:
        try:
            blob = marshal.dumps((key, value))  # type: ignore[arg-type]  # plain data
        except ValueError:  # dates and times: marshal cannot store them
            return value
        _write_bytes(cache_path, (blob,))
    return value


def _unmarshalled(data: bytes, key: Key) -> dict[str, Any] | None:
    """The TOML data stored after `key`, None if the file is for other sources or damaged."""
    import marshal

    try:
        stored_key, value = marshal.loads(data)
    except Exception:  # truncated, corrupt or foreign: parse instead
        return None
    return value if stored_key == key and isinstance(value, dict) else None
