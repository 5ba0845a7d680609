"""The console adapter: a chat with the bot in a terminal, and the alert channel when no chat is set."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.render.text import render
from handlers.reply import Reply
from handlers.request import Request

Ask = Callable[[Request], Awaitable[Reply | None]]

BANNER = (
    "mailtriage console. Paste a bounce and end it with an empty line (or Ctrl-D),\n"
    "or type a command: /mailcheck example.com, /mailtrack user@example.com, /help. Ctrl-D quits."
)


class ConsoleAdapter:
    """Reads requests from a text stream and prints answers; also prints alerts."""

    name = "console"

    def __init__(self, ask: Ask, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.ask = ask
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._write_lock = asyncio.Lock()
        self._alerts = 0

    async def _print(self, text: str) -> None:
        async with self._write_lock:
            self.stdout.write(text + "\n")
            self.stdout.flush()

    async def _readline(self) -> str:
        return await asyncio.to_thread(self.stdin.readline)

    async def _answer(self, text: str) -> None:
        reply = await self.ask(Request(text=text, user="console", platform="console"))
        if reply is not None:
            await self._print(render(reply) + "\n")

    async def run(self) -> None:
        interactive = self.stdin.isatty()
        await self._print(BANNER)
        buffer: list[str] = []
        while True:
            if interactive and not buffer:
                self.stdout.write("> ")
                self.stdout.flush()
            line = await self._readline()
            if not line:  # end of input
                if buffer:
                    await self._answer("\n".join(buffer))
                return
            line = line.rstrip("\r\n")
            if not buffer and line.lstrip().startswith("/"):
                await self._answer(line.strip())
            elif line.strip():
                buffer.append(line)
            elif buffer:
                await self._answer("\n".join(buffer))
                buffer = []

    async def post_alert(self, reply: Reply, thread_ref: str | None) -> str:
        """Print an alert; the returned reference threads follow-ups of the same incident."""
        self._alerts += 1
        ref = thread_ref or f"console-{self._alerts}"
        prefix = "" if thread_ref is None else f"(follow-up to {thread_ref}) "
        await self._print(prefix + render(reply) + "\n")
        return ref
