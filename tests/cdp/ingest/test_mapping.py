# ruff: noqa: E501  (the parametrized cases read best one per line)
"""Mapping validation: clear errors naming the key; unsafe expressions refused; shipped
mappings valid."""

from __future__ import annotations

import pytest

from omniretail.cdp.ingest.errors import MappingError, UnsafeExpression
from omniretail.cdp.ingest.expressions import check_expression
from omniretail.cdp.ingest.mapping import SHIPPED_DIR, load_mapping, parse_mapping

BASE = """
format: csv
entities:
  - kind: order
    fields:
      order_id: {column: a}
      ordered_at: {column: b, type: timestamp}
"""


def test_a_valid_mapping_parses() -> None:
    m = parse_mapping(BASE)
    assert m.entities[0].fields["ordered_at"].type == "timestamp"
    assert m.options.delimiter == ","


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (BASE.replace("type: timestamp", "type: datetime"), "entities[0].fields.ordered_at.type", "Input should be"),
        (BASE.replace("format: csv", "format: xls"), "format", "Input should be"),
        (BASE.replace("order_id: {column: a}", "order_id: {column: a, value: 1}"), "entities[0].fields.order_id", "exactly one of"),
        (BASE.replace("order_id", "order_no"), "entities[0]", "unknown field 'order_no'"),
        (BASE.replace("kind: order", "kind: identity"), "entities[0]", "source_record_id"),
        (BASE + "options: {delimiter: ';;'}\n", "options.delimiter", "one character"),
        (BASE.replace("{column: a}", "{expr: 'a; DROP TABLE x'}"), "entities[0].fields.order_id", "no ';'"),
        (BASE.replace("{column: a}", "{column: a, entity: member}"), "entities[0].fields.order_id", "exactly one"),
        (BASE + "quarantine: [{reason: x, when: \"read_csv('/etc/passwd') IS NULL\"}]\n", "quarantine[0].when", "readcsv"),
        (BASE.replace("ordered_at: {column: b, type: timestamp}", "ordered_at: {column: b, formats: ['%Y']}"), "entities[0].fields.ordered_at", "formats only apply"),
    ],
)  # fmt: skip
def test_errors_name_the_key(text: str, key: str, message: str) -> None:
    with pytest.raises(MappingError) as err:
        parse_mapping(text, origin="m.yaml")
    assert err.value.field == key
    assert message in err.value.detail
    assert err.value.detail.startswith(f"m.yaml: {key}: ")


def test_entity_reference_must_be_an_identity() -> None:
    text = BASE + "      record_key: {entity: member}\n"
    with pytest.raises(MappingError, match="no entity named 'member'"):
        parse_mapping(text)


def test_not_yaml_or_not_an_object() -> None:
    with pytest.raises(MappingError, match="not valid YAML"):
        parse_mapping("format: [csv")
    with pytest.raises(MappingError, match="YAML object"):
        parse_mapping("- a\n- b\n")


@pytest.mark.parametrize(
    "expr",
    [
        "(SELECT 1)",
        "a IN (SELECT x FROM t)",
        "getenv('HOME')",
        "read_parquet('x.parquet') IS NULL",
        "sum(a)",
        "row_number() OVER ()",
        "*",
    ],
)
def test_unsafe_expressions_are_refused(expr: str) -> None:
    with pytest.raises(UnsafeExpression):
        check_expression(expr)


@pytest.mark.parametrize(
    "expr",
    [
        "starts_with(upper(Invoice), 'C')",
        '"Customer ID" IS NOT NULL AND Quantity < 0',
        "CASE WHEN a = 'x' THEN 1 ELSE 2 END",
        "TRY_CAST(Quantity AS DECIMAL(18,4)) * TRY_CAST(Price AS DECIMAL(18,4))",
        "json_extract_string(traits, '$.phone')",
        "coalesce(a, b) || '-' || lower(c)",
    ],
)
def test_safe_expressions_pass(expr: str) -> None:
    check_expression(expr)


def test_every_shipped_mapping_is_valid() -> None:
    paths = sorted(SHIPPED_DIR.rglob("*.yaml"))
    assert any(p.stem == "uci_online_retail_ii" for p in paths)
    for p in paths:
        load_mapping(p)
