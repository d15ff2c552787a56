"""``omniretail demo``: what ``make demo`` runs — a complete local instance from nothing.

init the stores → generate the demo world (once) → import every channel's export →
run the pipeline and publish (master data included: stores, channels, products, staff) →
create (or reset) the demo admin and a store manager of the busiest direct store → serve the
console.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy.orm import Session


def demo(
    scale: float = typer.Option(1.0, help="Demo world scale (1 = 100,000 people)."),
    seed: int = typer.Option(42, help="Random seed of the demo world."),
    world: Path | None = typer.Option(
        None, help="World folder (default $OMNIRETAIL_HOME/demo-world)."
    ),
    regenerate: bool = typer.Option(False, help="Generate the world again even if it exists."),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(int(os.environ.get("PORT", "8000")), help="Port (env PORT)."),
    serve: bool = typer.Option(True, help="Serve the console when ready."),
) -> None:
    """Build a demo instance and serve it (构建演示环境并启动控制台)."""
    from omniretail.cdp.ingest.service import import_world
    from omniretail.cli._operator import admin_job
    from omniretail.demo import generate_world
    from omniretail.platform import migrate, pipeline
    from omniretail.platform.auth import service as auth_service
    from omniretail.platform.config import get_settings
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine import open_engine, publish_snapshot

    admin_job("demo")  # builds and imports a whole chain: administrators only

    console = Console()
    settings = get_settings()
    settings.ensure_dirs()
    timings: list[tuple[str, float, float, float]] = []
    started = time.perf_counter()
    console.print(f"[bold]omniretail demo[/] — data directory {settings.home}")
    warm = _warm_sentiment_model()
    with _timed(timings, "migrate"):
        migrate.upgrade()

    world_dir = world or settings.home / "demo-world"
    if regenerate or not (world_dir / "world.json").exists():
        console.print(f"generating the demo world (scale {scale}, seed {seed}) into {world_dir} …")
        with _timed(timings, "generate the world"):
            generate_world(world_dir, scale=scale, seed=seed)
    else:
        console.print(f"using the existing demo world in {world_dir}")
        for line in _stale_world(world_dir / "world.json", settings.home, scale=scale, seed=seed):
            console.print(f"[yellow]{line}[/]")

    with session_scope() as session:
        _demo_tiers(session)
    console.print("importing every channel's export …")
    with _timed(timings, "import"), session_scope() as session:
        results = import_world(session, world=world_dir)
    console.print(f"  {len(results)} files imported or already present")

    engine = open_engine(settings=settings)
    try:
        ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
        _run_pipeline(console, ctx, timings, warm=warm)
    finally:
        engine.close()
    with _timed(timings, "publish the snapshot"):
        publish_snapshot(settings)

    console.print("building stock and fulfilment (rider service on loopback) …")
    with _timed(timings, "stock and fulfilment"):
        console.print(f"  {_operations(seed)}")
    console.print("shopping guides: relationships, transfers, three weeks of tasks …")
    with _timed(timings, "shopping guides"):
        console.print(f"  {_guides(seed, settings)}")
    console.print("customer service: conversations, tickets, an injected crisis …")
    with _timed(timings, "customer service"), session_scope() as session:
        from omniretail.demo import care as demo_care

        console.print(f"  {demo_care.build(session, seed=seed)}")
    console.print("community group-buying and WeCom communities …")
    with _timed(timings, "group buying and communities"), session_scope() as session:
        from omniretail.demo import community as demo_community
        from omniretail.demo import groupbuy as demo_groupbuy

        console.print(f"  {demo_groupbuy.build(session, seed=seed)}")
        console.print(f"  {demo_community.build(session, seed=seed)}")
    console.print("live sessions, their coupons and viewer exports …")
    with _timed(timings, "live commerce"):
        console.print(f"  {_live(seed)}")
    _print_timings(console, timings, time.perf_counter() - started, settings.home)

    password = secrets.token_urlsafe(12)
    with session_scope() as session:
        auth_service.ensure_user(
            session, username="admin", password=password, role="admin", display_name="演示管理员"
        )
        manager = _demo_store_manager(session)
    url = f"http://{host}:{port}/"
    login: dict[str, object] = {"url": url, "username": "admin", "password": password}
    console.print("\n[bold green]The demo is ready.[/] 演示环境已就绪。")
    console.print(
        f"  console 控制台: {url}\n  username 用户名: admin\n  password 密码:   {password}"
    )
    if manager is not None:
        login["store_manager"] = manager
        console.print(
            f"  store manager 店长 ({manager['store_code']} {manager['store_name']}): "
            f"{manager['username']} / {manager['password']}"
        )
    console.print(json.dumps(login, ensure_ascii=False))
    if serve:
        from omniretail.cli.core import serve as serve_cmd

        serve_cmd(host=host, port=port, workers=1)


def _stale_world(manifest: Path, home: Path, *, scale: float, seed: int) -> list[str]:
    """Warnings when the existing world is not the one asked for: another scale or seed, or
    made by another generator version (it then lacks what the newer generator adds)."""
    from omniretail.demo.world import GENERATOR_VERSION

    try:
        made = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [f"cannot read {manifest}; run with --regenerate (无法读取，请加 --regenerate)"]
    out = []
    asked = {"version": GENERATOR_VERSION, "scale": scale, "seed": seed}
    for key, want in asked.items():
        have = made.get(key)
        if str(have) != str(want) and not (key == "scale" and _same_number(have, want)):
            out.append(
                f"the existing world has {key} {have}, not {want} "
                f"(现有演示世界的 {key} 为 {have}，不是 {want})"
            )
    if out:
        out.append(
            f"it is used as it is; to build the asked world, remove {home} and run the demo "
            f"again (仍使用现有世界；如需重建，请删除 {home} 后重新运行)"
        )
    return out


def _same_number(a: object, b: object) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-12  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


# The usual share of each step in a demo build (seconds at scale 1 on 2 cores, rounded): the
# progress bar's estimate until this instance has run the pipeline once (then its own times).
TYPICAL_SECONDS = {
    "standardize": 25, "omnichannel.master": 2, "identity": 30, "unify": 12,
    "insight.features": 10, "insight.tags": 6, "insight.kpis": 6, "insight.basket": 5,
    "customer_scores": 15, "recommendations": 60, "insight.forecast": 15,
    "publish_customers": 15, "loyalty.opening_balances": 2,
}  # fmt: skip


@contextlib.contextmanager
def _timed(timings: list[tuple[str, float, float, float]], name: str) -> Iterator[None]:
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        timings.append((name, time.perf_counter() - t0, time.process_time() - c0, _peak_rss_mb()))


def _peak_rss_mb() -> float:
    """This process's peak resident set so far, in MB (0 where the platform does not say): the
    step after which it rises is the step that set the demo build's peak."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _weights(settings: Any, steps: list[Any]) -> dict[str, float]:
    """Expected seconds per step: this instance's last run, else the typical ones."""
    from omniretail.platform.pipeline import RunLog

    last = RunLog.read(settings.analytics_dir / "pipeline_run.json") or {}
    seen = {s["name"]: float(s["seconds"]) for s in last.get("steps", []) if s.get("seconds")}
    return {s.name: max(seen.get(s.name, TYPICAL_SECONDS.get(s.name, 3)), 0.5) for s in steps}


def _warm_sentiment_model() -> subprocess.Popen[bytes] | None:
    """Train the review-sentiment model into the user cache in a background process, so its
    minute of one core overlaps generating and importing the world instead of following them
    in the ``insight.voice`` step; None when it is already cached."""
    from omniretail.insight.voice import sentiment

    if sentiment.model_cached():
        return None
    code = "from omniretail.insight.voice.sentiment import default_model; default_model()"
    return subprocess.Popen(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _run_pipeline(
    console: Console,
    ctx: Any,
    timings: list[tuple[str, float, float, float]],
    *,
    warm: subprocess.Popen[bytes] | None = None,
) -> None:
    """Every step with a progress bar (the step running, elapsed, an estimate of what is
    left from the steps' expected times) and the step's own messages above it. ``warm``: the
    background training of the sentiment model, waited for before the step that uses it (if
    it failed, the step trains or reports the problem itself)."""
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from omniretail.platform import pipeline
    from omniretail.platform.pipeline import RunLog

    steps = pipeline.discover()
    weights = _weights(ctx.settings, steps)
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]pipeline[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.fields[n]}"),
        TimeElapsedColumn(),
        TextColumn("left ≈"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("", total=sum(weights.values()), n="")
        ctx.log = lambda msg: bar.console.print(f"    {msg}")

        log = RunLog(ctx.settings.analytics_dir / "pipeline_run.json")
        for k, step in enumerate(steps):
            bar.update(task, description=step.name, n=f"{k + 1}/{len(steps)}")
            if step.name == "insight.voice" and warm is not None:
                warm.wait()
            c0 = time.process_time()
            pipeline.run(ctx, only=[step.name])
            cpu = time.process_time() - c0
            out = ctx.results.get(step.name, {})
            bar.advance(task, weights[step.name])
            timings.append((f"  {step.name}", float(out.get("seconds", 0.0)), cpu, _peak_rss_mb()))
        log.begin([s.name for s in steps], engine=ctx.engine.name, full_refresh=True)
        for step in steps:
            log.done(step.name, ctx.results.get(step.name, {}))
        log.end()


def _print_timings(
    console: Console, timings: list[tuple[str, float, float, float]], total: float, home: Path
) -> None:
    """Per-phase and per-step seconds (wall clock, and CPU of this process's threads: the
    steadier figure on a busy machine), also kept in ``$OMNIRETAIL_HOME/demo-timings.json``."""
    from rich.table import Table

    table = Table(title="demo build timings 各步骤耗时", show_edge=False)
    table.add_column("phase / step 阶段 / 步骤")
    table.add_column("seconds 秒", justify="right")
    table.add_column("share 占比", justify="right")
    table.add_column("CPU 秒", justify="right")
    table.add_column("peak MB 内存峰值", justify="right")
    for name, seconds, cpu, peak in timings:
        share = f"{seconds / total:.0%}" if total else ""
        table.add_row(name, f"{seconds:.1f}", share, f"{cpu:.1f}", f"{peak:,.0f}")
    table.add_row(
        "[bold]total 合计[/]",
        f"[bold]{total:.1f}[/]",
        "",
        f"{time.process_time():.1f}",
        f"{_peak_rss_mb():,.0f}",
    )
    console.print(table)
    (home / "demo-timings.json").write_text(
        json.dumps(
            {
                "total": round(total, 1),
                "cpu": round(time.process_time(), 1),
                "peak_rss_mb": round(_peak_rss_mb()),
                # name, wall s, CPU s, the process's peak RSS (MB) when the phase or step ended
                "timings": [
                    [n.strip(), round(s, 2), round(c, 2), round(m)] for n, s, c, m in timings
                ],
            }
        ),
        encoding="utf-8",
    )


def _operations(seed: int) -> dict[str, int]:
    """Stock levels and movements, online orders in every fulfilment mode, returns; the
    simulated rider service runs on loopback for this process (the console's deliveries)."""
    from omniretail.demo import operations
    from omniretail.omnichannel.fulfillment import rider
    from omniretail.platform.db import session_scope

    url = os.environ.get("OMNIRETAIL_RIDER_URL")
    if not url:
        url = _RIDER.enter_context(rider.running())
        os.environ["OMNIRETAIL_RIDER_URL"] = url
    with session_scope() as session:
        return operations.build(session, seed=seed, rider_url=url)


def _guides(seed: int, settings: Any) -> dict[str, Any]:
    """Clerks bound to the customers they served, transfers and tasks; then the attribution
    step runs again on the new relationships and the snapshot is published."""
    from omniretail.demo import guides
    from omniretail.platform import pipeline
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine import open_engine, publish_snapshot, published_engine

    snapshot = published_engine(settings)
    try:
        with session_scope() as session:
            out = guides.build(session, snapshot, seed=seed)
    finally:
        snapshot.close()
    engine = open_engine(settings=settings)
    try:
        pipeline.run(pipeline.PipelineContext(engine=engine, settings=settings),
                     only=["operations.guide"])  # fmt: skip
    finally:
        engine.close()
    publish_snapshot(settings)
    return out


def _live(seed: int) -> dict[str, int]:
    from omniretail.demo import live
    from omniretail.platform.db import session_scope

    with session_scope() as session:
        return live.build(session, seed=seed)


_RIDER = contextlib.ExitStack()  # the rider service lives as long as the demo process


DEMO_TIERS = (  # the POS member export's 会员等级, so its cards' tiers open in the ledger
    ("normal", "普卡", "Standard", 0, 0, "1"),
    ("silver", "银卡", "Silver", 1, 1000, "1.2"),
    ("gold", "金卡", "Gold", 2, 3000, "1.5"),
    ("diamond", "钻石卡", "Diamond", 3, 8000, "2"),
)


def _demo_tiers(session: Session) -> None:
    """The demo chain's member tiers (once; a tier already there is left as it is)."""
    from omniretail.marketing.loyalty import service as loyalty_service
    from omniretail.marketing.loyalty.schemas import TierCreate

    have = {t.code for t in loyalty_service.tiers(session)}
    ranks = {t.rank for t in loyalty_service.tiers(session)}
    for code, name, name_en, rank, points, mult in DEMO_TIERS:
        if code in have or rank in ranks:
            continue
        loyalty_service.create_tier(
            session,
            data=TierCreate.model_validate(
                {"code": code, "name": name, "name_en": name_en, "rank": rank,
                 "min_points": points, "earn_multiplier": mult}
            ),
        )  # fmt: skip


def _demo_store_manager(session: Session) -> dict[str, str] | None:
    """A store manager of the direct store with the most customers (``manager``), so the
    store-scoped console can be tried at once; None when no store has customers."""
    from omniretail.cdp.profile import service as profile_service
    from omniretail.omnichannel.staff import service as staff_service
    from omniretail.omnichannel.store import service as store_service
    from omniretail.platform.auth import service as auth_service

    per_store = profile_service.customers_by_home_store(session)
    codes = {i: c for c, i in store_service.store_ids_by_code(session).items()}
    direct = {s.code for s in store_service.list_stores(session, kind="direct")}
    ranked = sorted(
        ((n, -sid) for sid, n in per_store.items() if codes.get(sid) in direct), reverse=True
    )
    if not ranked:
        return None
    store_id = -ranked[0][1]
    store = store_service.get_store(session, code=codes[store_id])
    managers = staff_service.list_staff(session, store_code=store.code, role="manager")
    password = secrets.token_urlsafe(12)
    auth_service.ensure_user(
        session,
        username="manager",
        password=password,
        role="store_manager",
        display_name=managers[0].name if managers else f"{store.name}店长",
        store_ids=[store_id],
    )
    return {
        "username": "manager",
        "password": password,
        "store_code": store.code,
        "store_name": store.name,
    }


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
