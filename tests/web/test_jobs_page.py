"""任务 Jobs page and ``/api/v1/jobs``: every timed job listed; admins run one now."""

from __future__ import annotations

import contextlib

from fastapi.testclient import TestClient

from tests.web.conftest import ANALYST, csrf_from, login


def test_jobs_page_lists_every_timed_job_in_chinese(admin_console: TestClient) -> None:
    r = admin_console.get("/jobs")
    assert r.status_code == 200
    for name, title in [
        ("coupon.expire", "优惠券过期"),
        ("messaging.dispatch", "消息发送"),
        ("campaign.run_due", "定时活动与旅程"),
        ("promotion.team_buy_close", "拼团到期关闭"),
        ("loyalty.points_expire", "积分过期"),
    ]:
        assert f'data-job="{name}"' in r.text
        assert title in r.text
    assert "尚未运行" in r.text
    assert 'href="/jobs"' in r.text
    # schedules in words, not raw codes: "10m" and "0 8 * * *"
    assert "每 10 分钟" in r.text
    assert "每天 08:00" in r.text


def test_admin_runs_a_job_now_and_sees_the_outcome(admin_console: TestClient) -> None:
    token = csrf_from(admin_console.get("/jobs").text)
    r = admin_console.post(
        "/jobs/coupon.expire/run", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "started=coupon.expire" in r.headers["location"]
    page = admin_console.get(r.headers["location"])  # the background run has finished
    row = page.text.split('data-job="coupon.expire"')[1].split("</tr>")[0]
    assert "成功" in row
    assert 'data-testid="job-history"' in page.text
    assert "手动" in page.text
    api = admin_console.get("/api/v1/jobs").json()
    job = {j["name"]: j for j in api}["coupon.expire"]
    assert job["runs"] == 1
    assert job["last_outcome"] == "ok"
    assert job["title"]


def test_only_admins_run_jobs(console: TestClient) -> None:
    login(console, *ANALYST)
    page = console.get("/jobs")
    assert page.status_code == 200
    assert "run-coupon.expire" not in page.text
    r = console.post("/jobs/coupon.expire/run", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 403
    assert "只有管理员可以立即运行任务" in r.text  # told in the reader's language
    console.cookies.set("omniretail_lang", "en")
    r = console.post("/jobs/coupon.expire/run", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 403
    assert "Only administrators can run a job now." in r.text
    assert console.post("/api/v1/jobs/coupon.expire/run").status_code == 403


def test_api_runs_a_job_and_names_an_unknown_one(admin_console: TestClient) -> None:
    token = admin_console.get("/api/v1/auth/me").json()["csrf_token"]  # as the page's scripts
    r = admin_console.post(
        "/api/v1/jobs/promotion.team_buy_close/run", headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 200, r.text
    assert [o["name"] for o in r.json()["ran"]] == ["promotion.team_buy_close"]
    runs = admin_console.get("/api/v1/jobs/promotion.team_buy_close/runs").json()
    assert runs[0]["outcome"] == "ok"
    assert runs[0]["trigger"] == "manual"
    bad = admin_console.get("/api/v1/jobs/no.such/runs")
    assert bad.status_code == 404
    assert bad.json()["errors"][0]["field"] == "name"


def test_schedules_read_as_words() -> None:
    from omniretail.platform.jobs.pages import schedule_parts

    assert schedule_parts("15m") == {"kind": "interval", "n": 15, "unit": "m"}
    assert schedule_parts("90s") == {"kind": "interval", "n": 90, "unit": "s"}
    assert schedule_parts("1d") == {"kind": "interval", "n": 1, "unit": "d"}
    assert schedule_parts("0 8 * * *") == {"kind": "daily", "time": "08:00"}
    assert schedule_parts("30 2 * * *") == {"kind": "daily", "time": "02:30"}
    assert schedule_parts("*/5 9-18 * * 1-5")["kind"] == "cron"


def test_jobs_page_shows_the_pipeline_steps_and_how_to_resume(admin_console: TestClient) -> None:
    """The run log `pipeline run` writes: each step's state and seconds, the failure."""
    from omniretail.platform import pipeline
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine.duckdb import DuckDBEngine

    settings = get_settings()
    assert "pipeline-run" not in admin_console.get("/jobs").text  # nothing ran yet

    def ok(ctx: pipeline.PipelineContext) -> dict[str, int]:
        return {"rows": 1}

    def broken(ctx: pipeline.PipelineContext) -> dict[str, int]:
        raise RuntimeError("out of memory")

    steps = [pipeline.Step("t.first", 1, ok, ""), pipeline.Step("t.second", 2, broken, "")]
    original = pipeline.discover
    pipeline.discover = lambda: steps  # type: ignore[assignment]
    try:
        engine = DuckDBEngine()
        ctx = pipeline.PipelineContext(engine=engine, settings=settings)
        with contextlib.suppress(RuntimeError):
            pipeline.run(ctx, checkpoint=pipeline.RunLog(pipeline.run_log_path(settings)))
        engine.close()
    finally:
        pipeline.discover = original  # type: ignore[assignment]
    page = admin_console.get("/jobs").text
    card = page.split('data-testid="pipeline-run"')[1].split("</section>")[0]
    assert "数据流水线" in card
    first = card.split('data-step="t.first"')[1].split("</tr>")[0]
    second = card.split('data-step="t.second"')[1].split("</tr>")[0]
    assert "成功" in first
    assert " s" in first
    assert "失败" in second
    assert "RuntimeError: out of memory" in second
    assert "omniretail pipeline run --resume" in card
    assert "从中断处继续" in card
