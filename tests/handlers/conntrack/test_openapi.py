"""deploy/appliance-openapi.yaml describes what `appliance serve` and the adapter really exchange."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from handlers.conntrack.model import DIRECTIONS, JSON_FIELDS, PROTOCOLS, Step, TrackStatus

SPEC = Path(__file__).resolve().parents[3] / "deploy" / "appliance-openapi.yaml"


def _spec() -> dict[str, Any]:
    data = yaml.safe_load(SPEC.read_text())
    assert isinstance(data, dict)
    return data


def test_it_is_openapi_3_1_with_the_three_paths_and_bearer_auth() -> None:
    spec = _spec()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/tracks", "/tracks/{id}", "/health"}
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_track_schema_has_exactly_the_contract_fields_and_values() -> None:
    schemas = _spec()["components"]["schemas"]
    summary = set(schemas["TrackSummary"]["properties"])
    full = summary | set(schemas["Track"]["allOf"][1]["properties"])
    assert full == set(JSON_FIELDS)
    assert schemas["Status"]["enum"] == [s.value for s in TrackStatus]
    assert schemas["Step"]["enum"] == [s.value for s in Step]
    assert schemas["Protocol"]["enum"] == list(PROTOCOLS)
    assert schemas["Direction"]["enum"] == list(DIRECTIONS)


def test_the_list_parameters_are_the_ones_the_server_reads() -> None:
    params = {p["name"] for p in _spec()["paths"]["/tracks"]["get"]["parameters"]}
    assert params == {
        "address",
        "ip",
        "protocol",
        "direction",
        "since",
        "until",
        "status",
        "limit",
        "cursor",
    }
