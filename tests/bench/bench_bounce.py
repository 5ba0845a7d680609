"""Benchmark of the bounce explainer on the Sisimai corpus: speed, memory, agreement (and Sisimai's).

Run from the checkout: `.venv/bin/python tests/bench/bench_bounce.py [--runs 5] [CORPUS_DIR]`
(default ../shared/corpus/sisimai). Prints the whole-process speed of `mailtriage explain --json`
over the corpus on one core (median of the runs), its peak RSS, reason agreement with labels.jsonl
(whole messages and pasted diagnostic lines) and, when Debian's libsisimai-perl is installed,
Sisimai's speed and ratio.

Like an installed package, our modules run from cached bytecode (kept in a temporary
PYTHONPYCACHEPREFIX, filled by a first run); the figure for compiling every module on each start,
what PYTHONDONTWRITEBYTECODE=1 does to a checkout, is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
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


def child_env(pycache: str | None) -> dict[str, str]:
    """The child's environment: bytecode cached under `pycache`, or (None) compiled each start."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONPYCACHEPREFIX", None)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def timed(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float, int, bytes]:
    """Wall time, CPU time (user + system) and peak RSS (KiB) of the child, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = env if env is not None else {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        print(out.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, max(after.ru_maxrss, before.ru_maxrss), out.stdout


def whole_process(files: int, corpus: Path, runs: int) -> tuple[float, float]:
    """Median wall and CPU time of `mailtriage explain --json` over the corpus (bytecode cached);
    prints the figures of both bytecode modes."""
    medians = {}
    with tempfile.TemporaryDirectory(prefix="bench-bounce-pyc-") as pycache:
        timed(one_core() + CLI, corpus, child_env(pycache))  # fills the bytecode cache
        for label, env in (
            ("bytecode cached, as installed", child_env(pycache)),
            ("compiled on each start", child_env(None)),
        ):
            walls, cpus, peaks, lines = [], [], [], 0
            for _ in range(runs):
                elapsed, cpu, peak, out = timed(one_core() + CLI, corpus, env)
                walls.append(elapsed)
                cpus.append(cpu)
                peaks.append(peak)
                lines = len(out.splitlines())
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            medians[label] = (wall, cpu)
            print(
                f"mailtriage explain --json ({label}): {files} messages in {wall:.3f}s wall "
                f"(median of {runs}, min {min(walls):.3f}s) = {files / wall:,.0f} messages/s "
                f"({files / cpu:,.0f} per CPU second), peak RSS {max(peaks) / 1024:.1f} MB, "
                f"{lines} JSON lines"
            )
    return medians["bytecode cached, as installed"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=ROOT.parent / "shared" / "corpus" / "sisimai")
    parser.add_argument("--runs", type=int, default=5, help="whole-process runs per figure")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    files = sorted(p for p in (corpus / "mail").rglob("*") if p.is_file())
    print(f"corpus: {corpus} ({len(files)} files)")
    elapsed, cpu = whole_process(len(files), corpus, args.runs)

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
