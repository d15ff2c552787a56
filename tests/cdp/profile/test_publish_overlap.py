"""The publish step selects the identities with the analytics engine while the store takes the
golden records: the engine is never used by two threads at once, the work runs beside the
store's writes, and a failure there fails the step."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine

from omniretail.cdp.profile import publish
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.cdp.identity.factories import run_steps
from tests.cdp.profile.test_publish import PEOPLE, _identities

ENGINE_CALLS = (
    "execute", "fetch_arrow", "materialize", "register_arrow", "register_parquet", "scalar",
    "table_exists", "drop", "write_parquet",
)  # fmt: skip


def test_the_engine_is_used_by_one_thread_at_a_time(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, float, float, str]] = []

    def wrap(name: str) -> None:
        real = getattr(DuckDBEngine, name)

        def timed(self: DuckDBEngine, *a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real(self, *a, **k)
            finally:
                calls.append((threading.current_thread().name, t0, time.perf_counter(), name))

        monkeypatch.setattr(DuckDBEngine, name, timed)

    for name in ENGINE_CALLS:
        if hasattr(DuckDBEngine, name):
            wrap(name)
    prepared: list[str] = []
    real_prepare = publish.prepare_identities

    def prepare(engine: Any) -> None:
        prepared.append(threading.current_thread().name)
        time.sleep(0.2)  # still selecting while the store is written
        real_prepare(engine)

    monkeypatch.setattr(publish, "prepare_identities", prepare)
    out = run_steps(PEOPLE, "identity", "unify", "publish_customers")["publish_customers"]
    assert out["customers_written"] == 3
    assert out["identities_written"] == len(_identities()) > 0
    assert len(prepared) == 1
    assert prepared[0] != threading.main_thread().name
    spans = sorted((t0, t1, who) for who, t0, t1, _ in calls)
    for (_, end, who), (start, _, other) in zip(spans, spans[1:], strict=False):
        assert start >= end or who == other, "the engine was used by two threads at once"


def test_a_failure_beside_the_store_fails_the_step(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(engine: Any) -> None:
        raise RuntimeError("identities could not be selected")

    monkeypatch.setattr(publish, "prepare_identities", broken)
    with pytest.raises(RuntimeError, match="identities could not be selected"):
        run_steps(PEOPLE, "identity", "unify", "publish_customers")
