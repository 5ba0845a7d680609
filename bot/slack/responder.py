"""From an Incoming to answers in Slack: dedup, access, snippets, ask, then post in the right place.

Slash commands: the summary in the channel, the details in its thread. Pastes, mentions, DMs and
the shortcut: the whole answer in the message's thread. Usage notes and refusals: only to the
asker. Nothing raised here reaches slack-bolt: failures are logged with an incident id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.config import Settings
from bot.render.slack import all_messages, asked_by
from bot.slack.access import refusal
from bot.slack.events import Incoming
from bot.slack.files import FileReader, FileText
from bot.slack.poster import Poster
from handlers.dispatch import apology, new_incident_id
from handlers.reply import Kind, Reply, Status
from handlers.request import Request
from handlers.store import Store
from knowledge.loader import load

log = logging.getLogger("mailtriage.slack")

Ask = Callable[[Request], Awaitable[Reply | None]]

# errors meaning "the bot cannot post there": answer through the response_url instead
_NO_ACCESS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


class Responder:
    """Answers Incoming requests; `drain()` waits for the answers still being written."""

    def __init__(
        self,
        settings: Settings,
        ask: Ask,
        store: Store,
        poster: Poster,
        files: FileReader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.ask = ask
        self.store = store
        self.poster = poster
        self.files = files
        self._inflight: set[asyncio.Task[object]] = set()

    async def answer(self, inc: Incoming, retry: str | None = None) -> None:
        """Answer `inc`; never raises. `retry` is Slack's X-Slack-Retry-Num, for the log."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await self._answer(inc, retry)
        except Exception:
            incident = new_incident_id()
            metrics.CHAT_ERRORS.labels("slack").inc()
            log.exception("could not answer a Slack %s (incident %s)", inc.origin, incident)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def drain(self, grace: float) -> None:
        pending = {t for t in self._inflight if t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=grace)

    async def lang(self, user: str) -> str:
        try:
            async with asyncio.timeout(1.0):
                chosen = await self.store.get_lang("slack", user)
        except Exception:
            log.warning("could not read a language preference", exc_info=True)
            chosen = None
        return chosen or self.settings.lang

    async def _claim(self, key: str | None, retry: str | None) -> bool:
        """True when this delivery is new; Slack's retries (X-Slack-Retry-Num) repeat the key."""
        if key is None:
            return True
        try:
            new = await self.store.claim_event(key, self.clock())
        except Exception:  # a broken store must not cost the answer
            log.warning("could not record a Slack delivery; answering anyway", exc_info=True)
            return True
        if not new:
            log.info("skipping a repeated Slack delivery", extra={"retry": retry or "0"})
        return new

    async def _answer(self, inc: Incoming, retry: str | None) -> None:
        # explicit requests are claimed first (no handler runs twice); overheard chatter only once
        # it turns out to need an answer, so ordinary channel talk costs no store write
        if inc.explicit and not await self._claim(inc.key, retry):
            return
        refused = refusal(self.settings, inc)
        if refused is not None:
            if inc.explicit:
                lang = await self.lang(inc.user)
                kb = load()
                note = Reply(
                    title=kb.text("title.refused", lang),
                    summary=kb.text(refused[0], lang, **refused[1]),
                    status=Status.WARN,
                    lang=lang,
                    kind=Kind.REFUSAL,
                )
                await self._private(inc, note)
            return
        text = inc.text
        if inc.files:
            shared = await self.files.read(inc.files)
            if shared.problems and inc.explicit:
                await self._private(inc, await self._file_note(inc, shared))
            text = "\n\n".join(filter(None, [text, *shared.texts]))
        if not text.strip() and not inc.explicit:
            return
        request = Request(
            text=text,
            user=inc.user,
            platform="slack",
            channel=inc.channel,
            thread=inc.thread,
            explicit=inc.explicit,
        )
        try:
            reply = await self.ask(request)
        except Exception:
            reply = await self._apology(inc)
        if reply is None or (not inc.explicit and not await self._claim(inc.key, retry)):
            return
        if reply.kind in (Kind.USAGE, Kind.REFUSAL) or inc.private:
            await self._private(inc, reply)
        else:
            await self._public(inc, reply)

    async def _apology(self, inc: Incoming) -> Reply:
        incident = new_incident_id()
        log.exception("answering a Slack %s crashed (incident %s)", inc.origin, incident)
        return apology(await self.lang(inc.user), incident)

    async def _file_note(self, inc: Incoming, shared: FileText) -> Reply:
        lang = await self.lang(inc.user)
        kb = load()
        lines = []
        for p in shared.problems:
            if p.kind == "too_large":
                limit = self.settings.max_paste / 1e6
                lines.append(
                    kb.text(
                        "error.too_large", lang, size=f"{p.size / 1e6:.1f}", limit=f"{limit:.1f}"
                    )
                )
            else:
                lines.append(kb.text("slack.file_unreadable", lang, name=p.name))
        return Reply(
            title=kb.text("title.usage", lang),
            summary="\n".join(lines),
            lang=lang,
            kind=Kind.USAGE,
        )

    async def _public(self, inc: Incoming, reply: Reply) -> None:
        lead = asked_by(inc.user, inc.text) if inc.origin == "command" else None
        messages = all_messages(reply, lead)
        try:
            await self.poster.post(inc.channel, messages, inc.thread)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error not in _NO_ACCESS or not inc.response_url:
                raise
            log.info("cannot post in %s (%s); answering through response_url", inc.channel, error)
            await self.poster.respond(
                inc.response_url, messages, in_channel=inc.origin == "command"
            )

    async def _private(self, inc: Incoming, reply: Reply) -> None:
        if inc.response_url:
            await self.poster.respond(inc.response_url, all_messages(reply), in_channel=False)
        else:
            await self.poster.ephemeral(inc.channel, inc.user, all_messages(reply), inc.thread)
