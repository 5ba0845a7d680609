"""Follows growing mail logs: only lines appended since the last read are parsed; a rotated or
truncated file (new inode, smaller size) starts the reading over. Compressed files are read whole."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

from handlers.conntrack.model import Track
from handlers.conntrack.postfix_log import LogReader
from handlers.conntrack.sources.postfix import read_files
from handlers.errors import ApplianceError
from knowledge.loader import load

CHUNK = 8 << 20


class FollowedLogs:
    """Call `refresh()` (blocking) for the current tracks, newest first."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)
        self.reader: LogReader | None = None
        self.positions: dict[str, tuple[int, int]] = {}  # path -> (inode, bytes read)
        self.tracks: list[Track] = []

    def _stat(self, path: str) -> tuple[int, int]:
        try:
            st = os.stat(path)
        except OSError as exc:
            raise ApplianceError(
                load().text("conntrack.error.log_unreadable", "en", path=path, detail=exc.strerror)
            ) from exc
        return st.st_ino, st.st_size

    def refresh(self) -> list[Track]:
        stats = {p: self._stat(p) for p in self.paths}
        if any(p.endswith(".gz") for p in self.paths):
            if self.reader is None or stats != self.positions:
                self.tracks = _newest_first(read_files(self.paths))
                self.reader, self.positions = LogReader(), dict(stats)
            return self.tracks
        restart = self.reader is None or any(
            inode != self.positions.get(p, (inode, 0))[0] or size < self.positions.get(p, (0, 0))[1]
            for p, (inode, size) in stats.items()
        )
        if restart:
            self.reader = LogReader(tz=datetime.now().astimezone().tzinfo)
            self.positions = {p: (stats[p][0], 0) for p in self.paths}
        assert self.reader is not None
        grew = False
        for path in self.paths:
            inode, done = self.positions[path]
            if stats[path][1] == done:
                continue
            grew = True
            self.positions[path] = (inode, done + self._feed(path, done))
        if grew or restart:
            self.tracks = _newest_first(self.reader.tracks())
        return self.tracks

    def _feed(self, path: str, offset: int) -> int:
        """Feed the complete lines after `offset`; returns how many bytes were consumed."""
        assert self.reader is not None
        used = 0
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                while chunk := fh.read(CHUNK):
                    end = chunk.rfind(b"\n") + 1
                    if end == 0:
                        break  # a line still being written
                    for line in chunk[:end].decode("utf-8", "replace").splitlines():
                        self.reader.feed(line)
                    used += end
                    fh.seek(offset + used)
        except OSError as exc:
            raise ApplianceError(
                load().text("conntrack.error.log_unreadable", "en", path=path, detail=exc.strerror)
            ) from exc
        return used


def _newest_first(tracks: list[Track]) -> list[Track]:
    tracks.sort(key=lambda t: (t.time, t.id), reverse=True)
    return tracks
