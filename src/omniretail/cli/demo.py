"""``omniretail demo``: what ``make demo`` runs — a complete local instance from nothing.

init the stores → generate the demo world (once) → import every channel's export →
run the pipeline and publish → create (or reset) the demo admin → serve the console.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import typer
from rich.console import Console


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

    password = secrets.token_urlsafe(12)
    with session_scope() as session:
        auth_service.ensure_user(
            session, username="admin", password=password, role="admin", display_name="演示管理员"
        )
    url = f"http://{host}:{port}/"
    login = {"url": url, "username": "admin", "password": password}
    console.print("\n[bold green]The demo is ready.[/] 演示环境已就绪。")
    console.print(
        f"  console 控制台: {url}\n  username 用户名: admin\n  password 密码:   {password}"
    )
    console.print(json.dumps(login, ensure_ascii=False))
    if serve:
        from omniretail.cli.core import serve as serve_cmd

        serve_cmd(host=host, port=port, workers=1)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
