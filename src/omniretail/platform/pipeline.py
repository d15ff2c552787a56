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

import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
) -> dict[str, dict[str, Any]]:
    steps = [s for s in discover() if not only or s.name in only]
    for i, s in enumerate(steps):
        if on_step:
            on_step(s, i, len(steps))
        t0 = time.perf_counter()
        out = s.fn(ctx) or {}
        out["seconds"] = round(time.perf_counter() - t0, 3)
        ctx.results[s.name] = out
    return ctx.results
