"""SQL text helpers for the canonical dialect (DuckDB's; the Spark adapter transpiles), also
valid in SQLite and PostgreSQL: quoted identifiers and literals, and lists of them.

Values from users or files are bound as parameters where the engine allows; these helpers are
for the places where SQL text must carry them (generated column lists, constant tables, rules).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any


def ident(name: str) -> str:
    """A quoted identifier (double quotes, inner ones doubled)."""
    return '"' + name.replace('"', '""') + '"'


def string(value: str) -> str:
    """A string literal (single quotes, inner ones doubled)."""
    return "'" + value.replace("'", "''") + "'"


def date_literal(value: date) -> str:
    """``DATE '2026-12-06'`` (a datetime: ``TIMESTAMP '2026-12-06 08:00:00'``)."""
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    return f"DATE '{value.isoformat()}'"


def literal(value: Any) -> str:
    """Any plain value as a literal: NULL, TRUE/FALSE, numbers, JSON text for a dict or a list,
    else its text as a string (a date too: ``'2026-12-06'``, cast where it is compared)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    return string(str(value))


def in_list(column_sql: str, values: Iterable[Any]) -> str:
    """``column IN (v1, v2)``; ``FALSE`` for no values (``IN ()`` is not SQL)."""
    items = [literal(v) for v in values]
    return f"{column_sql} IN ({', '.join(items)})" if items else "FALSE"


def r6(expr: str) -> str:
    """Round half up to 6 decimals identically on every engine (DuckDB's and Spark's
    ``round`` differ on halves)."""
    return f"floor(CAST({expr} AS DOUBLE) * 1000000 + 0.5) / 1000000"
