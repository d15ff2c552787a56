"""``generate_world``: build the demo chain in memory and write its exports and ground truth."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from omniretail.demo import (
    coupons,
    events,
    exports_offline,
    exports_platforms,
    exports_private,
    memberships,
    reviews,
    traffic,
)
from omniretail.demo.calendar import END, START
from omniretail.demo.catalog import CHANNELS, build_products, build_staff
from omniretail.demo.context import World
from omniretail.demo.geo import build_stores
from omniretail.demo.identities import build_sources
from omniretail.demo.orders import build_lines, build_orders
from omniretail.demo.people import build_people
from omniretail.demo.rand import stage_rng
from omniretail.demo.truth import write_truth
from omniretail.platform.errors import InvalidInput

GENERATOR_VERSION = "6"  # 6: every live session and note brings orders (5: live rooms)
PEOPLE_AT_SCALE_1 = 100_000
MAX_SCALE = 100.0
_OWNED_DIRS = ("exports", "truth", "mappings")

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class WorldSummary:
    out: Path
    scale: float
    seed: int
    start: str
    end: str
    counts: dict[str, int]
    files: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _platform_members(w: World) -> None:
    memberships.write_tmall_members(w)
    memberships.write_jd_members(w)
    memberships.write_douyin_members(w)
    memberships.write_meituan_members(w)
    memberships.write_eleme_members(w)


def _steps() -> list[tuple[str, float, Callable[[World], None]]]:
    return [
        ("master data", 0.01, exports_offline.write_master),
        ("POS", 0.12, exports_offline.write_pos),
        ("POS coupons", 0.01, coupons.write_pos_coupons),
        ("mini-program", 0.06, exports_private.write_miniprogram),
        ("app", 0.03, exports_private.write_app),
        ("official account", 0.01, exports_private.write_wechat_oa),
        ("official-account member cards", 0.01, memberships.write_oa_member_cards),
        ("WeCom", 0.02, exports_private.write_wecom),
        ("Tmall", 0.05, exports_platforms.write_tmall),
        ("JD", 0.04, exports_platforms.write_jd),
        ("Douyin", 0.03, exports_platforms.write_douyin),
        ("Kuaishou", 0.01, exports_platforms.write_kuaishou),
        ("Meituan", 0.03, exports_platforms.write_meituan),
        ("Ele.me", 0.02, exports_platforms.write_eleme),
        ("Dianping", 0.01, exports_offline.write_dianping),
        ("platform brand members", 0.02, _platform_members),
        ("group-buying", 0.03, exports_offline.write_groupbuy),
        ("corporate orders", 0.02, exports_offline.write_enterprise),
        ("gift cards", 0.02, exports_offline.write_giftcards),
        ("behaviour events", 0.15, events.write_events),
        ("reviews", 0.05, reviews.write_reviews),
        ("store traffic", 0.03, traffic.write_traffic),
        ("ground truth", 0.05, write_truth),
    ]


def generate_world(
    out: Path, *, scale: float = 1.0, seed: int = 42, progress: Progress | None = None
) -> WorldSummary:
    """Generate the demo world into ``out`` (exports/, truth/, mappings/, world.json).

    The same ``scale`` and ``seed`` give byte-identical files; scale 1 is 100,000 people."""
    if not (0 < scale <= MAX_SCALE) or not np.isfinite(scale):
        raise InvalidInput(f"scale must be in (0, {MAX_SCALE:g}], got {scale}", field="scale")
    n_people = round(PEOPLE_AT_SCALE_1 * scale)
    if n_people < 50:
        raise InvalidInput(f"scale {scale} gives fewer than 50 people", field="scale")
    if seed < 0:
        raise InvalidInput("seed must be a non-negative integer", field="seed")
    report = progress or (lambda _stage, _frac: None)
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for sub in _OWNED_DIRS:
        if (out / sub).exists():
            shutil.rmtree(out / sub)

    report("stores, products, staff", 0.0)
    stores = build_stores(stage_rng(seed, "stores"), scale)
    products = build_products(stage_rng(seed, "products"))
    staff = build_staff(stage_rng(seed, "staff"), stores)
    report("people and personas", 0.02)
    people = build_people(stage_rng(seed, "people"), n_people, stores)
    report("orders", 0.06)
    orders = build_orders(stage_rng(seed, "orders"), people, stores, staff)
    report("order lines", 0.12)
    lines = build_lines(stage_rng(seed, "lines"), orders, people, products)
    report("identities", 0.2)
    sources = build_sources(stage_rng(seed, "identities"), people, orders)
    world = World(out, scale, seed, stores, products, staff, people, orders, lines, sources)
    done = 0.25
    for name, weight, step in _steps():
        report(name, done)
        step(world)
        done += weight
    copy_mappings(out)
    counts = {
        "people": people.n,
        "stores": stores.num_rows,
        "skus": products.num_rows,
        "channels": len(CHANNELS),
        "staff": staff.num_rows,
        "orders": len(orders.person),
        "order_lines": len(lines.order),
        "identity_records": world.files.get("truth/identity_truth.parquet", 0),
        "events": world.files.get("exports/events/events.jsonl", 0),
        "reviews": world.files.get("exports/reviews/reviews.jsonl", 0),
    }
    meta = {
        "generator": "omniretail.demo",
        "version": GENERATOR_VERSION,
        "scale": scale,
        "seed": seed,
        "start": str(START),
        "end": str(END),
        "counts": counts,
        "files": dict(sorted(world.files.items())),
    }
    (out / "world.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
    report("done", 1.0)
    return WorldSummary(
        out=out,
        scale=scale,
        seed=seed,
        start=str(START),
        end=str(END),
        counts=counts,
        files=dict(sorted(world.files.items())),
        seconds=time.perf_counter() - started,
    )


def mappings_dir() -> Path:
    """Where the ingest engineer keeps the import mappings of the demo exports."""
    import omniretail

    return Path(omniretail.__file__).parent / "cdp" / "ingest" / "mappings" / "demo"


def copy_mappings(out: Path, src: Path | None = None) -> int:
    """Ship the ingest mappings written for the demo exports next to them, when present.
    Returns the number of files copied."""
    src = mappings_dir() if src is None else src
    if not src.is_dir():
        return 0
    copied = 0
    dest = out / "mappings"
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        if f.is_file():
            shutil.copyfile(f, dest / f.name)
            copied += 1
    return copied
