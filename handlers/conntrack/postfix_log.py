"""Reads Postfix and Dovecot log lines into connection tracks, correlated by queue id and session.

One track per recipient of a queued message (its smtpd session, cleanup/qmgr lines, every delivery
attempt with the smtp client's debug transcript when `debug_peer_list` logs one), one per rejected
RCPT/MAIL/DATA (NOQUEUE or not), one per failed SASL login and one per POP3/IMAP login (see
dovecot_log). Directions: delivered by `smtp` is outbound, by lmtp/local/virtual/pipe inbound (local
when the message was not received over SMTP), rejections inbound, SASL failures outbound. Only the
tracks are built here; the failing step is found by analyse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import tzinfo

from handlers.conntrack.dovecot_log import DovecotReader
from handlers.conntrack.logline import Clock
from handlers.conntrack.model import Step, Track, TrackStatus
from handlers.conntrack.outcome import Delivery, explain, finish_rejection, settle

_DELIVERY = re.compile(
    r"([0-9A-Za-z]+): to=<([^>]*)>,(?: orig_to=<[^>]*>,)? relay=([^,]*),.*? dsn=([\d.]+), status=(\w+) ?\(?(.*?)\)?$"
)
_ADDR = re.compile(r"\bfrom=<([^>]*)>,? to=<([^>]*)>")
_CLIENT = re.compile(r"client=([^,\s]*)")
_SASL_USER = re.compile(r"sasl_username=(\S+)")
_IP = re.compile(r"\[([0-9A-Fa-f:.]+)\]")
_QID = re.compile(r"([0-9A-F]{6,15}|[0-9A-Za-z]{12,20}): ")
_MAX_LINES = 400
_CLIENT_LINES = (
    "> ",
    "< ",
    "connect to ",
    "warning:",
    "Untrusted TLS",
    "Trusted TLS",
    "Verified TLS",
    "Anonymous TLS",
)
_LOCAL_AGENTS = ("lmtp", "local", "virtual", "pipe", "error", "discard", "retry")


class _Message:
    __slots__ = ("client", "deliveries", "lines", "received", "sender", "time")

    def __init__(self, when: float) -> None:
        self.time = when
        self.client = ""
        self.sender = ""
        self.received = False
        self.lines: list[str] = []
        self.deliveries: dict[str, Delivery] = {}


class LogReader:
    """Feed lines in log order, then call `tracks()`; memory is bounded per session and message."""

    def __init__(self, tz: tzinfo | None = None, now: float | None = None) -> None:
        self.clock = Clock(tz, now)
        self.messages: dict[str, _Message] = {}
        self.sessions: dict[str, list[str]] = {}
        self.clients: dict[str, str] = {}
        self.buffers: dict[str, list[str]] = {}
        self.screens: dict[str, list[str]] = {}
        self.extra: list[Track] = []
        self.dovecot = DovecotReader()
        self.times: dict[str, float] = {}
        self._seq = 0

    def feed(self, line: str) -> None:
        line = line.rstrip("\n")
        if line[3:4] == " " and line[15:16] == " ":  # classic syslog: "Nov 23 11:58:30 "
            stamp, rest = line[:15], line[16:]
            when = self.times.get(stamp)
            if when is None:
                when = self.times[stamp] = self.clock.classic(stamp)
        elif line[4:5] == "-" and line[10:11] == "T":  # RFC 3339: "2026-11-23T11:58:30.1+00:00 "
            space = line.find(" ")
            try:
                when = self.clock.iso(line[:space])
            except ValueError:
                return
            rest = line[space + 1 :]
        else:
            return
        colon = rest.find(": ")
        if colon < 0:
            return
        head = rest[:colon]
        key = head[head.rfind(" ") + 1 :]  # "postfix/smtpd[1470]", "dovecot", "pop3-login"
        bracket = key.find("[")
        prog = key[:bracket] if bracket > 0 else key
        msg = rest[colon + 2 :]
        if prog.startswith("postfix"):
            self._postfix(prog[prog.rfind("/") + 1 :], key, msg, line, when)
        elif prog == "dovecot" or "-login" in prog or prog.startswith(("auth", "pop3", "imap")):
            self.dovecot.feed(prog, msg, line, when)

    def feed_all(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.feed(line)

    def _message(self, qid: str, when: float) -> _Message:
        msg = self.messages.get(qid)
        if msg is None:
            msg = self.messages[qid] = _Message(when)
        return msg

    def _postfix(self, service: str, key: str, msg: str, line: str, when: float) -> None:
        qm = _QID.match(msg)
        if service == "smtpd":
            self._smtpd(key, msg, line, when, qm.group(1) if qm else None)
        elif service == "postscreen":
            self._postscreen(msg, line, when)
        elif qm is not None:
            self._queued(service, key, qm.group(1), msg, line, when)
        elif service in ("smtp", "lmtp", "relay") and msg.startswith(_CLIENT_LINES):
            if msg.startswith("connect to subsystem"):
                return
            buf = self.buffers.setdefault(key, [])
            if msg.startswith("connect to ") or (msg.startswith("< ") and ": 220 " in msg[:120]):
                buf.clear()  # a new connection: what is left of the last one is not this one's
            if len(buf) < _MAX_LINES:
                buf.append(line)

    def _smtpd(self, key: str, msg: str, line: str, when: float, qid: str | None) -> None:
        if msg.startswith("connect from "):
            self.sessions[key] = [line]
            ip = _IP.search(msg)
            self.clients[key] = ip.group(1) if ip else msg[13:]
            return
        session = self.sessions.get(key)
        if qid is not None:
            rest = msg[len(qid) + 2 :]
            if rest.startswith("client="):
                m = self._message(qid, when)
                m.received = True
                m.client = self.clients.get(key, "")
                m.lines = [*(session or ()), line][-_MAX_LINES:]
                user = _SASL_USER.search(rest)
                if user:
                    m.lines.append(f"sasl_username={user.group(1)}")
            elif "reject: " in rest:
                self._reject(qid, key, msg, line, when, session)
            return
        if msg.startswith("NOQUEUE: ") and "reject: " in msg:
            self._reject("", key, msg, line, when, session)
        elif msg.startswith("warning: ") and "authentication failed" in msg:
            user = _SASL_USER.search(msg)
            self._seq += 1
            self.extra.append(
                Track(
                    id=f"auth-{int(when)}-{self._seq}",
                    protocol="smtp",
                    direction="outbound",
                    time=when,
                    client=self.clients.get(key, ""),
                    sender=user.group(1) if user else "",
                    status=TrackStatus.LOGIN_FAILED,
                    failed_step=Step.AUTH,
                    reason=msg[9:],
                    transcript=[*(session or ()), line],
                )
            )
        elif session is not None and len(session) < _MAX_LINES:
            if msg.startswith(("> ", "< ", "disconnect from", "lost connection", "timeout after")):
                session.append(line)
            if msg.startswith("disconnect from"):
                del self.sessions[key]

    def _postscreen(self, msg: str, line: str, when: float) -> None:
        ip = _IP.search(msg)
        if ip is None:
            return
        port = msg[ip.end() : ip.end() + 7].partition(" ")[0].rstrip(":")
        peer = ip.group(0) + port
        if msg.startswith("CONNECT from "):
            self.screens[peer] = [line]
        elif msg.startswith("NOQUEUE: ") and "reject: " in msg:
            self._reject(
                "", "postscreen", msg, line, when, self.screens.pop(peer, None), ip.group(1)
            )
        elif peer in self.screens:
            if msg.startswith(("DISCONNECT", "PASS")):
                del self.screens[peer]
            else:
                self.screens[peer].append(line)

    def _reject(
        self,
        qid: str,
        key: str,
        msg: str,
        line: str,
        when: float,
        session: list[str] | None,
        ip: str = "",
    ) -> None:
        self._seq += 1
        addr = _ADDR.search(msg)
        grey = "greylist" in msg.lower()
        self.extra.append(
            Track(
                id=f"{qid or 'NOQUEUE'}-r{int(when)}-{self._seq}",
                protocol="smtp",
                direction="inbound",
                time=when,
                client=ip or self.clients.get(key, ""),
                sender=addr.group(1) if addr else "",
                recipient=addr.group(2) if addr else "",
                status=TrackStatus.GREYLISTED if grey else TrackStatus.REJECTED,
                transcript=[*(session or ()), line],
            )
        )

    def _queued(self, service: str, key: str, qid: str, msg: str, line: str, when: float) -> None:
        rest = msg[len(qid) + 2 :]
        if rest.startswith("to=<"):
            self._delivery(service, key, qid, msg, line, when)
            return
        m = self._message(qid, when)
        if rest.startswith(("from=<", "uid=")):
            start = rest.find("from=<") + 6
            m.sender = rest[start : rest.find(">", start)]
            if "status=expired" in rest:
                for d in m.deliveries.values():
                    if d.outcome == "deferred":
                        d.outcome = "expired"
                        d.track.transcript.append(line)
                return
        elif "reject: " in rest:
            self._reject(qid, key, msg, line, when, list(m.lines))
            return
        elif rest.startswith("removed") or service == "bounce":
            return
        if len(m.lines) < _MAX_LINES:
            m.lines.append(line)

    def _delivery(self, service: str, key: str, qid: str, msg: str, line: str, when: float) -> None:
        dm = _DELIVERY.match(msg)
        if dm is None:
            return
        m = self._message(qid, when)
        rcpt = dm.group(2)
        d = m.deliveries.get(rcpt)
        if d is None:
            outbound = service == "smtp"
            direction = "outbound" if outbound else ("inbound" if m.received else "local")
            track = Track(
                id=f"{qid}-{len(m.deliveries) + 1}",
                protocol="smtp",
                direction=direction,
                time=m.time,
                client=m.client,
                sender=m.sender,
                recipient=rcpt,
                transcript=list(m.lines),
            )
            d = m.deliveries[rcpt] = Delivery(track)
        buf = self.buffers.pop(key, [])
        if dm.group(3) == "none" and not any("connect to " in b for b in buf):
            buf = []  # nothing was connected to (a DNS failure): leftovers of an earlier session
        d.attempt = len(d.track.transcript)
        d.track.transcript.extend(buf)
        d.track.transcript.append(line)
        del d.track.transcript[:-_MAX_LINES]
        d.attempt = max(0, d.attempt - max(0, len(d.track.transcript) - _MAX_LINES))
        d.outcome, d.dsn, d.reason = dm.group(5), dm.group(4), dm.group(6)
        if not d.track.sender:
            d.track.sender = m.sender

    def tracks(self, keep: Callable[[Track], bool] | None = None) -> list[Track]:
        """The tracks read so far, oldest first, with the failing step found.

        `keep` (tried on sender, recipient, time, direction, protocol and status) skips the
        analysis of tracks nobody asked for.
        """
        out = [finish_rejection(t) for t in self.extra if keep is None or keep(t)]
        for m in self.messages.values():
            for d in m.deliveries.values():
                t = settle(d)
                if keep is None or keep(t):
                    out.append(explain(t, d))
        out.extend(t for t in self.dovecot.tracks() if keep is None or keep(t))
        out.sort(key=lambda t: t.time)
        return out


def read_tracks(
    lines: Iterable[str], tz: tzinfo | None = None, now: float | None = None
) -> list[Track]:
    """All tracks in some log lines (Postfix and Dovecot may be mixed or come one after the other)."""
    reader = LogReader(tz, now)
    reader.feed_all(lines)
    return reader.tracks()
