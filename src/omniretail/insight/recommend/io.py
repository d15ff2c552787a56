"""Reading an interaction or campaign file a user points the CLI at."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from omniretail.platform.errors import InvalidInput


def read_table(path: Path, *, sheet: str | None = None) -> pd.DataFrame:
    """CSV/TSV, Parquet, JSON lines or Excel (all sheets stacked unless ``sheet`` is given)."""
    if not path.exists():
        raise InvalidInput(f"file {str(path)!r} does not exist", field="file")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return pd.read_csv(path, sep=None, engine="python")
    if suffix == ".tsv" or suffix == ".inter":
        return pd.read_csv(path, sep="\t")
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".jsonl", ".ndjson"):
        return pd.read_json(path, lines=True)
    if suffix in (".xlsx", ".xls"):
        if sheet is not None:
            return pd.read_excel(path, sheet_name=sheet)
        sheets = pd.read_excel(path, sheet_name=None)
        return pd.concat(sheets.values(), ignore_index=True)
    raise InvalidInput(
        f"cannot read {path.name!r}: use CSV, TSV, Parquet, JSON lines or Excel", field="file"
    )
