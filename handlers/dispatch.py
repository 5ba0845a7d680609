"""One way in for every adapter: a Request becomes a Reply (or None for an overheard non-bounce).

The dispatcher picks the handler, applies size and time limits, resolves the answer's language and
turns every error into a short reply; a handler never has to catch its own failures for chat.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from handlers.errors import (
    ApplianceError,
    LookupFailedError,
    MailtriageError,
    RefusedError,
    UsageError,
)
from handlers.reply import Kind, Reply, Status
from handlers.request import LANGS, Context, Request
from knowledge.loader import load

log = logging.getLogger("mailtriage.dispatch")

Handler = Callable[[str, Request, Context], Awaitable[Reply | None]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    target: str  # "module:function", imported on first use
    usage: str  # knowledge text key of the usage line


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("mailcheck", "handlers.mailcheck:handle", "usage.mailcheck"),
        Command("mailtrack", "handlers.conntrack:handle", "usage.mailtrack"),
        Command("mailwatch", "handlers.monitor:handle_watch", "usage.mailwatch"),
        Command("help", "handlers.chat:handle_help", "usage.help"),
        Command("start", "handlers.chat:handle_help", "usage.help"),
        Command("mailhelp", "handlers.chat:handle_help", "usage.help"),
        Command("lang", "handlers.chat:handle_lang", "usage.lang"),
    )
}
BOUNCE = Command("explain", "handlers.bounce:handle", "usage.explain")

HELP_COMMANDS: dict[str, str] = {"slack": "/mailhelp"}
"""The help command a chat registers where it is not /help, by Request.platform: Slack reserves
/help (deploy/slack-manifest.yaml registers /mailhelp; tests tie the three together)."""

_COMMAND_RE = re.compile(r"^[/!]([A-Za-z_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s+|$)")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _resolve(target: str) -> Handler:
    module, _, name = target.partition(":")
    fn: Handler = getattr(importlib.import_module(module), name)
    return fn


def parse_command(
    text: str, commands: Mapping[str, Command] = COMMANDS
) -> tuple[Command | None, str]:
    """Split `/name@Bot args` into its command (None: not a command) and the argument text."""
    m = _COMMAND_RE.match(text.lstrip())
    if not m:
        return None, text
    name = m.group(1).lower()
    return commands.get(name, Command(name, "", "usage.help")), text.lstrip()[m.end() :].strip()


def usage_text(key: str, req: Request, lang: str) -> str:
    """A usage text in `lang`; its `{help}` names the help command that works in `req`'s chat."""
    return load().text(key, lang, help=HELP_COMMANDS.get(req.platform, "/help"))


async def resolve_lang(req: Request, ctx: Context) -> str:
    """The user's /lang choice, else zh-TW for a Chinese paste, else the configured default."""
    if req.lang in LANGS:
        return req.lang
    try:
        chosen = await ctx.store.get_lang(req.platform, req.user)
    except Exception:  # a broken store must not cost the user the answer
        log.warning("could not read the language preference", exc_info=True)
        chosen = None
    if chosen in LANGS:
        return chosen
    if _CJK_RE.search(req.text[:20_000]):
        return "zh-TW"
    return ctx.settings.lang


def new_incident_id() -> str:
    return secrets.token_hex(4)


def apology(lang: str, incident: str | None = None) -> Reply:
    """The short answer to a crash: sorry, and the incident id to find the details in the log."""
    kb = load()
    incident = incident or new_incident_id()
    return Reply(
        title=kb.text("title.failed", lang),
        summary=kb.text("error.crash", lang, incident=incident),
        status=Status.UNKNOWN,
        lang=lang,
        kind=Kind.ERROR,
        incident_id=incident,
    )


def _short(kind: Kind, summary: str, lang: str, title: str, status: Status) -> Reply:
    return Reply(title=title, summary=summary, status=status, lang=lang, kind=kind)


async def dispatch(
    req: Request, ctx: Context, commands: Mapping[str, Command] = COMMANDS
) -> Reply | None:
    """Answer one request. Returns None only for overheard messages that need no answer."""
    kb = load()
    lang = await resolve_lang(req, ctx)
    req = dataclasses.replace(req, lang=lang)
    command, args = parse_command(req.text, commands)
    if command is None:
        command = commands.get("", BOUNCE)
    elif not command.target:
        if not req.explicit:
            return None
        return _short(
            Kind.USAGE,
            kb.text("error.unknown_command", lang, name=command.name)
            + "\n"
            + usage_text("usage.help", req, lang),
            lang,
            kb.text("title.usage", lang),
            Status.INFO,
        )
    size = len(req.text.encode("utf-8", "surrogatepass"))
    if size > ctx.settings.max_paste_bytes:
        if not req.explicit:
            return None
        return _short(
            Kind.USAGE,
            kb.text(
                "error.too_large",
                lang,
                size=f"{size / 1e6:.1f}",
                limit=f"{ctx.settings.max_paste_bytes / 1e6:.1f}",
            ),
            lang,
            kb.text("title.usage", lang),
            Status.INFO,
        )
    try:
        handler = _resolve(command.target)
        async with asyncio.timeout(ctx.settings.handler_timeout):
            return await handler(args, req, ctx)
    except UsageError as exc:
        if not req.explicit:
            return None
        usage = usage_text(exc.usage or command.usage, req, lang)
        return _short(
            Kind.USAGE, f"{exc}\n{usage}", lang, kb.text("title.usage", lang), Status.INFO
        )
    except RefusedError as exc:
        return _short(Kind.REFUSAL, str(exc), lang, kb.text("title.refused", lang), Status.WARN)
    except (LookupFailedError, ApplianceError, MailtriageError) as exc:
        return _short(Kind.ERROR, str(exc), lang, kb.text("title.failed", lang), Status.UNKNOWN)
    except TimeoutError:
        return _short(
            Kind.ERROR,
            kb.text("error.timeout", lang, seconds=f"{ctx.settings.handler_timeout:g}"),
            lang,
            kb.text("title.failed", lang),
            Status.UNKNOWN,
        )
    except Exception:
        incident = new_incident_id()
        log.exception("handler %s crashed (incident %s)", command.name, incident)
        return apology(lang, incident)
