"""What /mailcheck was asked about: one address, domain, host or IP, checked and normalised."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import idna

from handlers.errors import RefusedError, UsageError
from handlers.request import HandlerSettings
from knowledge.loader import load

MAX_ARGS = 600
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_SELECTOR_RE = re.compile(r"^[A-Za-z0-9_.-]{1,63}$")


@dataclass(frozen=True, slots=True)
class Target:
    """`kind` is address, domain (names; may become host once DNS is seen), ipv4 or ipv6."""

    text: str
    kind: str
    name: str  # the domain (A-labels) or the IP address as text
    user: str = ""
    selectors: tuple[str, ...] = ()
    probe: bool | None = None

    @property
    def is_ip(self) -> bool:
        return self.kind in ("ipv4", "ipv6")


def _usage(key: str, lang: str, **values: object) -> UsageError:
    return UsageError(load().text(f"mailcheck.error.{key}", lang, **values), "usage.mailcheck")


def parse_target(args: str, settings: HandlerSettings, lang: str) -> Target:
    """Read `/mailcheck` arguments: a target, optionally `dkim=sel1,sel2` and `probe`/`noprobe`."""
    if len(args) > MAX_ARGS:
        raise _usage("too_long", lang, limit=MAX_ARGS)
    words = args.split()
    selectors: tuple[str, ...] = ()
    probe: bool | None = None
    targets = []
    for word in words:
        low = word.lower()
        if low.startswith(("dkim=", "selector=", "selectors=")):
            selectors = tuple(s for s in word.split("=", 1)[1].split(",") if s)
            if not selectors or len(selectors) > 10 or not all(map(_SELECTOR_RE.match, selectors)):
                raise _usage("selectors", lang)
        elif low in ("probe", "--probe"):
            probe = True
        elif low in ("noprobe", "--no-probe"):
            probe = False
        else:
            targets.append(word)
    if not targets:
        raise _usage("empty", lang)
    if len(targets) > 1:
        raise _usage("one_target", lang, count=len(targets))
    target = _parse_one(targets[0], settings, lang)
    return Target(target.text, target.kind, target.name, target.user, selectors, probe)


def _parse_one(raw: str, settings: HandlerSettings, lang: str) -> Target:
    text = raw.strip().strip("<>").removeprefix("mailto:").strip()
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        ip = None
    if ip is not None:
        _check_public(ip, settings, lang)
        return Target(raw, f"ipv{ip.version}", str(ip))
    user = ""
    if "@" in text:
        user, _, text = text.rpartition("@")
        if not user:
            raise _usage("no_user", lang, target=raw[:80])
        if not text:
            raise _usage("no_domain", lang, target=raw[:80])
    return Target(raw, "address" if user else "domain", domain_name(text, lang), user)


def domain_name(text: str, lang: str) -> str:
    """`text` as a lower-case A-label domain name, or a UsageError saying what is wrong with it."""
    name = text.strip().rstrip(".")
    if not name:
        raise _usage("no_domain", lang, target=text[:80])
    try:
        ascii_name = name if name.isascii() else idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        long_label = next((lb for lb in name.split(".") if len(lb) > 63), None)
        if long_label is not None:
            raise _usage("long_label", lang, label=long_label[:20] + "...") from None
        raise _usage("bad_name", lang, target=text[:80]) from None
    labels = ascii_name.lower().split(".")
    for label in labels:
        if len(label) > 63:
            raise _usage("long_label", lang, label=label[:20] + "...")
        if not _LABEL_RE.match(label):
            raise _usage("bad_name", lang, target=text[:80])
    if len(ascii_name) > 253:
        raise _usage("long_name", lang)
    if len(labels) < 2:
        raise _usage("single_label", lang, target=text[:80])
    return ".".join(labels)


def _check_public(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, s: HandlerSettings, lang: str
) -> None:
    """Blocklists and reverse DNS say nothing useful about private addresses: refuse them."""
    if any(ip.version == net.version and ip in net for net in s.probe_allow_networks):
        return
    if not ip.is_global or ip.is_multicast:
        raise RefusedError(load().text("mailcheck.error.private_ip", lang, ip=ip))
