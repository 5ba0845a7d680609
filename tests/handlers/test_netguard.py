"""The probe's guard: no internal addresses in any disguise, only SMTP ports, a per-user rate limit."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.errors import RefusedError
from handlers.netguard import (
    RateLimiter,
    check_connect_allowed,
    check_port_allowed,
    connect_refusal,
    port_allowed,
    shown,
)
from handlers.reply import Status
from handlers.request import HandlerSettings
from handlers.smtp_probe import probe

LOOPBACK = (ip_network("127.0.0.0/8"),)

FORBIDDEN = [
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "this-network"),
    ("100.64.0.1", "shared"),
    ("100.127.255.254", "shared"),
    ("192.0.0.8", "reserved"),
    ("192.0.2.10", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fd12:3456::1", "private"),
    ("fc00::1", "private"),
    ("fec0::1", "private"),
    ("ff02::1", "multicast"),
    ("2001:db8::25", "documentation"),
    ("3fff::1", "documentation"),
    ("2001:2::1", "benchmarking"),
    ("100::1", "reserved"),
    ("2001:10::1", "reserved"),
    ("4000::1", "reserved"),
    ("64:ff9b:1::a00:1", "private"),
    ("::ffff:127.0.0.1", "ipv4-mapped:loopback"),
    ("::ffff:10.0.0.1", "ipv4-mapped:private"),
    ("::ffff:169.254.169.254", "ipv4-mapped:link-local"),
    ("::10.0.0.1", "ipv4-compatible:private"),
    ("::8.8.8.8", "ipv4-compatible"),
    ("2002:c0a8:0101::1", "6to4:private"),
    ("2002:7f00:1::1", "6to4:loopback"),
    ("64:ff9b::10.0.0.1", "nat64:private"),
    ("64:ff9b::127.0.0.1", "nat64:loopback"),
    ("64:ff9b::100.64.0.1", "nat64:shared"),
    # Teredo: server 10.0.0.1; and RFC 4380's example whose client is 192.0.2.45
    ("2001:0:a00:1::1", "teredo:private"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo:documentation"),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "185.199.108.153",
    "2a00:1450:4001:80b::201a",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_every_internal_form_is_refused_with_its_reason(address: str, reason: str) -> None:
    assert connect_refusal(ip_address(address), ()) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_may_be_probed(address: str) -> None:
    assert connect_refusal(ip_address(address), ()) is None


def test_the_allow_list_exempts_chosen_ranges_and_only_those() -> None:
    assert connect_refusal(ip_address("127.0.25.1"), LOOPBACK) is None
    assert connect_refusal(ip_address("::ffff:127.0.25.1"), LOOPBACK) is None
    assert connect_refusal(ip_address("10.0.0.1"), LOOPBACK) == "private"
    assert connect_refusal(ip_address("::1"), LOOPBACK) == "loopback"
    assert connect_refusal(ip_address("fd00::25"), (ip_network("fd00::/64"),)) is None


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "private network address"), ("zh-TW", "私有網路位址")],
)
def test_a_refusal_says_which_address_and_why_in_the_users_language(lang: str, words: str) -> None:
    with pytest.raises(RefusedError) as caught:
        check_connect_allowed(ip_address("::ffff:192.168.0.10"), HandlerSettings(), lang=lang)
    assert "::ffff:192.168.0.10" in str(caught.value)
    assert words in str(caught.value)


def test_every_reason_code_has_a_text_in_both_languages() -> None:
    for address, _ in FORBIDDEN:
        for lang in ("en", "zh-TW"):
            with pytest.raises(RefusedError) as caught:
                check_connect_allowed(ip_address(address), HandlerSettings(), lang=lang)
            assert shown(ip_address(address)) in str(caught.value)
            assert "{" not in str(caught.value)


def test_check_connect_allowed_passes_quietly_for_an_allowed_address() -> None:
    check_connect_allowed(ip_address("127.0.0.1"), HandlerSettings(probe_allow_networks=LOOPBACK))
    check_connect_allowed(ip_address("8.8.4.4"), HandlerSettings())


@pytest.mark.parametrize("port", [25, 465, 587])
def test_smtp_ports_are_allowed(port: int) -> None:
    assert port_allowed(port, HandlerSettings())


@pytest.mark.parametrize("port", [22, 80, 443, 2525, 3306, 6379, 0, 65535])
def test_other_ports_are_refused_even_when_configured(port: int) -> None:
    settings = HandlerSettings(probe_ports=(25, 465, 587, port))
    assert not port_allowed(port, settings)
    with pytest.raises(RefusedError, match="25, 465, 587"):
        check_port_allowed(port, settings, lang="en")


def test_a_port_left_out_of_the_settings_is_refused() -> None:
    settings = HandlerSettings(probe_ports=(25,))
    assert not port_allowed(587, settings)
    with pytest.raises(RefusedError):
        check_port_allowed(587, settings)


async def test_probe_refuses_a_non_smtp_port_before_connecting() -> None:
    settings = HandlerSettings(probe_allow_networks=LOOPBACK)
    with pytest.raises(RefusedError):
        await probe("mx.example.test", ["127.0.0.1"], None, settings, lang="en", port=22)


async def test_probe_of_only_internal_addresses_connects_nowhere_and_says_why() -> None:
    # loopback addresses, so that even a broken guard would reach nothing but this machine
    addresses = ["127.0.25.250", "::ffff:127.0.25.250"]
    findings = await probe("mx.example.test", addresses, None, HandlerSettings(), lang="en")
    [finding] = findings
    assert finding.status is Status.UNKNOWN
    assert finding.evidence == "127.0.25.250, ::ffff:127.0.25.250"
    assert "loopback address" in finding.detail
    assert "IPv4-mapped" in finding.detail


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limiter_allows_the_limit_and_refuses_the_next() -> None:
    limiter = RateLimiter(3, FakeClock())
    assert [limiter.allow("slack:U1") for _ in range(4)] == [True, True, True, False]


def test_the_window_slides_rather_than_resetting_each_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock)
    assert limiter.allow("u")
    clock.now += 40
    assert limiter.allow("u")
    clock.now += 19
    assert not limiter.allow("u")  # both earlier probes are within the last 60 s
    clock.now += 1.5
    assert limiter.allow("u")  # the first one has left the window
    assert not limiter.allow("u")


def test_refused_attempts_do_not_extend_the_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, clock)
    assert limiter.allow("u")
    for _ in range(10):
        clock.now += 5
        assert not limiter.allow("u")
    clock.now += 11
    assert limiter.allow("u")


def test_users_are_limited_separately() -> None:
    limiter = RateLimiter(1, FakeClock())
    assert limiter.allow("telegram:1")
    assert limiter.allow("telegram:2")
    assert not limiter.allow("telegram:1")


def test_memory_stays_bounded_however_many_users_come() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock, max_keys=100)
    for i in range(10_000):
        clock.now += 0.001
        limiter.allow(f"user{i}")
    assert len(limiter) == 100
    for _ in range(50):
        limiter.allow("busy")
    assert len(limiter._events["busy"]) == 5


def test_a_limit_below_one_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


MAPPED, TEREDO = ip_network("::ffff:0:0/96"), ip_network("2001::/32")


@given(st.ip_addresses(v=4))
def test_an_allowed_ipv4_address_is_one_python_also_calls_global(ip: IPv4Address) -> None:
    if connect_refusal(ip, ()) is None:
        assert ip.is_global


@given(st.ip_addresses(v=6))
def test_an_allowed_plain_ipv6_address_is_one_python_also_calls_global(ip: IPv6Address) -> None:
    if ip not in MAPPED and ip not in TEREDO and connect_refusal(ip, ()) is None:
        assert ip.is_global


@given(st.ip_addresses(v=4), st.integers(0, 2**80 - 1))
def test_an_ipv4_address_in_any_ipv6_disguise_gets_the_same_verdict(
    ip: IPv4Address, suffix: int
) -> None:
    plain = connect_refusal(ip, ()) is None
    v4 = int(ip)
    mapped = IPv6Address((0xFFFF << 32) | v4)
    nat64 = IPv6Address((0x64FF9B << 96) | v4)
    sixtofour = IPv6Address((0x2002 << 112) | (v4 << 80) | suffix)
    for disguised in (mapped, nat64, sixtofour):
        assert (connect_refusal(disguised, ()) is None) == plain, disguised
