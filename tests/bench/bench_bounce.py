"""Benchmark of the bounce explainer on the Sisimai corpus: speed, memory, agreement (and Sisimai's).

Run from the checkout: `.venv/bin/python tests/bench/bench_bounce.py [CORPUS_DIR]`
(default ../shared/corpus/sisimai). Prints the whole-process speed of `mailtriage explain --json`
over the corpus on one core, its peak RSS, reason agreement with labels.jsonl (whole messages and
pasted diagnostic lines) and, when Debian's libsisimai-perl is installed, Sisimai's speed and ratio.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from handlers.bounce import classify_text  # noqa: E402
from tests.handlers.bounce.bounce_corpus import diagnostic_lines, labels, score  # noqa: E402

CLI = [
    sys.executable,
    "-c",
    "import sys; from bot.cli.main import main; sys.exit(main())",
    "explain",
    "--json",
    "mail",
]
SISIMAI = r"""
use Sisimai; my $n = 0;
for my $f (@ARGV) { my $v = Sisimai->make($f); $n += scalar(@$v) if $v; }
print "$n\n";
"""


def one_core() -> list[str]:
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, int, bytes]:
    """Wall time, CPU time (user + system) and peak RSS (KiB) of the child, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        print(out.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, max(after.ru_maxrss, before.ru_maxrss), out.stdout


def main() -> int:
    corpus = Path(
        sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "sisimai"
    )
    files = sorted(p for p in (corpus / "mail").rglob("*") if p.is_file())
    print(f"corpus: {corpus} ({len(files)} files)")

    elapsed, cpu, peak, out = timed(one_core() + CLI, corpus)
    rows = [json.loads(line) for line in out.splitlines()]
    print(
        f"mailtriage explain --json: {len(files)} messages in {elapsed:.3f}s wall = "
        f"{len(files) / elapsed:,.0f} messages/s ({len(files) / cpu:,.0f} per CPU second), "
        f"peak RSS {peak / 1024:.1f} MB, {len(rows)} JSON lines"
    )

    result = score(corpus)
    print(
        f"reason agreement (whole messages): {result.agree}/{result.rows} = {result.agreement:.2%}"
    )
    pasted = diagnostic_lines(corpus)
    agree = 0
    for label, text in pasted:
        got = classify_text(text).recipients
        agree += bool(got) and got[0].reason == label["reason"]
    total = sum(
        1
        for lb in labels(corpus)
        if lb.get("reason") not in (None, "feedback", "vacation", "delivered")
    )
    print(
        f"reason agreement (pasted diagnostic lines): {agree}/{total} = {agree / max(total, 1):.2%}"
    )

    perl = shutil.which("perl")
    if perl and subprocess.run([perl, "-MSisimai", "-e1"], capture_output=True).returncode == 0:
        rel = [str(p.relative_to(corpus)) for p in files]
        s_elapsed, s_cpu, s_peak, _ = timed([*one_core(), perl, "-e", SISIMAI, *rel], corpus)
        print(
            f"sisimai (perl): {len(files)} messages in {s_elapsed:.3f}s wall = "
            f"{len(files) / s_elapsed:,.0f} messages/s ({len(files) / s_cpu:,.0f} per CPU second), "
            f"peak RSS {s_peak / 1024:.1f} MB"
        )
        print(
            f"speed ratio mailtriage/sisimai: {s_elapsed / elapsed:.2f}x wall, "
            f"{s_cpu / cpu:.2f}x CPU"
        )
    else:
        print("sisimai: not installed (apt-get install libsisimai-perl to compare)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
