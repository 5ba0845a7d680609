"""The blocklist monitor: the watch list (/mailwatch), sweeps that judge listing changes, alerts.

`watch` answers /mailwatch, `targets` checks what may be watched, `sweep` gathers DNSBL answers,
`judge` turns them into state changes and alerts (pure), `alerts` renders alerts for chat. The
schedule, the leader lease and the outbox delivery live in bot.monitor.
"""

from handlers.monitor.watch import handle_watch

__all__ = ["handle_watch"]
