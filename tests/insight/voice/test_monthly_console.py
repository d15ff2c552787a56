"""The monthly experience report in the console: the pipeline analyses the recent months'
reviews once (incrementally), the 客服 area shows last month's top negative aspects with
examples and movers, drills down per store/channel/SKU/region and downloads the HTML file."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from omniretail.insight.voice.pipeline import analyse_reviews
from omniretail.platform import config, pipeline
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.engine.snapshot import published_path
from tests.insight.voice.test_report import reviews
from tests.web.conftest import ANALYST, admin_console, console, login, password_hashes

__all__ = ["admin_console", "console", "password_hashes"]
pytestmark = pytest.mark.slow  # trains the sentiment model on first use


def _publish(home: Path) -> dict[str, object]:
    frame = reviews().rename(columns={"content": "text", "platform": "source"})
    frame["created_at"] = frame["created_at"].str.slice(0, 19).str.replace("T", " ")
    path = published_path(config.get_settings())
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = DuckDBEngine(path)
    try:
        engine.con.register("df", frame)
        engine.execute(
            "CREATE TABLE reviews AS SELECT source, review_id, sku, text, store_code, "
            "CAST(created_at AS TIMESTAMP) AS created_at FROM df"
        )
        engine.execute(
            "CREATE TABLE dim_store AS SELECT * FROM (VALUES ('S1', '华中', '武汉'), "
            "('S2', '华东', '上海')) t(store_code, region, city)"
        )
        ctx = pipeline.PipelineContext(engine=engine, settings=config.get_settings())
        first = analyse_reviews(ctx)
        again = analyse_reviews(ctx)
    finally:
        engine.close()
    return {"first": first, "again": again}


def test_console_report_drilldown_and_download(admin_console: TestClient, home: Path) -> None:
    runs = _publish(home)
    assert runs["first"]["analysed"] == 120  # type: ignore[index]
    assert runs["again"]["analysed"] == 0  # type: ignore[index]  # incremental: nothing again
    page = admin_console.get("/service/voice").text
    assert '<option value="2026-11" selected>' in page  # the latest month by default
    assert 'data-aspect="delivery"' in page
    assert 'data-significant="1"' in page  # the delivery complaints rose significantly
    row = page.split('data-aspect="delivery"', 1)[1].split("</tr>", 1)[0]
    assert "“" in row  # with example sentences
    assert "13812345678" not in page  # digits masked in examples
    assert "华东" in page  # region drill-down
    drill = admin_console.get("/service/voice?month=2026-11&dim=store_code&key=S1").text
    assert "S1" in drill
    bad = admin_console.get("/service/voice?month=2026-13")
    assert bad.status_code == 422
    file = admin_console.get("/service/voice/report.html?month=2026-11")
    assert file.status_code == 200
    assert "attachment" in file.headers["content-disposition"]
    assert "2026-11 客户体验月报" in file.text


def test_analyst_sees_figures_not_example_text(console: TestClient, home: Path) -> None:
    _publish(home)
    assert login(console, *ANALYST).status_code == 303  # type: ignore[attr-defined]
    page = console.get("/service/voice?month=2026-11").text
    assert 'data-aspect="delivery"' in page
    row = page.split('data-aspect="delivery"', 1)[1].split("</tr>", 1)[0]
    assert "“" not in row
    assert "无权查看" in row
    assert "“" not in console.get("/service/voice/report.html?month=2026-11").text
