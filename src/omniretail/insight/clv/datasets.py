"""Public reference data shipped inside installed packages (read in place, never copied).

The CDNOW sample of Fader, Hardie & Lee (2005): 2,357 customers who made their first purchase
at CDNOW in the first quarter of 1997, with every purchase up to June 1998. It ships as a data
file in the ``lifetimes`` wheel; we locate the file with ``importlib`` and never import the
(archived) package itself.
"""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pandas as pd

from omniretail.platform.errors import NotFound

CDNOW_CALIBRATION_END = date(1997, 9, 30)  # 39 weeks after 1997-01-01
CDNOW_HOLDOUT_END = date(1998, 6, 30)  # 78 weeks in all


def package_data_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise NotFound(f"the {package!r} package (which ships the data file) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.exists():
        raise NotFound(f"{'/'.join(parts)} is not in the installed {package!r} package")
    return path


def cdnow_sample_path() -> Path:
    return package_data_file("lifetimes", "datasets", "CDNOW_sample.txt")


def cdnow_transactions() -> pd.DataFrame:
    """One row per CDNOW transaction: customer_id, date, cds, amount (US$)."""
    frame = pd.read_csv(
        cdnow_sample_path(),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str, "customer_id": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame[["customer_id", "date", "cds", "amount"]]
