"""The small conversational commands: /help and /lang."""

from __future__ import annotations

from handlers.dispatch import usage_text
from handlers.errors import UsageError
from handlers.reply import Reply, Section, Status
from handlers.request import LANGS, Context, Request
from knowledge.loader import load

_ALIASES = {
    "en": "en",
    "english": "en",
    "zh-tw": "zh-TW",
    "zh_tw": "zh-TW",
    "zh": "zh-TW",
    "tw": "zh-TW",
    "中文": "zh-TW",
    "繁體中文": "zh-TW",
}


async def handle_help(args: str, req: Request, ctx: Context) -> Reply:
    kb = load()
    lang = req.lang or ctx.settings.lang
    lines = tuple(
        usage_text(key, req, lang)
        for key in (
            "usage.explain",
            "usage.mailcheck",
            "usage.mailtrack",
            "usage.mailwatch",
            "usage.lang",
        )
    )
    return Reply(
        title=kb.text("title.help", lang),
        summary=kb.text("help.intro", lang),
        status=Status.INFO,
        sections=(Section(heading=kb.text("help.commands", lang), steps=lines),),
        lang=lang,
    )


async def handle_lang(args: str, req: Request, ctx: Context) -> Reply:
    kb = load()
    current = req.lang or ctx.settings.lang
    choice = args.strip().lower()
    if not choice:
        return Reply(
            title=kb.text("title.lang", current),
            summary=kb.text("lang.current", current, name=current),
            lang=current,
        )
    lang = _ALIASES.get(choice)
    if lang is None or lang not in LANGS:
        raise UsageError(kb.text("error.bad_lang", current, value=args.strip()[:40]), "usage.lang")
    await ctx.store.set_lang(req.platform, req.user, lang)
    return Reply(title=kb.text("title.lang", lang), summary=kb.text("lang.set", lang), lang=lang)
