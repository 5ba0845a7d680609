"""Turns log timestamps (classic syslog without a year, or RFC 3339) into epoch seconds, cached."""

from __future__ import annotations

import time
from datetime import UTC, datetime, tzinfo

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


class Clock:
    """Turns log timestamps into epoch seconds; classic syslog times get a year near `now`."""

    def __init__(self, tz: tzinfo | None = None, now: float | None = None) -> None:
        self.tz = tz or UTC
        self.now = time.time() if now is None else now
        self.year = datetime.fromtimestamp(self.now, self.tz).year
        self._cache: dict[str, float] = {}

    def classic(self, stamp: str) -> float:
        cached = self._cache.get(stamp)
        if cached is not None:
            return cached
        mon, day, hms = stamp.split()
        h, m, s = hms.split(":")
        args = (_MONTHS.get(mon, 1), int(day), int(h), int(m), int(s))
        try:
            value = datetime(self.year, *args, tzinfo=self.tz).timestamp()
            if value > self.now + 2 * 86400:
                value = datetime(self.year - 1, *args, tzinfo=self.tz).timestamp()
        except ValueError:  # Feb 29 of a year without one
            value = 0.0
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[stamp] = value
        return value

    def iso(self, stamp: str) -> float:
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment.timestamp()
