"""Explain bounces in files, directories, mbox files or standard input (JSON lines for scripts)."""

from __future__ import annotations

import argparse

MAX_FILE_BYTES = 20_000_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files, directories or - (stdin)")
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per recipient per line"
    )
    parser.add_argument("--lang", choices=("en", "zh-TW"), help="answer language")
    parser.add_argument(
        "--per-line", action="store_true", help="treat every non-empty line as a separate paste"
    )


def _inputs(paths: list[str]) -> list[tuple[str, bytes]]:
    """(name, content) of every input: stdin, files, directories walked in sorted order."""
    import os
    import sys

    out: list[tuple[str, bytes]] = []
    for path in paths or ["-"]:
        if path == "-":
            out.append(("-", sys.stdin.buffer.read(MAX_FILE_BYTES)))
            continue
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(root, name)
                    with open(full, "rb") as fh:
                        out.append((full, fh.read(MAX_FILE_BYTES)))
            continue
        with open(path, "rb") as fh:
            out.append((path, fh.read(MAX_FILE_BYTES)))
    return out


def _split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox file (a file starting with a `From ` line), else the file itself."""
    if not data.startswith(b"From ") or data.count(b"\nFrom ") == 0:
        return [data]
    chunks = data.split(b"\nFrom ")
    return [chunks[0]] + [b"From " + c for c in chunks[1:]]


def _pastes(name: str, data: bytes, per_line: bool) -> list[tuple[str, list[bytes]]]:
    if not per_line:
        return [(name, _split_mbox(data))]
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    return [(f"{name}:{i}", [line]) for i, line in enumerate(lines, 1) if line.strip()]


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from bot.cli.options import EXIT_OK, fail
    from handlers.bounce import classify_text

    try:
        inputs = _inputs(list(args.paths))
    except OSError as exc:
        return fail(f"cannot read {exc.filename}: {exc.strerror}")
    if not args.json:
        return _run_text(inputs, args)
    write = sys.stdout.write
    for name, data in inputs:
        for label, messages in _pastes(name, data, args.per_line):
            index = 0
            error = None
            for message in messages:
                report = classify_text(message)
                error = error or report.error
                for r in report.recipients:
                    index += 1
                    obj = {"file": label, "index": index, **r.contract_json()}
                    write(json.dumps(obj, ensure_ascii=False) + "\n")
            if index == 0:
                obj = dict.fromkeys(
                    ("recipient", "reason", "reply_code", "status", "temporary", "remote_host")
                )
                line = {"file": label, "index": 0, **obj, "diagnostic": "", "error": error}
                write(json.dumps(line, ensure_ascii=False) + "\n")
    return EXIT_OK


def _run_text(inputs: list[tuple[str, bytes]], args: argparse.Namespace) -> int:
    from bot.cli.options import EXIT_OK, exit_status
    from bot.render.text import render
    from handlers.bounce.reply import answer_text

    status = EXIT_OK
    for name, data in inputs:
        for label, messages in _pastes(name, data, args.per_line):
            for message in messages:
                reply = answer_text(message, args.lang or "en")
                if len(inputs) > 1 or args.per_line:
                    print(f"== {label}")
                print(render(reply))
                status = max(status, exit_status(reply))
    return status
