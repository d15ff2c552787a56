"""Checkpoint and resume: a failed pipeline continues after its last finished step, and the
run log records every step's state and seconds (what the console's jobs page shows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omniretail.platform import pipeline
from omniretail.platform.config import Settings
from omniretail.platform.engine.duckdb import DuckDBEngine


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"t.load": 0, "t.build": 0, "t.score": 0}
    broken = {"on": True}

    def load(ctx: pipeline.PipelineContext) -> dict[str, int]:
        calls["t.load"] += 1
        ctx.engine.materialize("t_loaded", "SELECT range AS n FROM range(5)")
        return {"rows": 5}

    def build(ctx: pipeline.PipelineContext) -> dict[str, int]:
        calls["t.build"] += 1
        if broken["on"]:
            broken["on"] = False
            raise RuntimeError("disk full")
        ctx.engine.materialize("t_built", "SELECT sum(n) AS total FROM t_loaded")
        return {}

    def score(ctx: pipeline.PipelineContext) -> dict[str, int]:
        calls["t.score"] += 1
        return {"total": int(ctx.engine.scalar("SELECT total FROM t_built"))}

    discover = pipeline.discover
    monkeypatch.setattr(
        pipeline,
        "discover",
        lambda: (
            [s for s in discover() if s.name not in ("t.load", "t.build", "t.score")]
            + [
                pipeline.Step("t.load", 1, load, ""),
                pipeline.Step("t.build", 2, build, ""),
                pipeline.Step("t.score", 3, score, ""),
            ]
        ),
    )
    return calls


ONLY = ["t.load", "t.build", "t.score"]


def test_failed_run_resumes_after_the_last_finished_step(tmp_path: Path, steps) -> None:
    settings = Settings(home=tmp_path, demo=True)
    log_path = pipeline.run_log_path(settings)
    engine = DuckDBEngine(tmp_path / "work.duckdb")
    ctx = pipeline.PipelineContext(engine=engine, settings=settings)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.run(ctx, only=ONLY, checkpoint=pipeline.RunLog(log_path))
    state = json.loads(log_path.read_text())
    assert state["status"] == "failed"
    assert [s["status"] for s in state["steps"]] == ["done", "failed", "pending"]
    assert state["steps"][1]["error"] == "RuntimeError: disk full"
    assert state["steps"][0]["seconds"] >= 0
    engine.close()

    # a new process: the finished step's table is in the work file, the step is not rerun
    engine = DuckDBEngine(tmp_path / "work.duckdb")
    ctx = pipeline.PipelineContext(engine=engine, settings=settings)
    out = pipeline.run(ctx, only=ONLY, checkpoint=pipeline.RunLog(log_path, resume=True))
    engine.close()
    assert steps == {"t.load": 1, "t.build": 2, "t.score": 1}
    assert out["t.score"]["total"] == 10
    assert out["t.load"]["rows"] == 5  # the earlier result is kept
    state = json.loads(log_path.read_text())
    assert state["status"] == "done"
    assert state["resumes"] == 1
    assert [s["status"] for s in state["steps"]] == ["done", "done", "done"]


def test_nothing_to_resume(tmp_path: Path, steps) -> None:
    settings = Settings(home=tmp_path, demo=True)
    log_path = pipeline.run_log_path(settings)
    engine = DuckDBEngine()
    ctx = pipeline.PipelineContext(engine=engine, settings=settings)
    with pytest.raises(pipeline.NothingToResume):
        pipeline.run(ctx, only=ONLY, checkpoint=pipeline.RunLog(log_path, resume=True))
    assert steps["t.load"] == 0
    with pytest.raises(RuntimeError):
        pipeline.run(ctx, only=ONLY, checkpoint=pipeline.RunLog(log_path))
    # another list of steps is another run: not resumable
    with pytest.raises(pipeline.NothingToResume):
        pipeline.run(ctx, only=ONLY[:2], checkpoint=pipeline.RunLog(log_path, resume=True))
    engine.close()
