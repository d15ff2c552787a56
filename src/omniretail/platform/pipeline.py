"""The analytics pipeline: ordered steps contributed by each domain's ``pipeline.py``.

A domain declares steps with :func:`step`; ``omniretail pipeline run`` discovers every
``omniretail.<...>.pipeline`` module, orders steps by ``order`` (then name) and runs them
on one analytics engine, then publishes the snapshot (see ``platform/engine``).

Step order bands (leave gaps so domains can slot in):
  100 standardize/clean (cdp.quality)      200 identity resolution (cdp.identity)
  300 unify orders/events, golden records   400 features, tags, RFM, lifecycle (insight)
  500 segments, KPIs, basket (insight)      600 model scores (insight models)
  800 publish serving tables to the operational store
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omniretail.platform.config import Settings
from omniretail.platform.engine.base import AnalyticsEngine


@dataclass
class PipelineContext:
    engine: AnalyticsEngine
    settings: Settings
    full_refresh: bool = False
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: Callable[[str], None] = lambda _msg: None


StepFn = Callable[[PipelineContext], dict[str, Any] | None]


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    fn: StepFn
    description: str


_STEPS: dict[str, Step] = {}


def step(name: str, *, order: int, description: str = "") -> Callable[[StepFn], StepFn]:
    def deco(fn: StepFn) -> StepFn:
        _STEPS[name] = Step(
            name=name, order=order, fn=fn, description=description or (fn.__doc__ or "")
        )
        return fn

    return deco


def discover() -> list[Step]:
    from omniretail.platform.registry import modules_named

    modules_named("pipeline")
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


def run(
    ctx: PipelineContext,
    *,
    only: list[str] | None = None,
    on_step: Callable[[Step, int, int], None] | None = None,
    checkpoint: RunLog | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the steps in order. With a ``checkpoint`` (:class:`RunLog`), every step's start,
    end, seconds and outcome are recorded as they happen, and steps the log marks finished
    (a resumed run) are skipped, their earlier results kept."""
    steps = [s for s in discover() if not only or s.name in only]
    if checkpoint is not None:
        checkpoint.begin(
            [s.name for s in steps], engine=ctx.engine.name, full_refresh=ctx.full_refresh
        )
    for i, s in enumerate(steps):
        if checkpoint is not None and checkpoint.finished(s.name):
            ctx.results[s.name] = checkpoint.result(s.name)
            continue
        if on_step:
            on_step(s, i, len(steps))
        if checkpoint is not None:
            checkpoint.started(s.name)
        t0 = time.perf_counter()
        try:
            out = s.fn(ctx) or {}
        except BaseException as exc:
            if checkpoint is not None:
                checkpoint.failed(s.name, time.perf_counter() - t0, exc)
            raise
        out["seconds"] = round(time.perf_counter() - t0, 3)
        ctx.results[s.name] = out
        if checkpoint is not None:
            checkpoint.done(s.name, out)
    if checkpoint is not None:
        checkpoint.end()
    return ctx.results


class NothingToResume(Exception):
    """``--resume`` without a failed run of the same steps on the same engine."""


class RunLog:
    """The pipeline's progress in ``analytics/pipeline_run.json`` (written atomically after
    every change): the run's steps with their state (``pending`` → ``running`` → ``done`` |
    ``failed``), seconds and results. It is the checkpoint ``--resume`` continues from (the
    finished steps' tables are in the engine's durable storage: DuckDB's work file, Spark's
    warehouse) and what the console's jobs page shows while a pipeline runs."""

    def __init__(self, path: Path, *, resume: bool = False) -> None:
        self.path = path
        self.resume = resume
        self.state: dict[str, Any] = {}

    @staticmethod
    def read(path: Path) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, self.path)

    def begin(self, names: list[str], *, engine: str, full_refresh: bool = False) -> None:
        prev = self.read(self.path) if self.resume else None
        if self.resume:
            if (
                prev is None
                or prev.get("status") != "failed"
                or prev.get("engine") != engine
                or [s["name"] for s in prev.get("steps", [])] != names
            ):
                raise NothingToResume(
                    "no failed pipeline run of these steps on this engine to resume"
                )
            self.state = prev
            self.state["resumed_at"] = _now()
            self.state["resumes"] = int(prev.get("resumes", 0)) + 1
        else:
            self.state = {
                "engine": engine,
                "full_refresh": full_refresh,
                "started_at": _now(),
                "resumes": 0,
                "steps": [{"name": n, "status": "pending"} for n in names],
            }
        self.state["status"] = "running"
        self.state["pid"] = os.getpid()
        self._write()

    def _step(self, name: str) -> dict[str, Any]:
        for s in self.state["steps"]:
            if s["name"] == name:
                return s  # type: ignore[no-any-return]
        raise KeyError(name)

    def finished(self, name: str) -> bool:
        return bool(self._step(name)["status"] == "done")

    def result(self, name: str) -> dict[str, Any]:
        return dict(self._step(name).get("result") or {})

    def started(self, name: str) -> None:
        st = self._step(name)
        st.update(status="running", started_at=_now(), error=None)
        self._write()

    def done(self, name: str, out: dict[str, Any]) -> None:
        st = self._step(name)
        st.update(status="done", seconds=out.get("seconds"), finished_at=_now(), result=out)
        self._write()

    def failed(self, name: str, seconds: float, exc: BaseException) -> None:
        st = self._step(name)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        st.update(status="failed", seconds=round(seconds, 3), error=error)
        self.state["status"] = "failed"
        self.state["finished_at"] = _now()
        self._write()

    def end(self) -> None:
        self.state["status"] = "done"
        self.state["finished_at"] = _now()
        self._write()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_log_path(settings: Settings) -> Path:
    return settings.analytics_dir / "pipeline_run.json"
