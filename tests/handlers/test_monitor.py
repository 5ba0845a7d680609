"""The monitor's pure parts and /mailwatch: targets, transitions, health, alert texts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from handlers.dns_udp import TIMEOUT, Answer
from handlers.dnsbl import DnsblClient
from handlers.dnsbl import judge as judge_answer
from handlers.errors import RefusedError, UsageError
from handlers.monitor.alerts import WHOLE_LIST, Alert, render_alert
from handlers.monitor.judge import judge_health, judge_listing, judge_listings
from handlers.monitor.sweep import plan, sweep
from handlers.monitor.targets import expand, parse_target
from handlers.monitor.watch import handle_watch
from handlers.reply import Kind, Status
from handlers.request import Context, HandlerSettings, Request
from handlers.store import ListingState, WatchEntry
from knowledge.loader import load
from knowledge.model import Blocklist, ListCode, Text
from tests.lab.dns import DnsLab


@dataclass(frozen=True)
class Seen:
    target: str
    zone: str
    state: str
    codes: tuple[str, ...] = ()
    txt: str = ""
    why: str = ""


@dataclass(frozen=True)
class Check:
    zone: str
    ok: bool
    why: str = ""


Z = "zen.example"


def listed(target: str = "192.0.2.7", codes: tuple[str, ...] = ("127.0.0.4",)) -> Seen:
    return Seen(target, Z, "listed", codes, "exploited host")


def state(target: str, st: str, since: float = 100.0, **kw: object) -> ListingState:
    return ListingState(target, Z, st, kw.pop("codes", ()), "", since, since, **kw)  # type: ignore[arg-type]


# --- targets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text", "kind"),
    [
        ("203.0.113.7", "203.0.113.7", "ip"),
        ("[203.0.113.7]", "203.0.113.7", "ip"),
        ("2001:DB8::1", "2001:db8::1", "ip"),
        ("203.0.113.9/22", "203.0.112.0/22", "network"),
        ("203.0.113.7/32", "203.0.113.7", "ip"),
        ("2001:db8::/118", "2001:db8::/118", "network"),
        ("Mail.Example.COM.", "mail.example.com", "domain"),
        ("bücher.example", "xn--bcher-kva.example", "domain"),
    ],
)
def test_a_target_is_normalised_to_one_spelling(raw: str, text: str, kind: str) -> None:
    target = parse_target(raw, "en")
    assert (target.text, target.kind) == (text, kind)


@pytest.mark.parametrize(
    "raw",
    ["", "203.0.113.0/21", "2001:db8::/117", "not a domain", "localhost", "-bad-.example", "1.2.3"],
)
def test_a_bad_or_too_large_target_is_refused_with_what_is_accepted(raw: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_target(raw, "en")
    assert caught.value.usage == "usage.mailwatch"


def test_a_range_expands_to_each_of_its_addresses() -> None:
    addresses = expand("203.0.112.0/22", "network")
    assert len(addresses) == 1024
    assert addresses[0] == "203.0.112.0" and addresses[-1] == "203.0.115.255"
    assert expand("example.org", "domain") == ["example.org"]


def test_a_sweep_plan_keeps_each_address_once_and_splits_ipv6_and_domains() -> None:
    entries = [
        WatchEntry("192.0.2.0/30", "network", "a", 1),
        WatchEntry("192.0.2.1", "ip", "a", 2),
        WatchEntry("2001:db8::1", "ip", "a", 3),
        WatchEntry("example.org", "domain", "a", 4),
    ]
    work = plan(entries)
    assert work.ipv4 == ("192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3")
    assert work.ipv6 == ("2001:db8::1",) and work.domains == ("example.org",)
    assert work.entry_of["192.0.2.1"] == "192.0.2.0/30"


# --- transitions ---------------------------------------------------------------------------------


def test_a_first_listing_raises_one_listed_alert_with_codes_txt_and_delisting_url() -> None:
    alert, write = judge_listing(listed(), None, 1000.0, "https://check.example/")
    assert alert is not None and write is not None
    assert (alert.kind, alert.codes, alert.txt, alert.delist_url) == (
        "listed",
        ("127.0.0.4",),
        "exploited host",
        "https://check.example/",
    )
    assert (write.state, write.since) == ("listed", 1000.0)


def test_a_listing_that_stays_listed_raises_nothing_and_writes_nothing() -> None:
    prev = state("192.0.2.7", "listed", codes=("127.0.0.4",))
    prev = dataclasses.replace(prev, txt="exploited host")
    assert judge_listing(listed(), prev, 2000.0) == (None, None)


def test_new_codes_on_a_listed_target_update_the_state_without_an_alert() -> None:
    prev = state("192.0.2.7", "listed", codes=("127.0.0.4",))
    alert, write = judge_listing(listed(codes=("127.0.0.2", "127.0.0.4")), prev, 2000.0)
    assert alert is None and write is not None
    assert write.codes == ("127.0.0.2", "127.0.0.4") and write.since == 100.0


def test_a_delisting_raises_a_delisted_alert_naming_the_old_codes() -> None:
    prev = state("192.0.2.7", "listed", codes=("127.0.0.4",))
    alert, write = judge_listing(Seen("192.0.2.7", Z, "clear"), prev, 2000.0)
    assert alert is not None and alert.kind == "delisted" and alert.codes == ("127.0.0.4",)
    assert write is not None and write.state == "clear"


def test_clear_on_a_never_listed_target_stores_nothing() -> None:
    assert judge_listing(Seen("192.0.2.7", Z, "clear"), None, 1.0) == (None, None)


def test_unknown_never_alerts_and_keeps_the_last_definite_state() -> None:
    prev = state("192.0.2.7", "listed", codes=("127.0.0.4",))
    alert, write = judge_listing(Seen("192.0.2.7", Z, "unknown", why="timeout"), prev, 500.0)
    assert alert is None and write is not None
    assert (write.state, write.unknown_since) == ("listed", 500.0)
    # the answer comes back listed: still no alert, the silence is forgotten
    alert, write = judge_listing(listed(), write, 600.0)
    assert alert is None and write is not None and write.unknown_since is None


def test_a_listed_target_that_goes_silent_then_clear_is_reported_delisted() -> None:
    prev = state("192.0.2.7", "listed", codes=("127.0.0.4",), unknown_since=300.0)
    alert, _ = judge_listing(Seen("192.0.2.7", Z, "clear"), prev, 900.0)
    assert alert is not None and alert.kind == "delisted"


def test_judging_the_same_change_twice_gives_the_same_key() -> None:
    first, _ = judge_listing(listed(), state("192.0.2.7", "clear"), 1000.0)
    again, _ = judge_listing(listed(), state("192.0.2.7", "clear"), 1900.0)
    assert first is not None and again is not None and first.key == again.key
    later, _ = judge_listing(listed(), state("192.0.2.7", "clear", since=1500.0), 2000.0)
    assert later is not None and later.key != first.key


def test_a_long_silence_raises_one_unreachable_alert_per_entry_and_list() -> None:
    previous = {
        (ip, Z): state(ip, "clear", unknown_since=100.0) for ip in ("192.0.2.0", "192.0.2.1")
    }
    seen = [Seen(ip, Z, "unknown", why="timeout") for ip in ("192.0.2.0", "192.0.2.1")]
    entry_of = {"192.0.2.0": "192.0.2.0/31", "192.0.2.1": "192.0.2.0/31"}
    early = judge_listings(seen, previous, 3000.0, entry_of=entry_of, delist_urls={})
    assert early.alerts == [] and early.writes == []
    judged = judge_listings(seen, previous, 3800.0, entry_of=entry_of, delist_urls={})
    assert [(a.kind, a.target, a.since) for a in judged.alerts] == [
        ("list_unreachable", "192.0.2.0/31", 100.0)
    ]
    assert all(w.alerted_unreachable for w in judged.writes)
    after = {(w.target, w.zone): w for w in judged.writes}
    assert judge_listings(seen, after, 9000.0, entry_of=entry_of, delist_urls={}).alerts == []


def test_a_list_failing_its_health_check_is_reported_once_and_again_only_after_recovery() -> None:
    first = judge_health([Check(Z, False, "127.0.0.2 not listed")], {}, 100.0)
    assert [(a.kind, a.target, a.why) for a in first.alerts] == [
        ("list_unreachable", WHOLE_LIST, "127.0.0.2 not listed")
    ]
    assert first.broken == {Z}
    stored = {(w.target, w.zone): w for w in first.writes}
    second = judge_health([Check(Z, False, "127.0.0.2 not listed")], stored, 200.0)
    assert second.alerts == [] and second.broken == {Z}
    healed = judge_health([Check(Z, True)], stored, 300.0)
    assert healed.alerts == [] and healed.broken == set()
    stored = {(w.target, w.zone): w for w in healed.writes}
    assert len(judge_health([Check(Z, False, "timeout")], stored, 400.0).alerts) == 1


def test_many_addresses_of_a_range_listed_together_make_one_alert() -> None:
    ips = [f"192.0.2.{n}" for n in range(10)]
    entry_of = dict.fromkeys(ips, "192.0.2.0/24") | {"198.51.100.1": "198.51.100.1"}
    seen = [listed(ip) for ip in [*ips, "198.51.100.1"]]
    judged = judge_listings(seen, {}, 50.0, entry_of=entry_of, delist_urls={})
    assert [(a.target, len(a.addresses)) for a in judged.alerts] == [
        ("192.0.2.0/24", 10),
        ("198.51.100.1", 0),
    ]
    assert len(judged.writes) == 11  # every address keeps its own state
    again = judge_listings(seen, {}, 90.0, entry_of=entry_of, delist_urls={})
    assert again.alerts[0].key == judged.alerts[0].key
    reply = render_alert(judged.alerts[0], "en")
    assert "192.0.2.9" in str(reply.sections[0].fields)


# --- a sweep over a fake checker -----------------------------------------------------------------


class FakeChecker:
    def __init__(self, listed: dict[str, tuple[str, ...]], healthy: bool = True) -> None:
        self.listed, self.healthy, self.looked_up = listed, healthy, 0

    async def lookup(self, targets: Sequence[str], zones: Sequence[Blocklist]) -> list[Seen]:
        self.looked_up += len(targets) * len(zones)
        return [
            Seen(t, z.zone, "listed", self.listed[t], "why")
            if t in self.listed
            else Seen(t, z.zone, "clear")
            for t in targets
            for z in zones
        ]

    async def health(self, zones: Sequence[Blocklist]) -> list[Check]:
        return [Check(z.zone, self.healthy, "" if self.healthy else "no answer") for z in zones]


def blocklist(zone: str = Z, kind: str = "ip") -> Blocklist:
    t = Text("x", "x")
    return Blocklist(
        zone, kind, "op", (ListCode("127.0.0.4", t),), (), "https://delist.example/", True, t
    )


async def test_a_sweep_of_a_range_alerts_only_for_the_listed_address(ctx: Context) -> None:
    entries = [WatchEntry("192.0.2.0/30", "network", "a", 1)]
    checker = FakeChecker({"192.0.2.2": ("127.0.0.4",)})
    judged = await sweep(
        entries, checker, ctx.store, ip_lists=[blocklist()], domain_lists=[], now=10.0
    )
    assert [(a.kind, a.target, a.delist_url) for a in judged.alerts] == [
        ("listed", "192.0.2.2", "https://delist.example/")
    ]
    assert checker.looked_up == 4


async def test_a_sweep_skips_the_lookups_of_a_broken_list(ctx: Context) -> None:
    entries = [WatchEntry("192.0.2.1", "ip", "a", 1)]
    checker = FakeChecker({"192.0.2.1": ("127.0.0.4",)}, healthy=False)
    judged = await sweep(
        entries, checker, ctx.store, ip_lists=[blocklist()], domain_lists=[], now=10.0
    )
    assert [(a.kind, a.target) for a in judged.alerts] == [("list_unreachable", WHOLE_LIST)]
    assert checker.looked_up == 0


# --- alert texts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("kind", ["listed", "delisted", "list_unreachable"])
def test_every_alert_renders_in_both_languages(kind: str, lang: str) -> None:
    alert = Alert(kind, "192.0.2.7", "zen.spamhaus.org", "k", ("127.0.0.4",), "txt", "https://x/")
    reply = render_alert(alert, lang)
    assert reply.kind is Kind.ALERT and "192.0.2.7" in reply.title
    assert reply.data["alert"]["kind"] == kind
    assert Alert.from_payload(alert.payload()) == alert


def test_a_listed_alert_says_what_the_code_means_and_how_to_get_delisted() -> None:
    reply = render_alert(
        Alert("listed", "192.0.2.7", "zen.spamhaus.org", "k", ("127.0.0.4",)), "en"
    )
    assert reply.status is Status.FAIL and reply.steps
    code_field = next(v for k, v in reply.sections[0].fields if k == "Return code")
    assert code_field.startswith("127.0.0.4: ") and len(code_field) > len("127.0.0.4: ")


def test_a_broken_list_alert_names_the_list_not_a_target() -> None:
    reply = render_alert(Alert("list_unreachable", WHOLE_LIST, Z, "k", why="timeout"), "zh-TW")
    assert Z in reply.title and "*" not in reply.title


def fields(reply: object) -> dict[str, str]:
    return dict(reply.sections[0].fields)  # type: ignore[attr-defined]


def test_a_bitmask_listing_alert_names_each_flag_the_txt_and_the_delisting_page() -> None:
    alert = Alert(
        "listed", "spam.example", "multi.surbl.org", "k", ("127.0.0.80",), "see surbl", "https://d/"
    )
    zh = render_alert(alert, "zh-TW")
    assert fields(zh)["回傳代碼"] == "127.0.0.80: MW：惡意程式網站 + ABUSE：垃圾信網站"
    assert "MW：惡意程式網站 + ABUSE：垃圾信網站" in zh.summary
    assert fields(zh)["黑名單提供的原因（TXT）"] == "see surbl"
    assert fields(zh)["申請解除"] == "https://d/" and zh.references == ("https://d/",)
    en = render_alert(alert, "en")
    assert "MW: malware site + ABUSE: spam site" in en.summary


def test_a_delisting_alert_says_what_the_old_codes_meant() -> None:
    alert = Alert("delisted", "192.0.2.7", "zen.spamhaus.org", "k", ("127.0.0.4",))
    assert fields(render_alert(alert, "en"))["Was listed with"].startswith("127.0.0.4: XBL")


@pytest.mark.parametrize(
    ("answer", "english", "chinese"),
    [
        (Answer(0, ("127.255.255.254",)), "public/open resolver", "公共 DNS"),
        (Answer(0, ("127.255.255.255",)), "rate limited", "被限制查詢"),
        (Answer(TIMEOUT), "no answer from the resolver", "逾時"),
    ],
)
def test_an_unreachable_alert_gives_the_reason_in_the_readers_language(
    answer: Answer, english: str, chinese: str
) -> None:
    zen = load().blocklists["zen.spamhaus.org"]
    why = judge_answer("192.0.2.7", zen, answer, None).why
    judged = judge_listings(
        [Seen("192.0.2.7", zen.zone, "unknown", why=why)],
        {("192.0.2.7", zen.zone): state("192.0.2.7", "clear", unknown_since=0.0)},
        7200.0,
        entry_of={},
        delist_urls={},
    )
    [alert] = judged.alerts
    zh, en = render_alert(alert, "zh-TW"), render_alert(alert, "en")
    assert chinese in zh.summary and english not in zh.summary
    assert english in en.summary


@pytest.mark.lab
async def test_a_lab_sweep_alerts_on_listings_only_never_on_allowlist_or_good_reputation(
    dns_lab: DnsLab, ctx: Context
) -> None:
    kb = load().blocklists
    lists = [kb["list.dnswl.org"], kb["rep.mailspike.net"], kb["sbl.spamhaus.org"]]
    client = DnsblClient(HandlerSettings(resolvers=(dns_lab.resolver,), dns_timeout=2.0))
    entries = [WatchEntry("127.0.1.1", "ip", "a", 1), WatchEntry("127.0.1.9", "ip", "a", 1)]
    try:
        judged = await sweep(entries, client, ctx.store, ip_lists=lists, domain_lists=[], now=10.0)
    finally:
        await client.close()
    assert sorted((a.kind, a.target, a.zone) for a in judged.alerts) == [
        ("list_unreachable", WHOLE_LIST, "sbl.spamhaus.org"),  # answers 127.255.255.254
        ("listed", "127.0.1.9", "rep.mailspike.net"),
    ]
    listed = next(a for a in judged.alerts if a.kind == "listed")
    assert listed.codes == ("127.0.0.11",) and listed.delist_url == "https://mailspike.io/ip_verify"
    zh = render_alert(listed, "zh-TW")
    assert (
        "L4：信譽很差" in zh.summary
        and fields(zh)["黑名單提供的原因（TXT）"] == "very bad reputation"
    )
    broken = render_alert(next(a for a in judged.alerts if a.target == WHOLE_LIST), "zh-TW")
    assert "測試點 127.0.0.2：127.255.255.254: 不是列入" in broken.summary
    assert "public" not in broken.summary


# --- /mailwatch ----------------------------------------------------------------------------------


def admin(text: str = "", lang: str = "en") -> Request:
    return Request(text=text, user="U1", platform="slack", is_admin=True, lang=lang)


async def test_an_admin_adds_lists_and_removes_a_target(ctx: Context) -> None:
    added = await handle_watch("add 203.0.113.7", admin(), ctx)
    assert "203.0.113.7" in added.summary
    again = await handle_watch("add 203.0.113.7", admin(), ctx)
    assert again.summary != added.summary
    listing = await handle_watch("list", admin(), ctx)
    assert [f[0] for f in listing.sections[0].fields] == ["203.0.113.7"]
    await handle_watch("remove 203.0.113.7", admin(), ctx)
    assert await ctx.store.watch_list() == []


async def test_a_non_admin_may_list_but_not_change_the_watch_list(ctx: Context) -> None:
    user = Request(text="", user="U2", platform="slack", lang="zh-TW")
    await handle_watch("list", user, ctx)
    with pytest.raises(RefusedError, match="MAILTRIAGE_ADMINS"):
        await handle_watch("add 203.0.113.7", user, ctx)


async def test_the_list_shows_where_a_watched_range_is_listed(ctx: Context) -> None:
    await handle_watch("add 203.0.113.0/24", admin(), ctx)
    await ctx.store.listing_put(ListingState("203.0.113.9", Z, "listed", ("127.0.0.4",), "", 1, 1))
    reply = await handle_watch("", admin(), ctx)
    assert reply.status is Status.FAIL and Z in reply.sections[0].fields[0][1]


async def test_a_configured_target_cannot_be_removed_from_chat(ctx: Context) -> None:
    await ctx.store.watch_add(WatchEntry("203.0.113.7", "ip", "config", 1.0, "config"))
    with pytest.raises(RefusedError, match="MAILTRIAGE_WATCH"):
        await handle_watch("remove 203.0.113.7", admin(), ctx)


@pytest.mark.parametrize("args", ["frobnicate", "add", "add 1.2.3.4 5.6.7.8", "add 10.0.0.0/8"])
async def test_a_malformed_watch_command_is_a_usage_error(args: str, ctx: Context) -> None:
    with pytest.raises(UsageError):
        await handle_watch(args, admin(), ctx)


async def test_the_dispatcher_routes_mailwatch_and_words_its_refusals(ctx: Context) -> None:
    from handlers.dispatch import dispatch

    added = await dispatch(admin("/mailwatch add [203.0.113.7]"), ctx)
    assert added is not None and added.kind is Kind.ANSWER
    assert [e.target for e in await ctx.store.watch_list()] == ["203.0.113.7"]
    refused = await dispatch(Request(text="/mailwatch remove 203.0.113.7", lang="zh-TW"), ctx)
    assert refused is not None and refused.kind is Kind.REFUSAL and refused.lang == "zh-TW"
    usage = await dispatch(admin("/mailwatch add 203.0.113.0/20"), ctx)
    assert usage is not None and usage.kind is Kind.USAGE and "/22" in usage.summary


async def test_a_sweep_reports_lists_no_longer_configured_as_dropped_not_as_changes(
    ctx: Context,
) -> None:
    await ctx.store.listing_put(state("192.0.2.1", "listed", codes=("127.0.0.4",)))
    gone = ListingState("192.0.2.1", "gone.example", "listed", ("127.0.0.2",), "", 1.0, 1.0)
    await ctx.store.listing_put(gone)
    await ctx.store.listing_put(ListingState(WHOLE_LIST, "gone.example", "unknown", (), "", 1, 1))
    entries = [WatchEntry("192.0.2.1", "ip", "a", 1)]
    judged = await sweep(
        entries, FakeChecker({}), ctx.store, ip_lists=[blocklist()], domain_lists=[], now=10.0
    )
    assert judged.dropped == {"gone.example"}
    assert [(a.kind, a.zone) for a in judged.alerts] == [("delisted", Z)]
    assert {w.zone for w in judged.writes} == {Z}
