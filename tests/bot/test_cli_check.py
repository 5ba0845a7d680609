"""`mailtriage check`: JSON on stdout, exit 0 for a finished check, 2 for bad usage, 1 otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.dns import DnsLab

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTRIAGE_")}
    env.update(extra_env)
    argv = [sys.executable, "-m", "bot", "check", *args]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("target", ["user@", "exa mple.com", "a" * 70 + ".example.com"])
def test_bad_targets_exit_2_with_a_short_message(target: str) -> None:
    done = run("--resolver", "127.0.0.1:9", target)
    assert done.returncode == 2
    assert done.stderr.startswith("mailtriage: ") and "Traceback" not in done.stderr


def test_a_private_address_is_refused_with_exit_1() -> None:
    done = run("--resolver", "127.0.0.1:9", "10.1.2.3")
    assert done.returncode == 1 and "not a public address" in done.stderr


def test_a_bad_resolver_setting_is_a_usage_error() -> None:
    assert run("--resolver", "not-an-address", "example.com").returncode == 2


@pytest.mark.lab
def test_json_output_on_the_lab(dns_lab: DnsLab) -> None:
    resolver = f"127.0.0.1:{dns_lab.resolver[1]}"
    done = run(
        "--json",
        "--resolver",
        resolver,
        "--dnsbl",
        "zen.spamhaus.org",
        "listed.lab.test",
        MAILTRIAGE_PROBE_ALLOW="127.0.0.0/8",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["target"], data["kind"], data["verdict"]) == ("listed.lab.test", "domain", "fail")
    assert "127.0.1.9 @ zen.spamhaus.org" in {f["subject"] for f in data["findings"]}


@pytest.mark.lab
def test_environment_settings_work_like_the_flags(dns_lab: DnsLab) -> None:
    done = run(
        "--json",
        "--lang",
        "zh-TW",
        "listed.lab.test",
        MAILTRIAGE_RESOLVERS=f"127.0.0.1:{dns_lab.resolver[1]}",
        MAILTRIAGE_DNSBL_ZONES="bl.spamcop.net",
        MAILTRIAGE_PROBE_ALLOW="127.0.0.0/8",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    lists = [f for f in data["findings"] if f["check"] == "dnsbl"]
    assert [(f["subject"], f["status"], f["evidence"]) for f in lists] == [
        ("127.0.1.9", "ok", "bl.spamcop.net")
    ]
    dmarc = [f for f in data["findings"] if f["check"] == "dmarc"]
    assert "沒有 DMARC 記錄" in dmarc[0]["detail"]


def test_a_dead_resolver_exits_1() -> None:
    done = run("--json", "--resolver", "127.0.0.1:9", "example.com")
    assert done.returncode == 1 and "No DNS answer at all" in done.stderr
