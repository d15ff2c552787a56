"""The job runner on SQLite and PostgreSQL: due jobs run once, outcomes are recorded, failures
do not stop the other jobs, and two runners never run the same job at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import sessionmaker

from omniretail.platform.jobs import JobContext, discover, job, registry
from omniretail.platform.jobs.errors import JobBusy, UnknownJob
from omniretail.platform.jobs.models import JobRun, JobState
from omniretail.platform.jobs.runner import request_run, run_due
from omniretail.platform.jobs.service import list_jobs, recent_runs

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def test_jobs() -> Iterator[dict[str, list[str]]]:
    """Three jobs declared for the test (and removed after): quick, slow, broken."""
    calls: dict[str, list[str]] = {"quick": [], "slow": [], "broken": []}
    lock = threading.Lock()

    @job("test.quick", every="10m", title="quick")
    def quick(ctx: JobContext) -> int:
        calls["quick"].append(ctx.now.isoformat())
        return 3

    @job("test.slow", every="1h", title="slow", lease=timedelta(minutes=5))
    def slow(ctx: JobContext) -> None:
        with lock:
            calls["slow"].append(ctx.name)
        time.sleep(1.0)

    @job("test.broken", every="1m", title="broken")
    def broken(ctx: JobContext) -> int:
        calls["broken"].append("x")
        ctx.session.add(
            JobRun(
                name="not-kept",
                runner="t",
                trigger="schedule",
                started_at=ctx.now,
                finished_at=ctx.now,
                duration_s=0,
                outcome="ok",
            )
        )
        raise RuntimeError("the provider said no")

    yield calls
    for name in ("test.quick", "test.slow", "test.broken"):
        registry._JOBS.pop(name, None)


def _factory(engine: Engine) -> sessionmaker:  # type: ignore[type-arg]
    return sessionmaker(bind=engine, expire_on_commit=False)


def test_every_timed_job_of_the_domains_is_declared() -> None:
    names = {j.name for j in discover()}
    assert {
        "coupon.expire",
        "messaging.dispatch",
        "campaign.run_due",
        "promotion.team_buy_close",
        "loyalty.points_expire",
    } <= names


def test_due_job_runs_once_then_at_its_next_time(store_engine: Engine, test_jobs) -> None:
    f = _factory(store_engine)
    r = run_due(f, now=T0, only=["test.quick"])
    assert [(o.name, o.outcome, o.count, o.trigger) for o in r.ran] == [
        ("test.quick", "ok", 3, "schedule")
    ]
    assert run_due(f, now=T0 + timedelta(minutes=9), only=["test.quick"]).ran == []
    assert len(run_due(f, now=T0 + timedelta(minutes=10), only=["test.quick"]).ran) == 1
    assert len(test_jobs["quick"]) == 2
    with f() as s:
        st = s.get(JobState, "test.quick")
        assert st is not None
        assert st.runs == 2
        assert st.failures == 0
        assert st.last_outcome == "ok"
        assert st.last_count == 3
        assert st.lease_owner is None
        assert st.next_run_at.replace(tzinfo=UTC) == T0 + timedelta(minutes=20)
        status = {j.name: j for j in list_jobs(s, now=T0 + timedelta(minutes=11))}["test.quick"]
        assert status.last_started_at == T0 + timedelta(minutes=10)
        assert status.last_duration_s is not None
        assert not status.running
        assert [run.count for run in recent_runs(s, name="test.quick")] == [3, 3]


def test_a_failing_job_is_recorded_and_the_others_still_run(
    store_engine: Engine, test_jobs
) -> None:
    f = _factory(store_engine)
    r = run_due(f, now=T0, only=["test.broken", "test.quick"])
    by = {o.name: o for o in r.ran}
    assert by["test.quick"].outcome == "ok"
    assert by["test.broken"].outcome == "failed"
    assert "RuntimeError: the provider said no" in (by["test.broken"].error or "")
    assert [o.name for o in r.failed] == ["test.broken"]
    run_due(f, now=T0 + timedelta(minutes=1), only=["test.broken"])
    with f() as s:
        st = s.get(JobState, "test.broken")
        assert st is not None
        assert (st.runs, st.failures, st.consecutive_failures) == (2, 2, 2)
        assert "the provider said no" in (st.last_error or "")
        # the failed job's own writes were rolled back
        assert s.scalar(select(JobRun.id).where(JobRun.name == "not-kept")) is None


def test_two_runners_claiming_the_same_due_job_run_it_exactly_once(
    store_engine: Engine, test_jobs
) -> None:
    f = _factory(store_engine)
    barrier = threading.Barrier(2)
    results = []

    def tick(who: str) -> None:
        barrier.wait()
        results.append(run_due(f, now=T0, only=["test.slow"], runner=who))

    threads = [threading.Thread(target=tick, args=(w,)) for w in ("host-a", "host-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(test_jobs["slow"]) == 1
    ran = [r for r in results if r.ran]
    assert len(ran) == 1
    with f() as s:
        runs = list(s.scalars(select(JobRun).where(JobRun.name == "test.slow")))
        assert [r.runner for r in runs] == [ran[0].runner]


def test_a_dead_runners_lease_expires(store_engine: Engine, test_jobs) -> None:
    f = _factory(store_engine)
    run_due(f, now=T0, only=["test.quick"])
    with f() as s:  # a runner claimed it and died
        s.execute(
            update(JobState)
            .where(JobState.name == "test.quick")
            .values(lease_owner="dead", lease_until=T0 + timedelta(minutes=70))
        )
        s.commit()
    later = T0 + timedelta(minutes=30)
    r = run_due(f, now=later, only=["test.quick"])
    assert r.ran == []
    assert r.busy == ["test.quick"]
    with f() as s:
        assert {j.name: j for j in list_jobs(s, now=later)}["test.quick"].running_on == "dead"
    assert len(run_due(f, now=T0 + timedelta(minutes=71), only=["test.quick"]).ran) == 1


def test_run_now_runs_a_job_that_is_not_due(store_engine: Engine, test_jobs) -> None:
    f = _factory(store_engine)
    run_due(f, now=T0, only=["test.quick"])
    with f() as s:
        request_run(s, name="test.quick", actor="admin", now=T0 + timedelta(minutes=1))
        s.commit()
    r = run_due(f, now=T0 + timedelta(minutes=2), only=["test.quick"])
    assert [o.trigger for o in r.ran] == ["manual"]
    with f() as s:
        st = s.get(JobState, "test.quick")
        assert st is not None
        assert st.requested_at is None
        # the schedule is not moved by a manual run
        assert st.next_run_at.replace(tzinfo=UTC) == T0 + timedelta(minutes=10)
        with pytest.raises(UnknownJob):
            request_run(s, name="no.such", actor="admin")
        s.execute(
            update(JobState)
            .where(JobState.name == "test.quick")
            .values(lease_owner="x", lease_until=T0 + timedelta(hours=1))
        )
        with pytest.raises(JobBusy):
            request_run(s, name="test.quick", actor="admin", now=T0 + timedelta(minutes=3))


def test_forced_run_and_unknown_job(store_engine: Engine, test_jobs) -> None:
    f = _factory(store_engine)
    run_due(f, now=T0, only=["test.quick"])
    r = run_due(f, now=T0 + timedelta(minutes=1), only=["test.quick"], force=True)
    assert [o.trigger for o in r.ran] == ["manual"]
    with pytest.raises(UnknownJob) as err:
        run_due(f, only=["nope"])
    assert err.value.field == "name"


@pytest.mark.slow
def test_two_cli_processes_run_a_due_job_once(store_engine: Engine, home: Path) -> None:
    """Two ``omniretail jobs run-due`` processes started together: each due job runs once."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [
        sys.executable,
        "-m",
        "omniretail.cli.main",
        "jobs",
        "run-due",
        "--job",
        "coupon.expire",
        "--job",
        "promotion.team_buy_close",
        "--job",
        "loyalty.points_expire",
    ]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with _factory(store_engine)() as s:
        names = sorted(s.scalars(select(JobRun.name)))
    assert names == ["coupon.expire", "loyalty.points_expire", "promotion.team_buy_close"]


def test_cli_exit_status_is_non_zero_on_a_failure(store_engine: Engine, test_jobs) -> None:
    from typer.testing import CliRunner

    from omniretail.cli.main import app

    ok = CliRunner().invoke(app, ["jobs", "run-due", "--job", "test.quick"])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(app, ["jobs", "run-due", "--job", "test.broken"])
    assert bad.exit_code == 1
    assert "the provider said no" in bad.output
    listed = CliRunner().invoke(app, ["jobs", "list", "--json"])
    assert listed.exit_code == 0
    assert '"test.broken"' in listed.output
