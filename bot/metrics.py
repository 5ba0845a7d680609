"""Prometheus metrics of the running bot, served at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

REPLIES = Counter(
    "mailtriage_replies_total",
    "Answers given, by command and outcome (answer, usage, refusal, error, none).",
    ["command", "outcome"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "mailtriage_handler_seconds",
    "Time from request to reply, by command.",
    ["command"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
    registry=REGISTRY,
)
DNS_QUERIES = Counter(
    "mailtriage_dns_queries_total", "DNS queries sent.", ["kind"], registry=REGISTRY
)
DNS_ERRORS = Counter(
    "mailtriage_dns_errors_total",
    "DNS queries that timed out or failed.",
    ["kind"],
    registry=REGISTRY,
)
ALERTS_SENT = Counter(
    "mailtriage_alerts_sent_total", "Alerts a chat accepted.", ["destination"], registry=REGISTRY
)
ALERTS_PENDING = Gauge(
    "mailtriage_alerts_pending",
    "Alerts in the outbox not yet accepted by a chat.",
    registry=REGISTRY,
)
ALERTS_FAILED = Counter(
    "mailtriage_alerts_failed_total",
    "Alerts given up on: the chat kept refusing them (reason=refused), or their list was dropped"
    " from the settings before they went out (reason=list_dropped).",
    ["destination", "reason"],
    registry=REGISTRY,
)
ALERTS_IN_DOUBT = Counter(
    "mailtriage_alerts_in_doubt_total",
    "Alerts whose poster died between the chat call and recording it, by what the chat said"
    " (found: it had the alert; missing: it had not; unknown: it cannot tell, so posted again).",
    ["destination", "outcome"],
    registry=REGISTRY,
)
CHAT_ERRORS = Counter(
    "mailtriage_chat_api_errors_total",
    "Failed calls to a chat platform's API.",
    ["platform"],
    registry=REGISTRY,
)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
