"""The monthly experience report: figures, movers with significance, drill-down, incremental
cache, the HTML file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.insight.voice import report

pytestmark = pytest.mark.slow  # trains the sentiment model on first use


def reviews() -> pd.DataFrame:
    good = ["味道很好，下次还买。", "包装精美，送人很有面子。", "店员很热情，服务周到。"]
    slow = [
        "物流太慢了，等了五天才到，很失望。",
        "配送超时了，骑手态度也差，电话13812345678打不通。",
    ]
    rows = []
    for i in range(60):  # October: mostly good
        rows.append(
            (
                f"o{i}",
                "2026-10-05T10:00:00+08:00",
                good[i % 3] if i % 6 else slow[i % 2],
                "SKU1",
                "S1",
                "tmall",
                10 if i % 6 else 3,
            )
        )
    for i in range(60):  # November: delivery complaints jump
        rows.append(
            (
                f"n{i}",
                "2026-11-05T10:00:00+08:00",
                slow[i % 2] if i % 2 else good[i % 3],
                "SKU2" if i % 3 else "SKU1",
                "S2",
                "jd",
                4 if i % 2 else 9,
            )
        )
    return pd.DataFrame(
        rows, columns=["review_id", "created_at", "content", "sku", "store_code", "platform", "nps"]
    )


def test_report_figures_and_movers(tmp_path: Path, home: Path) -> None:
    frame = reviews()
    cache = tmp_path / "cache.parquet"
    analysis = report.analyse_incremental(
        frame, id_col="review_id", text_col="content", cache=cache
    )
    assert len(analysis) == 120
    assert cache.exists()
    again = report.analyse_incremental(frame, id_col="review_id", text_col="content", cache=cache)
    assert len(again) == 120  # nothing re-scored, nothing duplicated
    r = report.build_report(frame, analysis, month="2026-11")
    assert r.volume == 60
    assert r.previous_volume == 60
    assert r.negative_share > r.previous_negative_share  # type: ignore[operator]
    top = r.aspects[0]
    assert top["code"] == "delivery"
    assert top["significant"]
    assert top["change"] > 0
    assert any("138****" in e for e in top["examples"])  # phone masked
    assert r.nps is not None
    assert r.nps == 0.0  # half promoters (9), half detractors (4)
    assert {x["key"] for x in r.drilldown["sku"]} == {"SKU1", "SKU2"}
    html = report.render_html(r)
    assert "2026-11 客户体验月报" in html
    assert "物流/配送" in html
    assert "显著" in html


def test_cli_report(tmp_path: Path, home: Path) -> None:
    src = tmp_path / "reviews.jsonl"
    reviews().to_json(src, orient="records", lines=True, force_ascii=False)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        app, ["voice", "report", "--input", str(src), "--month", "2026-11", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "客户体验月报" in out.read_text("utf-8")
    bad = CliRunner().invoke(
        app, ["voice", "report", "--input", str(src), "--month", "11/2026", "--out", str(out)]
    )
    assert bad.exit_code != 0


def test_analysis_spread_over_processes_equals_one_process() -> None:
    """From PARALLEL_MIN distinct texts the analysis runs in worker processes: the same rows,
    in the same order, as one process gives (checked here with two workers forced)."""
    from omniretail.insight.voice.corpus import load_corpus

    texts = list(load_corpus().texts[:400]) + ["", "好评", "好评"]
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(len(texts))], "text": texts})
    one = report.analyse(frame, id_col="id", text_col="text", processes=1)
    two = report.analyse(frame, id_col="id", text_col="text", processes=2)
    pd.testing.assert_frame_equal(one, two)
    assert one["negative"].any()
    assert (one["neg_aspects"] != "").any()
