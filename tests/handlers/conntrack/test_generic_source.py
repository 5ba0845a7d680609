"""The generic API end to end: `appliance serve`'s app on loopback, read by the generic adapter."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.appliance import create_app
from handlers.conntrack import track
from handlers.conntrack.sources import Query
from handlers.conntrack.sources.generic import GenericSource
from handlers.errors import ApplianceError
from handlers.request import ApplianceSettings
from tests.lab.binaries import free_port, shared_dir

TOKEN = "generic-test-token-91c2"
NOW = 1795435300.0  # shortly after the reference lab run (2026-11-23 12:01 UTC)


def _logs() -> list[str]:
    ref = shared_dir() / "reference" / "appliance"
    return [str(ref / "sample_maillog.txt"), str(ref / "sample_dovecot.log")]


@pytest.fixture
def api(serve: Callable[[Any], str]) -> str:
    return serve(create_app(_logs(), TOKEN)) + "/api/v1"


def _settings(url: str, token: str = TOKEN, **kw: Any) -> ApplianceSettings:
    return ApplianceSettings(kind="generic", url=url, token=token, **kw)


async def test_the_bot_reads_failed_tracks_with_their_step_and_transcript(api: str) -> None:
    tracks = await track("cs@relay.test", 86400, _settings(api), now=NOW)
    bounced = [t for t in tracks if t.status == "bounced"]
    assert len(bounced) == 2
    assert {(t.failed_step, t.reply_code, t.status_code) for t in bounced} == {
        ("rcpt_to", "550", "5.1.1")
    }
    assert all(any("RCPT TO:<cs@relay.test>" in line for line in t.transcript) for t in bounced)


async def test_following_the_cursor_pages_gives_every_track_once(api: str) -> None:
    query = Query(address="sender@client.test", since=NOW - 86400, until=NOW)
    paged = await GenericSource(_settings(api), page=3).fetch(query)
    whole = await GenericSource(_settings(api)).fetch(query)
    assert len(paged) == len(whole) > 10
    assert [t.id for t in paged] == [t.id for t in whole]
    assert len({t.id for t in paged}) == len(paged)


async def test_max_tracks_bounds_how_much_is_pulled(api: str) -> None:
    tracks = await track("sender@client.test", 86400, _settings(api, max_tracks=4), now=NOW)
    assert len(tracks) == 4
    assert tracks == sorted(tracks, key=lambda t: t.time, reverse=True)


async def test_the_api_filters_by_status_direction_protocol_and_ip(api: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=api, headers=headers) as client:
        r = await client.get("/tracks", params={"status": "rejected", "direction": "inbound"})
        assert r.status_code == 200
        assert {t["status"] for t in r.json()["tracks"]} == {"rejected"}
        assert "transcript" not in r.json()["tracks"][0]
        r = await client.get("/tracks", params={"protocol": "imap"})
        assert {t["sender"] for t in r.json()["tracks"]} == {"cs", "alice"}
        r = await client.get("/tracks", params={"ip": "127.0.0.7"})
        assert [t["reply_code"] for t in r.json()["tracks"]] == ["550"]
        r = await client.get("/tracks", params={"since": "2026-11-23T12:00:00Z"})
        assert all(t["time"] >= "2026-11-23T12:00:00Z" for t in r.json()["tracks"])


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "many"},
        {"status": "lost"},
        {"since": "yesterday"},
        {"cursor": "%%"},
    ],
)
async def test_malformed_parameters_are_a_400_naming_the_problem(
    api: str, params: dict[str, str]
) -> None:
    async with httpx.AsyncClient(
        base_url=api, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        r = await client.get("/tracks", params=params)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"


async def test_one_track_is_served_with_its_transcript_and_an_unknown_id_is_404(api: str) -> None:
    async with httpx.AsyncClient(
        base_url=api, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        r = await client.get("/tracks/D65D522447F-1")
        assert r.status_code == 200
        assert r.json()["failed_step"] == "rcpt_to" and len(r.json()["transcript"]) > 5
        assert (await client.get("/tracks/NOPE-1")).status_code == 404


async def test_a_wrong_token_is_refused_and_named_without_leaking_the_token(
    api: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ApplianceError) as exc:
        await track("cs@relay.test", 3600, _settings(api, token="wrong-secret-5551"), now=NOW)
    message = str(exc.value)
    assert (
        "Appliance API" in message and "401" in message and "MAILTRIAGE_APPLIANCE_TOKEN" in message
    )
    assert "wrong-secret-5551" not in message + caplog.text
    assert TOKEN not in caplog.text


async def test_an_appliance_nobody_listens_on_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}/api/v1"
    with pytest.raises(ApplianceError, match="could not be reached"):
        await track("cs@relay.test", 3600, _settings(url))


async def _slow(request: Request) -> Response:
    await asyncio.sleep(2)
    return JSONResponse({"tracks": [], "next_cursor": None})


async def _broken(request: Request) -> Response:
    return Response("oops", status_code=502)


async def _nonsense(request: Request) -> Response:
    return JSONResponse({"tracks": [{"id": "x"}], "next_cursor": None})


async def test_a_slow_appliance_times_out_with_a_clear_answer(serve: Callable[[Any], str]) -> None:
    url = serve(Starlette(routes=[Route("/tracks", _slow)]))
    with pytest.raises(ApplianceError, match=r"did not answer within 0.3 s"):
        await track("cs@relay.test", 3600, _settings(url, timeout=0.3))


async def test_a_failing_appliance_is_a_server_error(serve: Callable[[Any], str]) -> None:
    url = serve(Starlette(routes=[Route("/tracks", _broken)]))
    with pytest.raises(ApplianceError, match=r"HTTP 502"):
        await track("cs@relay.test", 3600, _settings(url))


async def test_an_answer_of_the_wrong_shape_is_reported_not_crashed_on(
    serve: Callable[[Any], str],
) -> None:
    url = serve(Starlette(routes=[Route("/tracks", _nonsense)]))
    with pytest.raises(ApplianceError, match=r"unexpected .*protocol"):
        await track("cs@relay.test", 3600, _settings(url))


async def test_tls_to_a_plain_http_server_fails_as_a_tls_or_connection_error(api: str) -> None:
    with pytest.raises(ApplianceError, match=r"Appliance API at https://127\.0\.0\.1"):
        await track("cs@relay.test", 3600, _settings(api.replace("http://", "https://")))


def test_the_app_refuses_to_run_without_a_token(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        create_app([str(tmp_path / "mail.log")], "")


def _self_signed(directory: Path) -> dict[str, str]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "appliance.lab.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "cert.pem").write_bytes(cert.public_bytes(pem))
    (directory / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return {"ssl_certfile": str(directory / "cert.pem"), "ssl_keyfile": str(directory / "key.pem")}


async def test_an_untrusted_certificate_is_refused_unless_verification_is_turned_off(
    tmp_path: Path,
) -> None:
    from tests.handlers.conntrack.conftest import serving

    with serving(create_app(_logs(), TOKEN), **_self_signed(tmp_path)) as url:
        with pytest.raises(ApplianceError, match="TLS certificate could not be verified"):
            await track("cs@relay.test", 86400, _settings(url + "/api/v1"), now=NOW)
        lab = _settings(url + "/api/v1", verify_tls=False)
        assert await track("cs@relay.test", 86400, lab, now=NOW)
