"""Typed boundaries: every JSON route of the API documents a response model (a named schema),
not an untyped dict or list of dicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Routes still answering untyped dicts, each with its owner's pending change. The test fails
# on any other untyped route, and on a route here once it is typed (then strike it).
PENDING: dict[tuple[str, str], str] = {}


def _untyped(schema: dict[str, Any]) -> bool:
    """An open object without declared properties (``dict[str, Any]``), a list of them, or no
    schema at all."""
    if not schema:
        return True
    if "$ref" in schema:
        return False
    if schema.get("type") == "array":
        return _untyped(schema.get("items") or {})
    if "anyOf" in schema:
        return any(_untyped(s) for s in schema["anyOf"] if s.get("type") != "null")
    if schema.get("type") == "object":
        extra = schema.get("additionalProperties")
        return not schema.get("properties") and (
            not isinstance(extra, dict) or not extra or _untyped(extra)
        )
    return False


def _json_operations(home: Path) -> dict[tuple[str, str], dict[str, Any]]:
    from omniretail.web.app import create_app

    spec = create_app().openapi()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for code, response in op.get("responses", {}).items():
                body = response.get("content", {}).get("application/json")
                if code.startswith("2") and body is not None:
                    out[(method.upper(), path)] = body.get("schema", {})
    return out


def test_every_json_route_has_a_response_model(home: Path) -> None:
    operations = _json_operations(home)
    assert len(operations) > 90  # the whole API was seen
    untyped = {key for key, schema in operations.items() if _untyped(schema)}
    assert untyped - set(PENDING) == set(), "JSON routes without a response model"
    assert set(PENDING) - untyped == set(), "typed now: strike them from PENDING"


def test_the_check_recognises_untyped_schemas() -> None:
    assert _untyped({"type": "object", "additionalProperties": True})
    assert _untyped({"type": "array", "items": {"type": "object", "additionalProperties": True}})
    assert _untyped({})
    assert not _untyped({"$ref": "#/components/schemas/CustomerProfile"})
    assert not _untyped({"type": "array", "items": {"$ref": "#/components/schemas/KpiRow"}})
    assert not _untyped({"type": "object", "additionalProperties": {"type": "integer"}})
