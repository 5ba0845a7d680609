"""Reads Dovecot's login lines (its own log file or through syslog) into POP3/IMAP login tracks."""

from __future__ import annotations

import re

from handlers.conntrack.model import Step, Track, TrackStatus

_LEVEL = re.compile(r"^(?:Info|Warning|Error|Fatal|Panic|Debug): ")
_FIELDS = re.compile(r"\b(user|rip|session)=<?([^>,\s]*)>?")
_AUTH_SESSION = re.compile(r"^auth(?:-worker)?(?:\(\d+\))?: .*?,<([^>]+)>\)")
_SESSION = re.compile(r"^(pop3|imap)\([^)]*\)(?:<\d+>)?<([^>]+)>: ")
_MAX_PENDING = 10_000


class DovecotReader:
    """Login tracks keyed by Dovecot's session id; auth lines join the login that follows them."""

    def __init__(self) -> None:
        self.auth: dict[str, list[str]] = {}
        self.by_session: dict[str, Track] = {}
        self.done: list[Track] = []

    def feed(self, prog: str, msg: str, line: str, when: float) -> None:
        if prog == "dovecot":  # through syslog: "dovecot: pop3-login: Login: ..."
            prog, _, msg = msg.partition(": ")
        msg = _LEVEL.sub("", msg, count=1)
        text = f"{prog}: {msg}"
        if prog.startswith("auth"):
            m = _AUTH_SESSION.match(text)
            if m is not None:
                if len(self.auth) > _MAX_PENDING:
                    self.auth.clear()
                self.auth.setdefault(m.group(1), []).append(line)
            return
        if prog.endswith("-login"):
            self._login(prog[:-6], msg, line, when)
            return
        m = _SESSION.match(text)
        if m is not None:
            track = self.by_session.get(m.group(2))
            if track is not None and len(track.transcript) < 100:
                track.transcript.append(line)

    def _login(self, protocol: str, msg: str, line: str, when: float) -> None:
        if protocol not in ("pop3", "imap"):
            return
        fields = dict(_FIELDS.findall(msg))
        user = fields.get("user", "")
        if not user:
            return
        session = fields.get("session", "")
        lines = [*self.auth.pop(session, ()), line]
        ok = msg.startswith("Login: ")
        if not ok and "auth failed" not in msg:
            return
        track = Track(
            id=f"{protocol}-{_safe(session) or int(when)}",
            protocol=protocol,
            direction="inbound",
            time=when,
            client=fields.get("rip", ""),
            sender=user,
            status=TrackStatus.OK if ok else TrackStatus.LOGIN_FAILED,
            failed_step=Step.NONE if ok else Step.LOGIN,
            reason="" if ok else _failure_reason(lines),
            transcript=lines,
        )
        self.done.append(track)
        if ok and session:
            if len(self.by_session) > _MAX_PENDING:
                self.by_session.clear()
            self.by_session[session] = track

    def tracks(self) -> list[Track]:
        return list(self.done)


def _failure_reason(lines: list[str]) -> str:
    """The auth process's own words (`Password mismatch`, `unknown user`), else the login line's."""
    for line in lines:
        head, sep, tail = line.rpartition("): ")
        if sep and "auth" in head:
            return tail.strip()
    return lines[-1].rpartition(": Disconnected: ")[2] or lines[-1]


def _safe(session: str) -> str:
    return session.replace("/", "_").replace("+", "-")
