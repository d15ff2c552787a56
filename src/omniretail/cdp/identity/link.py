"""Declarative linking / de-duplication of any customer lists (名单匹配) with Splink.

``omniretail link --config LINK.yaml LEFT [RIGHT] --out PAIRS.csv``: one file de-duplicates
(``dedupe_only``), two files link (``link_only``, e.g. a partner brand's member list against
ours for a cross-brand alliance). The YAML names the id column, how to clean columns, how to
compare them, which pairs to score (blocking) and the threshold; see docs/identity.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from omniretail.platform.errors import InvalidInput
from omniretail.platform.phone import normalize_phone

Method = Literal["exact", "jaro_winkler", "levenshtein", "email", "date"]
Clean = Literal["strip", "lower", "simplified", "phone", "digits", "no_spaces"]


DateTolerance = Literal["day_month_swap", "one_digit"]


class ComparisonSpec(BaseModel):
    column: str
    method: Method = "exact"
    thresholds: list[float] = Field(default_factory=list)
    term_frequency: bool = False
    swap_with: str | None = Field(
        None,
        description="Another column whose value may have been entered in this one (given name ↔ "
        "surname): a level for `column` = other's `swap_with` and the other way round.",
    )
    tolerance: list[DateTolerance] = Field(
        default_factory=list,
        description="method date only, dates as YYYYMMDD (clean with `digits`): day_month_swap "
        "(day and month transposed), one_digit (one digit wrong or two adjacent swapped).",
    )

    @model_validator(mode="after")
    def _check(self) -> ComparisonSpec:
        if self.tolerance and self.method != "date":
            raise ValueError(f"{self.column}: tolerance applies to method date only")
        if self.swap_with == self.column:
            raise ValueError(f"{self.column}: swap_with must name another column")
        if self.swap_with and self.method == "email":
            raise ValueError(f"{self.column}: swap_with does not apply to method email")
        return self


class TrainingSpec(BaseModel):
    deterministic: list[list[str]] = Field(
        default_factory=list, description="Rules that admit almost no false matches (prior)."
    )
    recall: float = Field(0.7, gt=0, le=1)
    em_blocking: list[list[str]] = Field(default_factory=list)
    u_max_pairs: float = 1e6
    seed: int = 42


class LinkConfig(BaseModel):
    unique_id: str | None = Field(None, description="Id column; row numbers when omitted.")
    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"] | None = None
    threshold: float = Field(0.9, ge=0, le=1)
    clean: dict[str, list[Clean]] = Field(default_factory=dict)
    comparisons: list[ComparisonSpec]
    blocking: list[list[str]]
    training: TrainingSpec = Field(default_factory=TrainingSpec)


def load_link_config(path: Path) -> LinkConfig:
    if not path.exists():
        raise InvalidInput(f"link configuration {path} does not exist", field="config")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return LinkConfig.model_validate(raw)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path.name} is not valid YAML: {exc}", field="config") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{path.name}: {where}: {first['msg']}", field=where) from exc


def read_table(path: Path) -> pd.DataFrame:
    """A CSV, Parquet, XLSX or JSON-lines file as text columns."""
    if not path.exists():
        raise InvalidInput(f"input file {path} does not exist", field="input")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=str)
    con = duckdb.connect()
    try:
        target = str(path).replace("'", "''")
        reader = {
            ".parquet": f"read_parquet('{target}')",
            ".jsonl": f"read_json_auto('{target}')",
            ".json": f"read_json_auto('{target}')",
        }.get(suffix, f"read_csv('{target}', all_varchar = true, header = true)")
        frame: pd.DataFrame = con.sql(f"SELECT * FROM {reader}").df()
    finally:
        con.close()
    return frame.astype("string")


_SPACES = re.compile(r"\s+")


def _clean_value(value: Any, steps: list[str], t2s: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value)
    for step in steps:
        if step == "strip":
            text = text.strip()
        elif step == "lower":
            text = text.lower()
        elif step == "no_spaces":
            text = _SPACES.sub("", text)
        elif step == "digits":
            text = "".join(ch for ch in text if ch.isdigit())
        elif step == "simplified":
            text = t2s.convert(text)
        elif step == "phone":
            phone = normalize_phone(text)
            if phone is None:
                return None
            text = phone
    return text or None


def prepare(frame: pd.DataFrame, cfg: LinkConfig, name: str) -> pd.DataFrame:
    import opencc

    frame = frame.copy()
    needed = (
        {c.column for c in cfg.comparisons}
        | {c.swap_with for c in cfg.comparisons if c.swap_with}
        | {c for r in cfg.blocking for c in r}
    )
    missing = sorted(c for c in needed if c not in frame.columns)
    if missing:
        raise InvalidInput(f"{name} has no column {missing[0]!r}", field=missing[0])
    if cfg.unique_id:
        if cfg.unique_id not in frame.columns:
            raise InvalidInput(f"{name} has no id column {cfg.unique_id!r}", field="unique_id")
        frame["unique_id"] = frame[cfg.unique_id].astype("string")
    else:
        frame["unique_id"] = [str(i + 1) for i in range(len(frame))]
    if frame["unique_id"].duplicated().any():
        dup = frame.loc[frame["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise InvalidInput(f"{name}: id {dup!r} occurs more than once", field="unique_id")
    t2s = opencc.OpenCC("t2s")
    for column, steps in cfg.clean.items():
        if column in frame.columns:
            frame[column] = [_clean_value(v, list(steps), t2s) for v in frame[column]]
    keep = ["unique_id", *sorted(needed)]
    out = frame[keep].astype(object).where(frame[keep].notna(), None)
    return out


def _comparison(spec: ComparisonSpec) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    if spec.swap_with or spec.tolerance:
        return _levelled_comparison(spec)
    if spec.method == "exact":
        return cl.ExactMatch(spec.column).configure(term_frequency_adjustments=spec.term_frequency)
    if spec.method == "jaro_winkler":
        return cl.JaroWinklerAtThresholds(spec.column, spec.thresholds or [0.9, 0.7])
    if spec.method == "levenshtein":
        return cl.LevenshteinAtThresholds(spec.column, [int(t) for t in spec.thresholds] or [1, 2])
    if spec.method == "email":
        return cl.EmailComparison(spec.column)
    return cl.CustomComparison(
        output_column_name=spec.column,
        comparison_levels=[
            cll.NullLevel(spec.column),
            cll.ExactMatchLevel(spec.column),
            cll.ElseLevel(),
        ],
    )


def _quoted(column: str, side: str) -> str:
    return '"' + f"{column}_{side}".replace('"', '""') + '"'


def _levelled_comparison(spec: ComparisonSpec) -> Any:
    """The comparison's levels, most to least similar: null, exact, swapped with another column
    (``swap_with``), the date tolerances, the method's fuzzy thresholds, else."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    col = spec.column
    levels: list[Any] = [
        cll.NullLevel(col),
        cll.ExactMatchLevel(col, term_frequency_adjustments=spec.term_frequency),
    ]
    if spec.swap_with:
        other = spec.swap_with
        cl_, cr, ol, or_ = (
            _quoted(col, "l"),
            _quoted(col, "r"),
            _quoted(other, "l"),
            _quoted(other, "r"),
        )
        fuzzy = (spec.thresholds or [0.9])[0] if spec.method == "jaro_winkler" else 0.9
        levels += [
            cll.ColumnsReversedLevel(col, other, symmetrical=True),
            cll.CustomLevel(
                f"jaro_winkler_similarity({cl_}, {or_}) >= {fuzzy}"
                f" AND jaro_winkler_similarity({ol}, {cr}) >= {fuzzy}",
                label_for_charts=f"{col} and {other} swapped, with a typo",
                base_dialect_str="duckdb",
            ),
            cll.CustomLevel(
                f"{cl_} = {or_} OR {ol} = {cr}",
                label_for_charts=f"{col} equals the other record's {other}",
                base_dialect_str="duckdb",
            ),
        ]
    if "day_month_swap" in spec.tolerance:
        left, right = _quoted(col, "l"), _quoted(col, "r")
        levels.append(
            cll.CustomLevel(
                f"length({left}) = 8 AND length({right}) = 8"
                f" AND substr({left}, 1, 4) = substr({right}, 1, 4)"
                f" AND substr({left}, 5, 2) = substr({right}, 7, 2)"
                f" AND substr({left}, 7, 2) = substr({right}, 5, 2)",
                label_for_charts="day and month transposed",
                base_dialect_str="duckdb",
            )
        )
    if "one_digit" in spec.tolerance:
        levels.append(cll.DamerauLevenshteinLevel(col, 1))
    if spec.method == "jaro_winkler":
        levels += [cll.JaroWinklerLevel(col, t) for t in spec.thresholds or [0.9, 0.7]]
    elif spec.method == "levenshtein":
        levels += [cll.LevenshteinLevel(col, int(t)) for t in spec.thresholds or [1, 2]]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name=col, comparison_levels=levels)


def link_files(cfg: LinkConfig, left: Path, right: Path | None, out: Path) -> dict[str, Any]:
    """Score pairs of records and write those at or above the threshold to ``out`` (CSV)."""
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frames = [prepare(read_table(left), cfg, left.name)]
    if right is not None:
        frames.append(prepare(read_table(right), cfg, right.name))
    link_type = cfg.link_type or ("dedupe_only" if right is None else "link_only")
    if link_type != "dedupe_only" and right is None:
        raise InvalidInput(f"link_type {link_type} needs two input files", field="link_type")
    con = duckdb.connect()
    try:
        db_api = DuckDBAPI(con)
        inputs = [
            db_api.register(f, dataset_display_name=p.stem.replace("-", "_") or f"input_{i}")
            for i, (f, p) in enumerate(zip(frames, [left, right or left], strict=False))
        ]
        settings = SettingsCreator(
            link_type=link_type,
            comparisons=[_comparison(c) for c in cfg.comparisons],
            blocking_rules_to_generate_predictions=[block_on(*r) for r in cfg.blocking],
            retain_intermediate_calculation_columns=False,
        )
        linker = Linker(inputs if len(inputs) > 1 else inputs[0], settings, log_level=None)
        rules = cfg.training.deterministic or cfg.blocking[:1]
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*r) for r in rules], recall=cfg.training.recall
        )
        linker.training.estimate_u_using_random_sampling(
            max_pairs=cfg.training.u_max_pairs, seed=cfg.training.seed
        )
        for rule in cfg.training.em_blocking or cfg.blocking:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
        predictions = linker.inference.predict(
            threshold_match_probability=cfg.threshold, warning_mode="never"
        )
        cols = "unique_id_l, unique_id_r"
        if link_type != "dedupe_only":
            cols = "source_dataset_l, unique_id_l, source_dataset_r, unique_id_r"
        out.parent.mkdir(parents=True, exist_ok=True)
        target = str(out).replace("'", "''")
        con.execute(
            f"COPY (SELECT {cols}, round(match_probability, 6) AS match_probability,"
            f" round(match_weight, 3) AS match_weight FROM {predictions.physical_name}"
            f" ORDER BY match_probability DESC, unique_id_l, unique_id_r)"
            f" TO '{target}' (HEADER, DELIMITER ',')"
        )
        pairs = con.sql(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0]
    finally:
        con.close()
    return {
        "link_type": link_type,
        "records": [len(f) for f in frames],
        "pairs": int(pairs),
        "threshold": cfg.threshold,
        "out": str(out),
    }
