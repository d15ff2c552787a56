"""``omniretail demo-world``: generate the demo world (演示世界) into a folder."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


def demo_world(
    scale: float = typer.Option(1.0, help="Size: 1 = 100,000 people, ~2M order lines."),
    seed: int = typer.Option(42, help="Random seed; the same seed and scale give the same files."),
    out: Path = typer.Option(
        Path("demo-world"), help="Output folder (exports/, truth/, world.json)."
    ),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Generate the demo snack-food chain: raw channel exports and ground truth (生成演示数据)."""
    from omniretail.demo import generate_world

    if quiet:
        summary = generate_world(out, scale=scale, seed=seed)
    else:
        with Progress(
            TextColumn("[bold]demo world[/bold] {task.description:<24}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("starting", total=1.0)

            def report(stage: str, done: float) -> None:
                bar.update(task, description=stage, completed=done)

            summary = generate_world(out, scale=scale, seed=seed, progress=report)
    typer.echo(
        json.dumps(
            {
                "out": str(summary.out),
                "scale": summary.scale,
                "seed": summary.seed,
                "start": summary.start,
                "end": summary.end,
                "counts": summary.counts,
                "seconds": round(summary.seconds, 1),
            },
            ensure_ascii=False,
        )
    )


def register(app: typer.Typer) -> None:
    app.command("demo-world")(demo_world)
