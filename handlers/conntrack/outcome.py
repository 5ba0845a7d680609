"""Fills a track's status and failing step from its last delivery line and its transcript."""

from __future__ import annotations

from handlers.conntrack.analyse import GREYLIST, analyse
from handlers.conntrack.model import Step, Track, TrackStatus


class Delivery:
    """One recipient of a queued message: its track and what the last delivery line said."""

    __slots__ = ("attempt", "dsn", "outcome", "reason", "track")

    def __init__(self, track: Track) -> None:
        self.track = track
        self.attempt = 0
        self.outcome = ""
        self.dsn = ""
        self.reason = ""


def settle(d: Delivery) -> Track:
    """Status, reason and codes from the last delivery line alone (cheap)."""
    t = d.track
    t.reason = d.reason
    t.status_code = d.dsn
    if d.outcome == "sent":
        t.status = TrackStatus.SENT
        t.reply_code = d.reason[:3] if d.reason[:3].isdigit() else ""
    elif d.outcome == "deferred":
        grey = GREYLIST.search(d.reason) is not None
        t.status = TrackStatus.GREYLISTED if grey else TrackStatus.DEFERRED
    else:
        t.status = TrackStatus.BOUNCED
    return t


def explain(t: Track, d: Delivery) -> Track:
    """The failing step of the last attempt, from its transcript and delivery line."""
    if t.status is TrackStatus.SENT:
        return t
    verdict = analyse(t.transcript[d.attempt :])
    t.failed_step = verdict.failed_step
    t.reply_code = verdict.reply_code
    t.status_code = verdict.status_code or d.dsn
    return t


def finish_rejection(t: Track) -> Track:
    """Fill the failing step of a rejection or SASL track from its transcript."""
    if t.failed_step is Step.NONE:
        verdict = analyse(t.transcript)
        t.failed_step = verdict.failed_step
        t.reason = t.reason or verdict.reply
        t.reply_code = verdict.reply_code
        t.status_code = verdict.status_code
    return t
