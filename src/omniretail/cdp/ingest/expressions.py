"""Small, safe SQL expressions in mappings (no eval, no queries).

An expression such as ``starts_with(Invoice, 'C')`` or ``Quantity * Price`` is parsed with
sqlglot in the canonical (DuckDB) dialect and accepted only if every node is a column,
a literal, an operator, CASE/CAST or a whitelisted scalar function. Subqueries, table
references, statements and unknown functions are refused with the offending part named.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from omniretail.cdp.ingest.errors import UnsafeExpression

SAFE_FUNCTIONS = frozenset(
    {
        "abs",
        "ceil",
        "ceiling",
        "floor",
        "round",
        "greatest",
        "least",
        "coalesce",
        "nullif",
        "if",
        "iff",
        "lower",
        "upper",
        "trim",
        "ltrim",
        "rtrim",
        "length",
        "char_length",
        "substr",
        "substring",
        "left",
        "right",
        "lpad",
        "rpad",
        "replace",
        "concat",
        "concat_ws",
        "starts_with",
        "startswith",
        "ends_with",
        "endswith",
        "contains",
        "strpos",
        "instr",
        "regexp_matches",
        "regexp_like",
        "regexp_replace",
        "regexp_extract",
        "split_part",
        "strptime",
        "try_strptime",
        "strftime",
        "date_trunc",
        "to_date",
        "to_timestamp",
        "epoch_ms",
        "make_date",
        "json_extract",
        "json_extract_string",
        "json_value",
        "to_json",
        "md5",
        "hash",
        "try_cast",
        "cast",
        "list_value",
        "array",
        "hex",
        "date",
        "year",
        "month",
        "day",
        "hour",
        "prefix",
        "suffix",
        "str_position",
        "timestamp",
        "timestamptrunc",
        "datetrunc",
        "strtotime",
        "timetostr",
        "timestrtotime",
        "jsonextract",
        "jsonextractscalar",
        "regexplike",
        "regexpextract",
        "unixtotime",
        "todate",
        "tochar",
        "currentdate",
        "tsordstotimestamp",
        "tsordstodate",
    }
)

_FORBIDDEN = (
    exp.Select,
    exp.Subquery,
    exp.Query,
    exp.Table,
    exp.From,
    exp.Join,
    exp.Command,
    exp.Create,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Drop,
    exp.Pragma,
    exp.Set,
    exp.Placeholder,
    exp.Star,
    exp.Window,
    exp.AggFunc,
)


_OPERATORS = (
    exp.Cast,
    exp.Case,
    exp.If,
    exp.Binary,
    exp.Connector,
    exp.Unary,
    exp.Predicate,
    exp.Bracket,
)


def check_expression(text: str) -> exp.Expr:
    """Parse ``text`` and refuse anything but a scalar row expression."""
    if ";" in text:
        raise UnsafeExpression(f"expression {text!r}: one expression, no ';'", field="expr")
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise UnsafeExpression(f"expression {text!r} does not parse: {exc}", field="expr") from exc
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN):
            raise UnsafeExpression(
                f"expression {text!r}: {node.key.upper()} is not allowed in a mapping",
                field="expr",
            )
        if isinstance(node, exp.Anonymous):
            name = str(node.name).lower()
        elif isinstance(node, exp.Func) and not isinstance(node, _OPERATORS):
            name = node.sql_name().lower()
            if name not in SAFE_FUNCTIONS:
                name = type(node).__name__.lower()
        else:
            continue
        if name not in SAFE_FUNCTIONS:
            raise UnsafeExpression(
                f"expression {text!r}: function {name}() is not allowed in a mapping",
                field="expr",
            )
    return tree


def to_sql(text: str) -> str:
    """The expression in the canonical dialect, parenthesised."""
    return "(" + check_expression(text).sql(dialect="duckdb") + ")"
