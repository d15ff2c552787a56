"""The demo world's true store demand: the generator's own process drawn again.

The demo world is one draw of a person-level process (``omniretail.demo``: who shops when,
in which store, which SKUs). Its *true* expected demand per store × SKU × day is the mean of
that process; we estimate it as the mean of ``draws`` further draws of the orders and lines of
the same people, stores and products (Monte Carlo; its own error shrinks as 1/√draws).
Only shelf demand counts: paid orders served from a store's stock (``store ≥ 0``, status
paid), without corporate orders (10–60× quantities, arranged ahead) and community group-buying
(collected first, then delivered to the pickup point): those are not taken off the shelf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omniretail.insight.forecast.methods import Array


@dataclass(frozen=True)
class StoreDemand:
    stores: int
    skus: int
    days: int
    realised: Array  # pairs × days: the world's own draw
    truth: Array  # pairs × days: mean of the further draws
    pair_store: Array
    pair_sku: Array


def _draw(world: tuple[object, ...], seed: int, n_stores: int, n_skus: int, days: int) -> Array:
    from omniretail.demo.catalog import CH
    from omniretail.demo.orders import build_lines, build_orders

    stores, products, staff, people = world
    o = build_orders(np.random.default_rng(seed), people, stores, staff)  # type: ignore[arg-type]
    lines = build_lines(np.random.default_rng(seed + 1), o, people, products)  # type: ignore[arg-type]
    order = np.asarray(lines.order)
    chan = o.channel[order]
    keep = (o.store[order] >= 0) & (o.status[order] == 0)
    keep &= (chan != CH["enterprise"]) & (chan != CH["groupbuy"])
    idx = (o.store[order][keep].astype(np.int64) * n_skus + np.asarray(lines.sku)[keep]) * days
    idx += o.day[order][keep]
    flat = np.bincount(idx, weights=np.asarray(lines.qty, dtype=np.float64)[keep],
                       minlength=n_stores * n_skus * days)  # fmt: skip
    out: Array = flat.reshape(n_stores * n_skus, days)
    return out


def store_demand(
    *, scale: float, seed: int = 42, draws: int = 10, min_weekly: float = 0.5
) -> StoreDemand:
    """Pairs whose true mean is at least ``min_weekly`` units a week."""
    from omniretail.demo.calendar import N_DAYS
    from omniretail.demo.catalog import build_products, build_staff
    from omniretail.demo.geo import build_stores
    from omniretail.demo.people import build_people
    from omniretail.demo.rand import stage_rng
    from omniretail.demo.world import PEOPLE_AT_SCALE_1

    stores = build_stores(stage_rng(seed, "stores"), scale)
    products = build_products(stage_rng(seed, "products"))
    staff = build_staff(stage_rng(seed, "staff"), stores)
    people = build_people(stage_rng(seed, "people"), round(PEOPLE_AT_SCALE_1 * scale), stores)
    world = (stores, products, staff, people)
    ns, nk = stores.num_rows, products.num_rows
    realised = _draw(world, seed * 1000 + 1, ns, nk, N_DAYS)
    truth = np.zeros_like(realised)
    for r in range(draws):
        truth += _draw(world, seed * 1000 + 101 + 2 * r, ns, nk, N_DAYS)
    truth /= draws
    keep = np.flatnonzero(truth.mean(axis=1) * 7 >= min_weekly)
    return StoreDemand(ns, nk, N_DAYS, realised[keep], truth[keep], keep // nk, keep % nk)
