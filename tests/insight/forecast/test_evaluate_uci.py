"""``omniretail forecast evaluate`` on the real UCI export, imported as a user would.

The research note's figures (CrostonSBA 0.626, SeasonalNaive(52) 0.871) were measured on every
non-cancelled line of the file. The shipped mapping keeps exact duplicate lines once (515 of
them), which moves CrostonSBA to 0.633; a user's mapping that keeps them (the shipped one with
``deduplicate: false``) reproduces the note. Both go through import → standardize → publish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cli.main import app

REPO = Path(__file__).resolve().parents[3]
UCI = REPO.parent / "shared" / "data" / "online_retail_II_sample.xlsx"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not UCI.is_file(),
        reason="../shared/data/online_retail_II_sample.xlsx (the UCI sample) is absent",
    ),
]


def _cli(*args: str) -> dict[str, Any]:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def test_baselines_reproduce_and_selection_is_honest(sqlite_session: Any, tmp_path: Path) -> None:
    all_lines = tmp_path / "uci_all_lines.yaml"
    text = shipped_mapping("uci_online_retail_ii").read_text(encoding="utf-8")
    all_lines.write_text(
        text.replace("deduplicate: true", "deduplicate: false").replace(
            "source: uci_online_retail_ii", "source: uci_all_lines"
        ),
        encoding="utf-8",
    )
    _cli("import", "--mapping", "uci_online_retail_ii", str(UCI))
    _cli("import", "--mapping", str(all_lines), str(UCI))
    _cli("quality", "reprocess", "--publish")
    args = ["--freq", "week", "--horizon", "8", "--windows", "3", "--top", "100"]
    every = _cli("forecast", "evaluate", "--source", "uci_all_lines", *args)
    shipped = _cli("forecast", "evaluate", "--source", "uci_online_retail_ii", *args)

    r = every["results"]
    assert (every["series"], every["periods"]) == (100, 105)
    assert r["croston_sba"]["rmsse"] == pytest.approx(0.626, abs=0.005)
    assert r["seasonal_naive"]["rmsse"] == pytest.approx(0.871, abs=0.005)
    assert r["croston_sba"]["mase"] == pytest.approx(0.778, abs=0.005)
    s = shipped["results"]
    assert s["croston_sba"]["rmsse"] == pytest.approx(0.633, abs=0.002)
    assert s["seasonal_naive"]["rmsse"] == pytest.approx(0.871, abs=0.005)
    for report in (every, shipped):
        res, sel = report["results"], report["selection"]
        # selected on the windows before the test windows, then scored like any other
        assert sel["method"] == res["selected"]["method"]
        assert max(sel["validation_cutoffs"]) + 8 <= report["periods"] - 24
        assert res["selected"]["rmsse"] == res[sel["method"]]["rmsse"]
        assert res["selected"]["rmsse"] < res["croston_sba"]["rmsse"] - 0.005
        assert res["selected"]["mase"] < res["croston_sba"]["mase"]


def test_unknown_source_is_named(sqlite_session: Any) -> None:
    _cli("import", "--mapping", "uci_online_retail_ii", str(UCI))
    _cli("quality", "reprocess", "--publish")
    res = CliRunner().invoke(app, ["forecast", "evaluate", "--source", "nope"])
    assert res.exit_code != 0
    assert "nope" in str(res.exception)
    assert "uci_online_retail_ii" in str(res.exception)
