"""/mailwatch: list the watched IPs, ranges and domains; admins add and remove them."""

from __future__ import annotations

import ipaddress

from handlers.errors import RefusedError, UsageError
from handlers.monitor.alerts import WHOLE_LIST
from handlers.monitor.targets import parse_target
from handlers.reply import Reply, Section, Status
from handlers.request import Context, Request
from handlers.store import ListingState, WatchEntry
from knowledge.loader import load

MAX_ENTRIES = 100
ACTIONS = {
    "list": "list",
    "ls": "list",
    "add": "add",
    "remove": "remove",
    "rm": "remove",
    "del": "remove",
}


async def handle_watch(args: str, req: Request, ctx: Context) -> Reply:
    kb = load()
    lang = req.lang or ctx.settings.lang
    words = args.split()
    action = ACTIONS.get(words[0].lower()) if words else "list"
    if action is None:
        raise UsageError(kb.text("monitor.watch.unknown_action", lang, action=words[0][:40]))
    if action == "list":
        return await _list(lang, ctx)
    if len(words) != 2:
        raise UsageError(kb.text("monitor.watch.one_target", lang))
    if not req.is_admin:
        raise RefusedError(kb.text("monitor.watch.not_admin", lang, platform=req.platform))
    target = parse_target(words[1], lang)
    entries = await ctx.store.watch_list()
    if action == "add":
        if len(entries) >= MAX_ENTRIES:
            raise RefusedError(kb.text("monitor.watch.full", lang, limit=MAX_ENTRIES))
        entry = WatchEntry(target.text, target.kind, f"{req.platform}:{req.user}", ctx.clock())
        added = await ctx.store.watch_add(entry)
        key = "monitor.watch.added" if added else "monitor.watch.exists"
        return _short(kb.text(key, lang, target=target.text), lang, Status.OK)
    existing = next((e for e in entries if e.target == target.text), None)
    if existing is None:
        return _short(
            kb.text("monitor.watch.not_found", lang, target=target.text), lang, Status.INFO
        )
    if existing.source == "config":
        raise RefusedError(kb.text("monitor.watch.from_config", lang, target=target.text))
    await ctx.store.watch_remove(target.text)
    return _short(kb.text("monitor.watch.removed", lang, target=target.text), lang, Status.OK)


def _short(summary: str, lang: str, status: Status) -> Reply:
    return Reply(
        title=load().text("monitor.watch.title", lang), summary=summary, status=status, lang=lang
    )


async def _list(lang: str, ctx: Context) -> Reply:
    kb = load()
    entries = await ctx.store.watch_list()
    if not entries:
        return _short(kb.text("monitor.watch.empty", lang), lang, Status.INFO)
    states = await ctx.store.listing_all()
    fields = []
    worst = Status.OK
    for entry in entries:
        listed = sorted({s.zone for s in states if s.state == "listed" and _covers(entry, s)})
        if listed:
            worst = Status.FAIL
            status = kb.text("monitor.watch.listed_on", lang, zones=", ".join(listed))
        elif any(_covers(entry, s) for s in states):
            status = kb.text("monitor.watch.clear", lang)
        else:
            status = kb.text("monitor.watch.not_checked", lang)
        source = kb.text(f"monitor.watch.source.{entry.source}", lang, who=entry.added_by)
        fields.append((entry.target, f"{status} ({source})"))
    return Reply(
        title=kb.text("monitor.watch.title", lang),
        summary=kb.text("monitor.watch.count", lang, count=len(entries)),
        status=worst,
        sections=(Section(heading=kb.text("monitor.watch.heading", lang), fields=tuple(fields)),),
        lang=lang,
    )


def _covers(entry: WatchEntry, state: ListingState) -> bool:
    if state.target == WHOLE_LIST:
        return False
    if entry.kind != "network":
        return state.target == entry.target
    try:
        return ipaddress.ip_address(state.target) in ipaddress.ip_network(entry.target)
    except ValueError:
        return False
