"""Watch blocklists: one sweep with --once (alerts as JSON with --json), else the monitor loop."""

from __future__ import annotations

import argparse
import asyncio


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="run one sweep, deliver, and exit")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per alert of the sweep"
    )
    parser.add_argument("--lang", choices=("en", "zh-TW"), help="language of the alerts")


def run(args: argparse.Namespace) -> int:
    from bot.cli.options import fail
    from bot.config import ConfigError, load_settings
    from bot.startup import StartupError
    from bot.store import StoreError

    try:
        settings = load_settings(**({"MAILTRIAGE_LANG": args.lang} if args.lang else {}))
        return asyncio.run(_monitor(settings, once=args.once, as_json=args.json))
    except (ConfigError, StoreError, StartupError) as exc:
        return fail(str(exc))


async def _monitor(settings: object, *, once: bool, as_json: bool) -> int:
    import json
    import signal
    import sys

    from bot.adapters import AlertTarget
    from bot.config import Settings
    from bot.console import ConsoleAdapter
    from bot.monitor import Monitor
    from bot.runtime import Runtime, configure_logging
    from bot.serve import build_adapters, replica_id
    from bot.startup import check_resolvers

    assert isinstance(settings, Settings)
    configure_logging(settings.log_level if not once else "WARNING")
    await check_resolvers(settings)
    runtime = await Runtime.open(settings)
    try:
        targets: list[AlertTarget] = list(build_adapters(settings, runtime))
        if not targets:
            targets = [ConsoleAdapter(runtime.ask, stdout=sys.stderr if as_json else None)]
        monitor = Monitor(runtime, targets, holder=replica_id())
        if not once:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await monitor.run(stop)
            return 0
        try:
            alerts = await monitor.run_once()
        finally:
            await monitor.close()
        if alerts is None:
            print(
                "mailtriage: another replica holds the monitor lease; nothing done",
                file=sys.stderr,
            )
            return 0
        if as_json:
            for alert in alerts:
                print(json.dumps(alert.as_json(), ensure_ascii=False))
        return 0
    finally:
        await runtime.close()
