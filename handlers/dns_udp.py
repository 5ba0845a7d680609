"""Many DNS queries over one UDP socket: multiplexed ids, a bound on those in flight, retries.

Built for blocklist sweeps, where thousands of tiny A/TXT queries go to one recursive resolver and
most answers are NXDOMAIN: those are read from the header alone, and the few answers with records
are read for their A and TXT data only. Each query is retried on another (or the same) server after `timeout /
attempts` seconds; a query that never gets an answer ends as rcode TIMEOUT.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

TIMEOUT = -1
BAD_NAME = -2
FORMERR = 1
A, TXT = 1, 16
_EDNS = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"  # OPT: 1232-byte UDP payload


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back for one question: rcode (or TIMEOUT / BAD_NAME), A addresses, TXT strings."""

    rcode: int
    addresses: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()


_LABELS: dict[bytes, bytes] = {}  # label -> length-prefixed label (octets and zone labels repeat)


def question_wire(name: str, rdtype: int) -> bytes | None:
    """The question section for `name`, or None when it is not a valid DNS name."""
    parts: list[bytes] = []
    for label in name.rstrip(".").encode("ascii", "replace").split(b"."):
        wire = _LABELS.get(label)
        if wire is None:
            if not 0 < len(label) < 64:
                return None
            wire = len(label).to_bytes(1, "big") + label
            if len(_LABELS) < 10_000:
                _LABELS[label] = wire
        parts.append(wire)
    question = b"".join(parts) + b"\x00"
    if len(question) > 255:
        return None
    return question + struct.pack("!HH", rdtype, 1)


def _skip_name(data: bytes, pos: int) -> int:
    while True:
        size = data[pos]
        if size >= 0xC0:
            return pos + 2
        if size == 0:
            return pos + 1
        pos += size + 1


def read_answer(data: bytes, question_size: int) -> Answer:
    """A and TXT records of a response (whatever their owner, so CNAME chains work), or its rcode."""
    rcode = data[3] & 0x0F
    count = int.from_bytes(data[6:8], "big")
    if rcode or not count:
        return Answer(rcode)
    addresses: list[str] = []
    texts: list[str] = []
    pos = 12 + question_size
    try:
        for _ in range(count):
            pos = _skip_name(data, pos)
            rdtype, _, _, size = struct.unpack_from("!HHIH", data, pos)
            pos += 10
            rdata = data[pos : pos + size]
            if len(rdata) != size:
                return Answer(FORMERR)
            if rdtype == A and size == 4:
                addresses.append(".".join(str(b) for b in rdata))
            elif rdtype == TXT:
                chunks, i = [], 0
                while i < size:
                    chunks.append(rdata[i + 1 : i + 1 + rdata[i]])
                    i += 1 + rdata[i]
                texts.append(b"".join(chunks).decode("utf-8", "replace"))
            pos += size
    except (IndexError, struct.error):
        return Answer(FORMERR)
    return Answer(rcode, tuple(addresses), tuple(texts))


@dataclass(slots=True)
class _Batch:
    results: list[Answer | None]
    remaining: int
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(slots=True)
class _Query:
    batch: _Batch
    index: int
    question: bytes
    attempt: int = 0
    deadline: float = 0.0


class UdpQuerier:
    """Sends questions to `servers` from one socket; use `query_many`, then `close`."""

    def __init__(
        self,
        servers: Sequence[tuple[str, int]],
        *,
        timeout: float,
        attempts: int = 3,
        in_flight: int = 128,
    ) -> None:
        if not servers:
            raise ValueError("no DNS server to ask")
        family = socket.AF_INET6 if ":" in servers[0][0] else socket.AF_INET
        self.servers = [s for s in servers if (":" in s[0]) == (family == socket.AF_INET6)]
        self.family = family
        self.attempts = max(1, attempts)
        self.wait = timeout / self.attempts
        self.in_flight = in_flight
        self._sock: socket.socket | None = None
        self._pending: dict[int, _Query] = {}
        self._waiting: deque[_Query] = deque()
        self._rng = random.Random()
        self._timer: asyncio.TimerHandle | None = None
        self.sent = 0  # datagrams sent, retries included (the benchmarks report it)

    def _open(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(self.family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            for force, opt in ((33, socket.SO_RCVBUF), (32, socket.SO_SNDBUF)):
                try:  # SO_RCVBUFFORCE/SO_SNDBUFFORCE (Linux, root) pass net.core.rmem_max
                    sock.setsockopt(socket.SOL_SOCKET, force, 1 << 21)
                except OSError:
                    sock.setsockopt(socket.SOL_SOCKET, opt, 1 << 21)
            if len(self.servers) == 1:  # a connected socket hears only its server
                sock.connect(self.servers[0])
            asyncio.get_running_loop().add_reader(sock.fileno(), self._readable)
            self._sock = sock
        return self._sock

    async def query_many(self, questions: Sequence[tuple[str, int]]) -> list[Answer]:
        """Answers to (name, rdtype) questions, in order; never raises for DNS outcomes."""
        batch = _Batch(results=[None] * len(questions), remaining=len(questions))
        if not questions:
            return []
        self._open()
        for index, (name, rdtype) in enumerate(questions):
            wire = question_wire(name, rdtype)
            if wire is None:
                batch.results[index] = Answer(BAD_NAME)
                batch.remaining -= 1
            else:
                self._waiting.append(_Query(batch, index, wire))
        self._fill(asyncio.get_running_loop().time())
        self._arm()
        if batch.remaining:
            await batch.done.wait()
        return [a if a is not None else Answer(TIMEOUT) for a in batch.results]

    def _fill(self, now: float) -> None:
        sock = self._sock
        if sock is None:
            return
        pending, waiting, servers, rng = self._pending, self._waiting, self.servers, self._rng
        connected = len(servers) == 1
        while waiting and len(pending) < self.in_flight:
            query = waiting.popleft()
            qid = rng.getrandbits(16)
            while qid in pending:
                qid = rng.getrandbits(16)
            query.deadline = now + self.wait
            pending[qid] = query
            self.sent += 1
            wire = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1) + query.question + _EDNS
            try:
                if connected:
                    sock.send(wire)
                else:
                    sock.sendto(wire, servers[query.attempt % len(servers)])
            except OSError:
                pass  # buffer full or unreachable: retried when its time is up

    def _finish(self, query: _Query, answer: Answer) -> None:
        batch = query.batch
        if batch.results[query.index] is None:
            batch.results[query.index] = answer
            batch.remaining -= 1
            if not batch.remaining:
                batch.done.set()

    def _arm(self) -> None:
        """Keep one timer running while questions are out, to retry and time them out."""
        if self._timer is None and (self._pending or self._waiting):
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(min(self.wait / 4, 0.05), self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._expire(asyncio.get_running_loop().time())
        self._arm()

    def _expire(self, now: float) -> None:
        late = [(qid, q) for qid, q in self._pending.items() if q.deadline <= now]
        for qid, query in late:
            del self._pending[qid]
            query.attempt += 1
            if query.attempt >= self.attempts:
                self._finish(query, Answer(TIMEOUT))
            else:
                self._waiting.appendleft(query)
        self._fill(now)

    def _readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        while True:
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                break
            except OSError:  # ICMP port unreachable on a connected socket: retried later
                continue
            self.received(data)
        self._fill(asyncio.get_running_loop().time())

    def received(self, data: bytes) -> None:
        """Match one datagram to its question; anything else is dropped."""
        if len(data) < 12:
            return
        qid = int.from_bytes(data[:2], "big")
        query = self._pending.get(qid)
        if query is None:
            return
        question = data[12 : 12 + len(query.question)]
        if question.lower() != query.question.lower():
            return  # not the answer to our question (late reply to a reused id, or spoofed)
        del self._pending[qid]
        self._finish(query, read_answer(data, len(query.question)))

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
