"""The sentiment model trained from the package corpus, and ``omniretail voice sentiment``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.insight.voice.corpus import load_corpus, near_duplicate_groups
from omniretail.insight.voice.sentiment import SentimentModel

pytestmark = pytest.mark.slow


def test_held_out_groups_accuracy() -> None:
    """Train on 80% of the near-duplicate groups, test on the other 20% (no shared text)."""
    corpus = load_corpus()
    groups = np.asarray(near_duplicate_groups(corpus.texts))
    test = (groups * 2654435761 % 5) == 0
    texts, labels = np.asarray(corpus.texts, dtype=object), np.asarray(corpus.labels)
    assert not set(texts[test]) & set(texts[~test])
    model = SentimentModel().fit(list(texts[~test]), list(labels[~test]))
    acc = float((model.label(list(texts[test])) == labels[test]).mean())
    assert acc >= 0.84


def test_cli_writes_one_row_per_input_row_in_order(home: Path, tmp_path: Path) -> None:
    texts = [
        "味道很好，下次还买",
        "",
        "😀😀",
        "物流太慢了，包装也破了，很失望",
        "這個價格太貴了，不值",
        "mixed 英文 very good 很好吃",
    ]
    frame = pd.DataFrame({"id": range(len(texts)), "review": texts})
    runner = CliRunner()
    for name in ("in.csv", "in.xlsx", "in.parquet"):
        src = tmp_path / name
        if name.endswith("csv"):
            frame.to_csv(src, index=False)
        elif name.endswith("xlsx"):
            frame.to_excel(src, index=False)
        else:
            frame.to_parquet(src)
        out = tmp_path / f"{name}.out.csv"
        result = runner.invoke(
            app,
            ["voice", "sentiment", "--input", str(src), "--text-col", "review", "--out", str(out)],
        )
        assert result.exit_code == 0, result.output
        got = pd.read_csv(out, keep_default_na=False)
        assert got["id"].tolist() == list(range(len(texts)))
        assert set(got["label"]) <= {0, 1}
        assert got["label"].tolist()[0] == 1
        assert got["label"].tolist()[3] == 0
        assert got["label"].tolist()[4] == 0
        assert got["has_text"].tolist() == [True, False, False, True, True, True]
        assert got["score"].tolist()[1] == 0.5


def test_cli_names_a_missing_column_and_a_bad_file(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["好"]}).to_csv(src, index=False)
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "voice",
            "sentiment",
            "--input",
            str(src),
            "--text-col",
            "review",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert r.exit_code != 0
    assert "review" in str(r.exception)
    bad = tmp_path / "in.txt"
    bad.write_text("x")
    r = runner.invoke(
        app,
        [
            "voice",
            "sentiment",
            "--input",
            str(bad),
            "--text-col",
            "text",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert r.exit_code != 0
    assert ".txt" in str(r.exception)


def test_repeated_texts_are_scored_once_with_the_same_score(home: Path) -> None:
    from omniretail.insight.voice.sentiment import default_model, score_texts

    texts = ["很好吃", "物流太慢了", None, "", "很好吃", "😀", "物流太慢了"]
    scores = score_texts(texts)
    direct = default_model().score(["很好吃", "物流太慢了", "", "", "很好吃", "😀", "物流太慢了"])
    assert scores.tolist() == direct.tolist()
    assert scores[0] == scores[4]
    assert scores[2] == 0.5
    assert len(score_texts([])) == 0


def test_cli_output_neutralises_formulas(home: Path, tmp_path: Path) -> None:
    """Reviews are what customers wrote: one starting with ``=`` must not become a formula in
    the scored CSV a reader opens in Excel (the one export writer's rule)."""
    src = tmp_path / "in.csv"
    texts = ['=HYPERLINK("http://evil.example","点我")', "@SUM(1)", "很好吃，还会再买", "-5"]
    pd.DataFrame({"id": range(len(texts)), "review": texts}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    r = CliRunner().invoke(
        app, ["voice", "sentiment", "--input", str(src), "--text-col", "review", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    got = pd.read_csv(out, keep_default_na=False, dtype={"review": str})
    assert got["review"].tolist() == ["'" + texts[0], "'" + texts[1], texts[2], "-5"]
    assert got["id"].tolist() == [0, 1, 2, 3]
