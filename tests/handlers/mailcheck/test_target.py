"""Reading what /mailcheck was asked about, and refusing what it should not check."""

from __future__ import annotations

import ipaddress

import pytest

from handlers.errors import RefusedError, UsageError
from handlers.mailcheck.target import parse_target
from handlers.request import HandlerSettings

SETTINGS = HandlerSettings()


@pytest.mark.parametrize(
    ("text", "kind", "name", "user"),
    [
        ("postmaster@Example.COM", "address", "example.com", "postmaster"),
        ("<a.b+tag@example.com>", "address", "example.com", "a.b+tag"),
        ("mailto:x@example.org", "address", "example.org", "x"),
        ("example.com.", "domain", "example.com", ""),
        ("mx1.mail.example.net", "domain", "mx1.mail.example.net", ""),
        ("bücher.example", "domain", "xn--bcher-kva.example", ""),
        ("用戶@例子.公司", "address", "xn--fsqu00a.xn--55qx5d", "用戶"),
        ("8.8.8.8", "ipv4", "8.8.8.8", ""),
        ("[2001:4860:4860::8888]", "ipv6", "2001:4860:4860::8888", ""),
    ],
)
def test_targets_are_normalised(text: str, kind: str, name: str, user: str) -> None:
    target = parse_target(text, SETTINGS, "en")
    assert (target.kind, target.name, target.user) == (kind, name, user)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Tell me what to check"),
        ("user@", "no domain after the @"),
        ("@example.com", "nothing before the @"),
        ("exa mple.com", "one target at a time"),
        ("a" * 64 + ".example.com", "longer than the 63 characters"),
        ("exa_mple..com", "not a valid domain"),
        ("-bad.example.com", "not a valid domain"),
        ("localhost", "single label"),
        ("example.com dkim=bad/selector", "DKIM selectors"),
        (" ".join(f"host{i}.example.com" for i in range(10_000)), "too much to check"),
    ],
)
def test_bad_input_gets_a_usage_reply_that_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_target(text, SETTINGS, "en")


@pytest.mark.parametrize(
    "ip", ["10.1.2.3", "192.168.0.1", "127.0.0.1", "::1", "fe80::1", "::ffff:10.0.0.1"]
)
def test_private_addresses_are_refused_with_the_reason(ip: str) -> None:
    with pytest.raises(RefusedError, match="not a public address"):
        parse_target(ip, SETTINGS, "en")


def test_allowed_networks_may_be_checked_and_zh_tw_refusals_are_chinese() -> None:
    allowed = HandlerSettings(probe_allow_networks=(ipaddress.ip_network("127.0.0.0/8"),))
    assert parse_target("127.0.1.9", allowed, "en").kind == "ipv4"
    with pytest.raises(RefusedError, match="不是公開位址"):
        parse_target("10.0.0.1", SETTINGS, "zh-TW")


def test_dkim_selectors_and_probe_words_are_options_not_targets() -> None:
    target = parse_target("user@example.com dkim=s1,s2 probe", SETTINGS, "en")
    assert (target.name, target.selectors, target.probe) == ("example.com", ("s1", "s2"), True)
