"""Reading a transaction file of any shape (CSV, Parquet, XLSX) into the analytics engine.

The user names the customer, date and (optional) amount columns; rows that cannot be
purchases are counted with their reason, never dropped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from omniretail.insight.history.errors import TransactionsInvalid
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import ident, string

DATE_FORMATS = [
    "%Y%m%d",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d.%m.%Y",
]


def _read_excel(path: Path) -> pa.Table:
    import pandas as pd

    sheets = pd.read_excel(path, sheet_name=None)
    frames = [df for df in sheets.values() if not df.empty]
    if not frames:
        raise TransactionsInvalid(f"{path.name} has no rows", field="transactions")
    frame = pd.concat(frames, ignore_index=True)
    frame.columns = [str(c) for c in frame.columns]
    for col in frame.columns:  # mixed object columns (ids that are sometimes text) as text
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: None if pd.isna(v) else str(v))
    return pa.Table.from_pandas(frame, preserve_index=False)


def load_file(engine: AnalyticsEngine, path: Path, name: str) -> None:
    """Load ``path`` as table ``name`` (CSV/TSV/TXT, Parquet, XLSX/XLS — every sheet)."""
    if not path.exists():
        raise TransactionsInvalid(f"no such file: {path}", field="transactions")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        engine.register_arrow(name, _read_excel(path))
    elif suffix == ".parquet":
        engine.materialize(name, f"SELECT * FROM read_parquet({string(str(path))})")
    elif suffix in (".csv", ".tsv", ".txt", ".gz"):
        engine.materialize(name, f"SELECT * FROM read_csv({string(str(path))}, sample_size = -1)")
    else:
        raise TransactionsInvalid(
            f"cannot read {path.name}: use CSV, Parquet or XLSX", field="transactions"
        )


def column_types(engine: AnalyticsEngine, table: str) -> dict[str, str]:
    return {c: t.upper() for c, t in engine.columns(table).items()}


def _date_expr(column: str, col_type: str) -> str:
    col = ident(column)
    if col_type.startswith(("DATE", "TIMESTAMP")):
        return f"CAST({col} AS TIMESTAMP)"
    if any(k in col_type for k in ("INT", "DECIMAL", "DOUBLE")):
        return f"try_strptime(CAST(CAST({col} AS BIGINT) AS VARCHAR), '%Y%m%d')"
    formats = "[" + ", ".join(string(f) for f in DATE_FORMATS) + "]"
    return (
        f"COALESCE(try_cast({col} AS TIMESTAMP), "
        f"try_strptime(trim(CAST({col} AS VARCHAR)), {formats}))"
    )


def standardize(
    engine: AnalyticsEngine,
    *,
    raw: str,
    target: str,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
    quantity_col: str | None = None,
) -> dict[str, Any]:
    """Materialize ``target`` (customer_id, purchased_at, amount) from ``raw`` and report the
    rows that are not purchases, by reason."""
    types = column_types(engine, raw)
    for option, col in (
        ("customer_col", customer_col),
        ("date_col", date_col),
        ("amount_col", amount_col),
        ("quantity_col", quantity_col),
    ):
        if col is not None and col not in types:
            raise TransactionsInvalid(
                f"column {col!r} is not in the file; it has {', '.join(types)}", field=option
            )
    if quantity_col and not amount_col:
        raise TransactionsInvalid("--quantity-col needs --amount-col", field="quantity_col")
    amount = "NULL::DOUBLE"
    if amount_col:
        amount = f"try_cast({ident(amount_col)} AS DOUBLE)"
        if quantity_col:
            amount = f"{amount} * try_cast({ident(quantity_col)} AS DOUBLE)"
    customer = f"NULLIF(trim(CAST({ident(customer_col)} AS VARCHAR)), '')"
    staging = ident(f"{target}_all")
    engine.materialize(
        f"{target}_all",
        f"SELECT {customer} AS customer_id, {_date_expr(date_col, types[date_col])} "
        f"AS purchased_at, {amount} AS amount FROM {ident(raw)}",
    )
    reasons = engine.fetch_rows(
        f"""SELECT
            count(*) AS rows,
            count(*) FILTER (WHERE customer_id IS NULL) AS no_customer,
            count(*) FILTER (WHERE customer_id IS NOT NULL AND purchased_at IS NULL)
                AS unparseable_date,
            count(*) FILTER (WHERE customer_id IS NOT NULL AND purchased_at IS NOT NULL
                AND {"amount IS NOT NULL AND amount < 0" if amount_col else "false"})
                AS negative_amount,
            count(*) FILTER (WHERE customer_id IS NOT NULL AND purchased_at IS NOT NULL
                AND {"amount IS NULL" if amount_col else "false"}) AS missing_amount
        FROM {staging}"""
    )[0]
    if reasons["rows"] and reasons["unparseable_date"] == reasons["rows"] - reasons["no_customer"]:
        raise TransactionsInvalid(
            f"no value of column {date_col!r} could be read as a date", field="date_col"
        )
    keep = "customer_id IS NOT NULL AND purchased_at IS NOT NULL"
    if amount_col:
        keep += " AND amount >= 0"  # zero: a free purchase still counts; negative: a return
    engine.materialize(target, f"SELECT * FROM {staging} WHERE {keep}")
    engine.drop(staging)
    used = int(engine.scalar(f"SELECT count(*) FROM {ident(target)}"))
    return {
        "rows": int(reasons["rows"]),
        "purchase_rows": used,
        "skipped": {k: int(v) for k, v in reasons.items() if k != "rows" and v},
    }


def load_transactions(
    engine: AnalyticsEngine,
    *,
    path: Path | None,
    source: str | None,
    customer_col: str | None,
    date_col: str | None,
    amount_col: str | None = None,
    quantity_col: str | None = None,
) -> dict[str, Any]:
    """Fill table ``transactions`` (customer_id, purchased_at, amount) from a file with the
    named columns, or from an imported ``source`` (its standardized goods lines of paid orders:
    the import's cleaning and line classes, ids as text); returns the rows report."""
    if (path is None) == (source is None):
        raise TransactionsInvalid("give a transaction file or --source, not both", field="source")
    if source is not None:
        frame, report = source_lines(source)
        engine.register_arrow(
            "transactions_lines", pa.Table.from_pandas(frame, preserve_index=False)
        )
        engine.materialize(
            "transactions",
            "SELECT customer_id, purchased_at, amount FROM transactions_lines",
        )
        return report
    if customer_col is None or date_col is None:
        raise TransactionsInvalid(
            "a transaction file needs --customer-col and --date-col", field="customer_col"
        )
    load_file(engine, path, "transactions_raw")  # type: ignore[arg-type]
    return standardize(
        engine,
        raw="transactions_raw",
        target="transactions",
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        quantity_col=quantity_col,
    )


def source_lines(source: str) -> tuple[Any, dict[str, Any]]:
    """(pandas frame, report) of an imported source's paid goods lines, from the published
    snapshot (see ``cdp.quality.purchases``)."""
    from omniretail.cdp.quality import service as quality_service
    from omniretail.platform.engine import open_published

    published = open_published()
    if published is None:
        raise TransactionsInvalid(
            "no analytics snapshot yet: run `omniretail pipeline run` after the import",
            field="source",
        )
    try:
        lines, report = quality_service.source_purchases(published, source=source)
    finally:
        published.close()
    return lines.to_pandas(), report
