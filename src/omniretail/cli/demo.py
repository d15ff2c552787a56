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
    from omniretail.demo import generate_world
    from omniretail.platform import migrate, pipeline
    from omniretail.platform.auth import service as auth_service
    from omniretail.platform.config import get_settings
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine import open_engine, publish_snapshot

    console = Console()
    settings = get_settings()
    settings.ensure_dirs()
    console.print(f"[bold]omniretail demo[/] — data directory {settings.home}")
    migrate.upgrade()

    world_dir = world or settings.home / "demo-world"
    if regenerate or not (world_dir / "world.json").exists():
        console.print(f"generating the demo world (scale {scale}, seed {seed}) into {world_dir} …")
        generate_world(world_dir, scale=scale, seed=seed)
    else:
        console.print(f"using the existing demo world in {world_dir}")

    with session_scope() as session:
        _demo_tiers(session)
    console.print("importing every channel's export …")
    with session_scope() as session:
        results = import_world(session, world=world_dir)
    console.print(f"  {len(results)} files imported or already present")

    console.print("running the pipeline …")
    engine = open_engine(settings=settings)
    try:
        ctx = pipeline.PipelineContext(
            engine=engine, settings=settings, full_refresh=True, log=console.print
        )
        steps = pipeline.discover()
        for i, step in enumerate(steps, 1):
            console.print(f"  [{i}/{len(steps)}] {step.name}")
            pipeline.run(ctx, only=[step.name])
    finally:
        engine.close()
    publish_snapshot(settings)

    console.print("building stock and fulfilment (rider service on loopback) …")
    console.print(f"  {_operations(seed)}")
    console.print("shopping guides: relationships, transfers, three weeks of tasks …")
    console.print(f"  {_guides(seed, settings)}")
    console.print("customer service: conversations, tickets, an injected crisis …")
    with session_scope() as session:
        from omniretail.demo import care as demo_care

        console.print(f"  {demo_care.build(session, seed=seed)}")
    console.print("community group-buying and WeCom communities …")
    with session_scope() as session:
        from omniretail.demo import community as demo_community
        from omniretail.demo import groupbuy as demo_groupbuy

        console.print(f"  {demo_groupbuy.build(session, seed=seed)}")
        console.print(f"  {demo_community.build(session, seed=seed)}")

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
