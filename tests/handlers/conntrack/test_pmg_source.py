"""Proxmox Mail Gateway: a fake tracking center on loopback answering in PMG's own schema.

The list and detail answers are the reference recordings (read from ../shared at test time) plus a
small greylisted and a bounced message recorded here in the same schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.conntrack import track
from handlers.conntrack.sources import Query
from handlers.conntrack.sources.pmg import PmgSource
from handlers.errors import ApplianceError
from handlers.request import ApplianceSettings
from tests.lab.binaries import shared_dir

TICKET = "PMG:root@pam:675A1B2C::fakesignature"
NOW = 1608310000.0

GREY_ROW = {
    "time": 1608304000,
    "id": "T5FDCCBC0L00000002",
    "dstatus": "G",
    "client": "mx.sender.example[198.51.100.9]",
    "from": "news@sender.example",
    "to": "alex@example.com",
}
BOUNCE_ROW = {
    "time": 1608305000,
    "id": "4A1B2C3D4E",
    "qid": "4A1B2C3D4E",
    "dstatus": "5",
    "relay": "none",
    "client": "pmg.localhost[192.168.22.40]",
    "from": "alex@example.com",
    "to": "cs@nusoft.example",
    "size": "1820",
}
DETAILS = {
    "T5FDCCBC0L00000002": [
        "Dec 18 16:06:40 proxmox-new postfix/smtpd[14001]: connect from mx.sender.example[198.51.100.9]",
        "Dec 18 16:06:40 proxmox-new postfix/smtpd[14001]: NOQUEUE: reject: RCPT from mx.sender.example[198.51.100.9]: 450 4.7.1 <alex@example.com>: Recipient address rejected: Service is unavailable (try again later); from=<news@sender.example> to=<alex@example.com> proto=ESMTP helo=<mx.sender.example>",
        "Dec 18 16:06:40 proxmox-new pmgpolicy[1200]: reject by greylist",
    ],
    "4A1B2C3D4E": [
        "Dec 18 16:23:20 proxmox-new postfix/qmgr[18171]: 4A1B2C3D4E: from=<alex@example.com>, size=1820, nrcpt=1 (queue active)",
        "Dec 18 16:23:20 proxmox-new postfix/smtp[14100]: 4A1B2C3D4E: to=<cs@nusoft.example>, relay=mail.nusoft.example[203.0.113.5]:25, delay=0.4, delays=0.1/0/0.2/0.1, dsn=5.1.1, status=bounced (host mail.nusoft.example[203.0.113.5] said: 550 5.1.1 <cs@nusoft.example>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command))",
    ],
}


class FakePmg:
    """Ticket auth, the tracker list (time window, from/target, limit) and the detail by id."""

    def __init__(self) -> None:
        ref = shared_dir() / "reference" / "appliance"
        self.rows: list[dict[str, Any]] = json.loads((ref / "pmg_tracker_list.json").read_text())[
            "data"
        ]
        self.rows += [GREY_ROW, BOUNCE_ROW]
        self.details = {
            d["data"]["id"]: d["data"]
            for d in (
                json.loads((ref / name).read_text())
                for name in ("pmg_tracker_detail.json", "pmg_tracker_detail_noqueue.json")
            )
        }
        self.limits: list[int] = []

    async def ticket(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("username") == "root@pam" and form.get("password") == "right":
            return JSONResponse(
                {"data": {"ticket": TICKET, "CSRFPreventionToken": "x:y", "username": "root@pam"}}
            )
        return JSONResponse({"data": None}, status_code=401)

    def authorized(self, request: Request) -> bool:
        return request.cookies.get("PMGAuthCookie") == TICKET

    async def tracker(self, request: Request) -> Response:
        if not self.authorized(request):
            return JSONResponse({"data": None}, status_code=401)
        q = request.query_params
        start, end = int(q["starttime"]), int(q["endtime"])
        rows = [r for r in self.rows if start <= r["time"] <= end]
        for key, field in (("from", "from"), ("target", "to")):
            if q.get(key):
                rows = [r for r in rows if q[key].lower() in r.get(field, "").lower()]
        rows.sort(key=lambda r: r["time"], reverse=True)
        if "limit" in q:
            self.limits.append(int(q["limit"]))
            rows = rows[: int(q["limit"])]
        return JSONResponse({"data": rows})

    async def detail(self, request: Request) -> Response:
        if not self.authorized(request):
            return JSONResponse({"data": None}, status_code=401)
        key = request.path_params["id"]
        if key in DETAILS:
            return JSONResponse({"data": {"id": key, "logs": DETAILS[key]}})
        if key in self.details:
            return JSONResponse({"data": self.details[key]})
        return JSONResponse({"data": None}, status_code=404)

    def app(self) -> Starlette:
        base = "/api2/json/nodes/pmg1/tracker"
        return Starlette(
            routes=[
                Route("/api2/json/access/ticket", self.ticket, methods=["POST"]),
                Route(base, self.tracker),
                Route(base + "/{id}", self.detail),
            ]
        )


@pytest.fixture
def pmg(serve: Callable[[Any], str]) -> tuple[FakePmg, ApplianceSettings]:
    fake = FakePmg()
    url = serve(fake.app())
    return fake, ApplianceSettings(kind="pmg", url=url, token="root@pam:right", node="pmg1")


async def test_rows_become_tracks_with_pmg_status_letters_mapped(
    pmg: tuple[FakePmg, ApplianceSettings],
) -> None:
    _, settings = pmg
    tracks = await track("test1@localhost", 7 * 86400, settings, now=NOW)
    assert [(t.recipient, t.status, t.client) for t in tracks] == [
        ("test1@localhost", "sent", "192.168.22.40")
    ]


async def test_a_dnsbl_reject_is_explained_from_the_tracker_detail(
    pmg: tuple[FakePmg, ApplianceSettings],
) -> None:
    _, settings = pmg
    [t] = await track("rbl_reject_test@localhost.localdomain", 7 * 86400, settings, now=NOW)
    assert (t.status, t.failed_step, t.reply_code, t.status_code) == (
        "rejected",
        "rcpt_to",
        "550",
        "5.7.1",
    )
    assert "zen.spamhaus.org" in t.reason


async def test_greylisting_and_a_bounce_get_their_steps(
    pmg: tuple[FakePmg, ApplianceSettings],
) -> None:
    _, settings = pmg
    tracks = {t.recipient: t for t in await track("alex@example.com", 7 * 86400, settings, now=NOW)}
    grey, bounce = tracks["alex@example.com"], tracks["cs@nusoft.example"]
    assert (grey.status, grey.failed_step, grey.reply_code) == ("greylisted", "rcpt_to", "450")
    assert (bounce.status, bounce.failed_step, bounce.status_code) == (
        "bounced",
        "rcpt_to",
        "5.1.1",
    )


async def test_a_full_page_moves_the_window_back_until_everything_is_read(
    pmg: tuple[FakePmg, ApplianceSettings],
) -> None:
    fake, settings = pmg
    query = Query(address="", since=NOW - 7 * 86400, until=NOW)
    tracks = await PmgSource(settings, page=2).fetch(query)
    assert len(tracks) == len({(r["id"], r["to"]) for r in fake.rows})
    assert (
        len(fake.limits) > 2 and max(fake.limits) > 2
    )  # paged, and widened inside one busy second


async def test_a_wrong_password_is_an_auth_failure_naming_pmg(
    pmg: tuple[FakePmg, ApplianceSettings],
) -> None:
    _, settings = pmg
    bad = ApplianceSettings(kind="pmg", url=settings.url, token="root@pam:wrong", node="pmg1")
    with pytest.raises(ApplianceError) as exc:
        await track("alex@example.com", 3600, bad, now=NOW)
    assert "Proxmox Mail Gateway" in str(exc.value) and "401" in str(exc.value)
    assert "wrong" not in str(exc.value).replace("went wrong", "")


async def test_a_token_without_a_password_is_explained(
    pmg: tuple[FakePmg, ApplianceSettings],
) -> None:
    _, settings = pmg
    bad = ApplianceSettings(kind="pmg", url=settings.url, token="justaname", node="pmg1")
    with pytest.raises(ApplianceError, match="user@realm:password"):
        await track("alex@example.com", 3600, bad, now=NOW)


async def test_an_existing_ticket_is_used_as_is(pmg: tuple[FakePmg, ApplianceSettings]) -> None:
    _, settings = pmg
    direct = ApplianceSettings(kind="pmg", url=settings.url, token=TICKET, node="pmg1")
    assert await track("test2@localhost", 7 * 86400, direct, now=NOW)


async def test_a_wrong_node_is_a_clear_not_found(pmg: tuple[FakePmg, ApplianceSettings]) -> None:
    _, settings = pmg
    bad = ApplianceSettings(kind="pmg", url=settings.url, token="root@pam:right", node="other")
    with pytest.raises(ApplianceError, match="MAILTRIAGE_APPLIANCE_NODE"):
        await track("alex@example.com", 3600, bad, now=NOW)
