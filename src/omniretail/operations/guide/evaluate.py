"""Seed 004's claim, measured instead of repeated: conversion per contact of clerks' 1:1 tasks
vs an untargeted SMS blast to the same kind of members (``omniretail guide evaluate``).

- **Clerk arm**: every task a clerk sent (through WeCom or copied) — one contact at its
  ``closed_at``.
- **SMS arm**: the chain's untargeted SMS marketing messages (``sms``, purpose marketing, sent
  or delivered) to customers bound to a clerk (the same kind of members). When the data holds
  no such blast (the demo world), a *simulated* blast is drawn instead and labelled so: as many
  members as the clerks contacted, uniformly at random among the bound customers, each
  "contacted" on a day a clerk contacted someone — the contact an untargeted blast would make.
- **Conversion**: a paid order (any channel, the snapshot's unified ``orders``) within
  ``window_days`` (7) after the contact; contacts whose window runs past the last order in the
  data are left out (their outcome is not known yet).

Both rates get Wilson 95% intervals, their difference Newcombe's hybrid score interval (as the
campaign report), and the ratio a log-scale (Katz) 95% interval. On the demo world the orders
do not respond to contacts (the world's response model serves campaigns only), so the ratio
there measures the clerks' targeting, not the effect of a contact: the incremental sales against
each clerk's holdout (the 导购 page) are the causal figure.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign.stats import Z95, newcombe_interval, wilson_interval
from omniretail.operations.guide.models import GuideCustomer, GuideTask
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import require_tables
from omniretail.platform.messaging import service as messaging
from omniretail.platform.timezone import to_wall_clock


def _wall(t: datetime) -> datetime:
    return to_wall_clock(t if t.tzinfo else t.replace(tzinfo=UTC))


def _converted(
    engine: AnalyticsEngine, contacts: list[tuple[str, datetime]], window_days: int
) -> tuple[int, int, int]:
    """(contacts with a known outcome, converted contacts, distinct members)."""
    if not contacts:
        return 0, 0, 0
    engine.register_arrow_view(
        "guide_eval_contacts",
        pa.table({
            "customer_id": pa.array([c for c, _ in contacts], pa.string()),
            "at": pa.array([_wall(t) for _, t in contacts], pa.timestamp("us")),
        }),
    )  # fmt: skip
    row = engine.fetch_rows(
        f"""
        WITH last AS (SELECT max(ordered_at) AS t FROM orders),
        known AS (
          SELECT k.* FROM guide_eval_contacts k, last
          WHERE k.at + INTERVAL {int(window_days)} DAY <= last.t
        )
        SELECT count(*) AS n, count(DISTINCT customer_id) AS members,
               count(*) FILTER (WHERE EXISTS (
                 SELECT 1 FROM orders o
                 WHERE o.customer_id = known.customer_id AND o.status = 'paid'
                   AND o.ordered_at > known.at
                   AND o.ordered_at <= known.at + INTERVAL {int(window_days)} DAY)) AS converted
        FROM known
        """
    )[0]
    return int(row["n"]), int(row["converted"]), int(row["members"])


def _arm(n: int, conv: int, members: int) -> dict[str, Any]:
    if n == 0:
        return {"contacts": 0, "converted": 0, "members": members, "conversion": None,
                "ci_low": None, "ci_high": None}  # fmt: skip
    lo, hi = wilson_interval(conv, n)
    return {"contacts": n, "converted": conv, "members": members, "conversion": conv / n,
            "ci_low": lo, "ci_high": hi}  # fmt: skip


def evaluate(
    session: Session, engine: AnalyticsEngine, *, window_days: int = 7, seed: int = 4
) -> dict[str, Any]:
    require_tables(engine, "orders")
    clerk: list[tuple[str, datetime]] = [
        (str(c), t)
        for c, t in session.execute(
            select(GuideTask.customer_id, GuideTask.closed_at).where(
                GuideTask.status.in_(("sent", "done")),
                GuideTask.channel.in_(("wecom", "copy")),
                GuideTask.closed_at.is_not(None),
            )
        )
        if t is not None
    ]
    bound = sorted(session.scalars(select(GuideCustomer.customer_id)))
    bound_set = set(bound)
    sms = [
        (c, t) for c, t in messaging.marketing_contacts(session, channel="sms") if c in bound_set
    ]
    source = "messages"
    if not sms and clerk and bound:
        rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
        days = [t for _, t in clerk]
        sms = [(rng.choice(bound), rng.choice(days)) for _ in clerk]
        source = "simulated"
    c_n, c_conv, c_members = _converted(engine, clerk, window_days)
    s_n, s_conv, s_members = _converted(engine, sms, window_days)
    out: dict[str, Any] = {
        "window_days": window_days,
        "sms_source": source,
        "clerk_1to1": _arm(c_n, c_conv, c_members),
        "sms_blast": _arm(s_n, s_conv, s_members),
        "difference": None,
        "ratio": None,
    }
    if c_n and s_n:
        lo, hi = newcombe_interval(c_conv, c_n, s_conv, s_n)
        out["difference"] = {"value": c_conv / c_n - s_conv / s_n, "ci_low": lo, "ci_high": hi}
        if c_conv and s_conv:
            ratio = (c_conv / c_n) / (s_conv / s_n)
            se = math.sqrt(1 / c_conv - 1 / c_n + 1 / s_conv - 1 / s_n)
            out["ratio"] = {"value": ratio, "ci_low": ratio * math.exp(-Z95 * se),
                            "ci_high": ratio * math.exp(Z95 * se)}  # fmt: skip
    return out
