"""What a live session (直播) or content piece brought: the attribution rule.

A *touch* is something a customer did that may come from a session: an order (online or in a
store), a coupon claim, a coupon redemption, a new membership, a store visit. It carries the
evidence it was seen with — a code (口令 / 直播间专属码, typed or scanned), a link parameter
(the session's tracked link, e.g. ``live_id=…``), a coupon of one of the session's batches.

The rule (docs/live.md), deterministic and replayable — the same sessions and touches, in any
order, give the same answer, and every touch goes to at most one session:

1. **Window.** A session can only claim touches from its start to ``window`` after its end
   (default 7 days; coupon redemptions: ``coupon_window``, default 30 days, since a coupon pushed
   in a stream is used later in a store). A session *without an end* claims nothing and is
   flagged ``no_end`` (its window is unknown); so is a session that ends before it starts
   (``end_before_start``).
2. **Evidence.** Only evidence that names the session counts: its code, its link parameter,
   a coupon of its batch. Being online at the same time proves nothing.
3. **Overlaps.** When several sessions claim a touch, the strongest evidence wins (code >
   link parameter > coupon batch: a code is typed by the customer, a link may be forwarded, a
   coupon batch may be pushed in several streams); then the session that started last at or
   before the touch (the last touch before the action); then the smaller session id.
4. **Landing, then an order.** A *landing* (a customer arriving from a session: a page or
   product view, a link click or a store visit carrying its code or link) goes to a session by
   rules 1-3. An order that no session claims by its own evidence goes to the session of the
   same customer's **last landing** at or before it, within ``landing_window`` (default 7
   days; configurable) — last touch wins; landings at the same instant: the smaller session
   id. Its evidence is ``landing``. An order's own evidence always beats a landing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

TouchKind = Literal[
    "order", "coupon_claim", "coupon_redemption", "new_member", "store_visit", "landing"
]
Evidence = Literal["code", "link", "coupon_batch", "landing"]
STRENGTH: dict[str, int] = {"code": 3, "link": 2, "coupon_batch": 1}
WINDOW = timedelta(days=7)
COUPON_WINDOW = timedelta(days=30)
LANDING_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Session:
    session_id: str
    platform: str  # douyin, kuaishou, channels (视频号), xiaohongshu, taobao …
    account: str
    start: datetime
    end: datetime | None
    codes: frozenset[str] = frozenset()
    link_params: frozenset[str] = frozenset()
    coupon_batches: frozenset[str] = frozenset()

    def flag(self) -> str | None:
        """Why the session cannot claim anything, or None."""
        if self.end is None:
            return "no_end"
        if self.end < self.start:
            return "end_before_start"
        return None


@dataclass(frozen=True)
class Touch:
    kind: TouchKind
    ref: str  # the order id, coupon code, member id … (unique per kind)
    at: datetime
    code: str | None = None
    link_param: str | None = None
    coupon_batch: str | None = None
    amount_fen: int = 0  # orders: paid amount
    online: bool = True  # orders and redemptions: online or in a store
    store_code: str | None = None
    customer_id: str | None = None  # who (a landing and a later order of the same customer)


@dataclass(frozen=True)
class Attribution:
    kind: TouchKind
    ref: str
    session_id: str
    evidence: Evidence


@dataclass
class Rule:
    window: timedelta = WINDOW
    coupon_window: timedelta = COUPON_WINDOW
    landing_window: timedelta = LANDING_WINDOW  # a landing → the same customer's later order
    flags: dict[str, str] = field(default_factory=dict)  # session id → flag (filled by run)

    def _evidence(self, s: Session, t: Touch) -> Evidence | None:
        if t.code is not None and t.code in s.codes:
            return "code"
        if t.link_param is not None and t.link_param in s.link_params:
            return "link"
        if t.coupon_batch is not None and t.coupon_batch in s.coupon_batches:
            return "coupon_batch"
        return None

    def _in_window(self, s: Session, t: Touch) -> bool:
        assert s.end is not None
        width = self.coupon_window if t.kind == "coupon_redemption" else self.window
        return s.start <= t.at <= s.end + width

    def attribute(self, sessions: Iterable[Session], touches: Iterable[Touch]) -> list[Attribution]:
        """Every touch to at most one session (sorted by kind and ref)."""
        usable: list[Session] = []
        self.flags = {}
        for s in sorted(sessions, key=lambda s: s.session_id):
            reason = s.flag()
            if reason is None:
                usable.append(s)
            else:
                self.flags[s.session_id] = reason
        # sessions by the evidence that names them: ("code" | "link" | "batch", value)
        named: dict[tuple[str, str], list[Session]] = {}
        for s in usable:
            for kind, values in (
                ("code", s.codes),
                ("link", s.link_params),
                ("batch", s.coupon_batches),
            ):
                for v in values:
                    named.setdefault((kind, v), []).append(s)
        out: list[Attribution] = []
        unclaimed: list[Touch] = []  # orders no session claims by their own evidence
        merged = unique_touches(touches)
        touches_by_key: dict[tuple[str, str], Touch] = {(t.kind, t.ref): t for t in merged}
        for t in merged:
            candidates: dict[str, Session] = {}
            for kind, value in (
                ("code", t.code),
                ("link", t.link_param),
                ("batch", t.coupon_batch),
            ):
                if value is not None:
                    for s in named.get((kind, value), []):
                        candidates[s.session_id] = s
            best: tuple[int, datetime] | None = None
            chosen: tuple[Session, Evidence] | None = None
            for s in sorted(candidates.values(), key=lambda s: s.session_id):
                ev = self._evidence(s, t)
                if ev is None or not self._in_window(s, t):
                    continue
                # strongest evidence, then the latest start; on a tie the first (smaller) id
                rank = (STRENGTH[ev], s.start)
                if best is None or rank > best:
                    best, chosen = rank, (s, ev)
            if chosen is not None:
                out.append(Attribution(t.kind, t.ref, chosen[0].session_id, chosen[1]))
            elif t.kind == "order" and t.customer_id is not None:
                unclaimed.append(t)
        out += self._after_landing(out, touches_by_key, unclaimed)
        return sorted(out, key=lambda a: (a.kind, a.ref))

    def _after_landing(
        self,
        done: list[Attribution],
        touches_by_key: dict[tuple[str, str], Touch],
        orders: list[Touch],
    ) -> list[Attribution]:
        """Rule 4: each unclaimed order to the session of its customer's last landing before
        it within ``landing_window``."""
        landed: dict[str, list[tuple[datetime, str]]] = {}
        for a in done:
            if a.kind == "landing":
                lt = touches_by_key[(a.kind, a.ref)]
                if lt.customer_id is not None:
                    landed.setdefault(lt.customer_id, []).append((lt.at, a.session_id))
        out: list[Attribution] = []
        for t in orders:
            assert t.customer_id is not None
            best: tuple[datetime, str] | None = None
            for at, sid in landed.get(t.customer_id, []):
                if at <= t.at <= at + self.landing_window and (
                    best is None or at > best[0] or (at == best[0] and sid < best[1])
                ):
                    best = (at, sid)
            if best is not None:
                out.append(Attribution("order", t.ref, best[1], "landing"))
        return out


def unique_touches(touches: Iterable[Touch]) -> list[Touch]:
    """One touch per (kind, ref) — the same order seen twice counts once (an order paid with a
    live coupon and also reported by an event carrying the session's code): its earliest
    sighting, with the evidence of all its sightings merged (for each of code, link parameter
    and coupon batch the value of the earliest sighting carrying one) and the largest amount,
    and the first customer id, so that any order of input agrees."""
    seen: dict[tuple[str, str], list[Touch]] = {}
    for t in touches:
        seen.setdefault((t.kind, t.ref), []).append(t)
    out = []
    for k in sorted(seen):
        ts = sorted(seen[k], key=_order)
        first = ts[0]
        if len(ts) > 1:
            first = replace(
                first,
                code=next((t.code for t in ts if t.code is not None), None),
                link_param=next((t.link_param for t in ts if t.link_param is not None), None),
                coupon_batch=next((t.coupon_batch for t in ts if t.coupon_batch is not None),
                                  None),
                amount_fen=max(t.amount_fen for t in ts),
                customer_id=next((t.customer_id for t in ts if t.customer_id is not None),
                                 None),
            )  # fmt: skip
        out.append(first)
    return out


def _order(t: Touch) -> tuple[object, ...]:
    return (t.at, t.code or "", t.link_param or "", t.coupon_batch or "", t.amount_fen,
            t.online, t.store_code or "", t.customer_id or "")  # fmt: skip


@dataclass(frozen=True)
class SessionFigures:
    session_id: str
    flag: str | None
    viewers: int
    orders: int
    gmv_fen: int
    online_orders: int
    store_orders: int
    new_members: int
    coupons_claimed: int
    coupons_redeemed_in_store: int
    store_visits: int


def figures(
    sessions: Iterable[Session],
    touches: Iterable[Touch],
    *,
    viewers: dict[str, int] | None = None,
    rule: Rule | None = None,
) -> list[SessionFigures]:
    """Per session: viewers (the platform's export), orders and GMV online and in stores, new
    members, coupons claimed and redeemed in stores, store visits — by the rule above."""
    rule = rule or Rule()
    sessions = list(sessions)
    touches = unique_touches(touches)
    done = rule.attribute(sessions, touches)
    index = {(t.kind, t.ref): t for t in touches}
    acc: dict[str, dict[str, int]] = {s.session_id: {} for s in sessions}
    for a in done:
        t = index[(a.kind, a.ref)]
        d = acc[a.session_id]
        if t.kind == "order":
            d["orders"] = d.get("orders", 0) + 1
            d["gmv_fen"] = d.get("gmv_fen", 0) + t.amount_fen
            k = "online_orders" if t.online else "store_orders"
            d[k] = d.get(k, 0) + 1
        elif t.kind == "coupon_redemption" and not t.online:
            d["coupons_redeemed_in_store"] = d.get("coupons_redeemed_in_store", 0) + 1
        elif t.kind == "coupon_claim":
            d["coupons_claimed"] = d.get("coupons_claimed", 0) + 1
        elif t.kind == "new_member":
            d["new_members"] = d.get("new_members", 0) + 1
        elif t.kind == "store_visit":
            d["store_visits"] = d.get("store_visits", 0) + 1
    seen = viewers or {}
    return [
        SessionFigures(
            session_id=s.session_id,
            flag=rule.flags.get(s.session_id),
            viewers=seen.get(s.session_id, 0),
            orders=acc[s.session_id].get("orders", 0),
            gmv_fen=acc[s.session_id].get("gmv_fen", 0),
            online_orders=acc[s.session_id].get("online_orders", 0),
            store_orders=acc[s.session_id].get("store_orders", 0),
            new_members=acc[s.session_id].get("new_members", 0),
            coupons_claimed=acc[s.session_id].get("coupons_claimed", 0),
            coupons_redeemed_in_store=acc[s.session_id].get("coupons_redeemed_in_store", 0),
            store_visits=acc[s.session_id].get("store_visits", 0),
        )
        for s in sorted(sessions, key=lambda s: s.session_id)
    ]


@dataclass(frozen=True)
class Effect:
    """A session's incremental effect against a comparable baseline, with an interval.

    ``basis`` names the baseline (``matched_hours_platform``: the platform's channels' paid
    orders in the session's hours against the same hours of earlier weeks without a session of
    that platform; ``matched_hours_online``: all online orders, where no channel names the
    platform). The interval is a prediction interval: under "the session changed nothing" the
    session's hours are one more draw of the baseline weeks, so effect ± t(n−1) · sd ·
    √(1 + 1/n) covers the effect with probability ``level``. It is an estimate against
    history, not a randomised holdout."""

    basis: str
    observed_fen: int
    baseline_fen: float  # the mean of the matched windows
    effect_fen: float  # observed − baseline
    low_fen: float
    high_fen: float
    windows: int  # matched windows used
    level: float = 0.95


def incremental(
    observed_fen: int, baseline_fen: list[int], *, basis: str, level: float = 0.95
) -> Effect | None:
    """The effect of a session's hours against its matched windows (None under two)."""
    n = len(baseline_fen)
    if n < 2:
        return None
    from scipy.stats import t as student_t

    mean = sum(baseline_fen) / n
    sd = (sum((b - mean) ** 2 for b in baseline_fen) / (n - 1)) ** 0.5
    half = float(student_t.ppf((1 + level) / 2, n - 1)) * sd * (1 + 1 / n) ** 0.5
    effect = observed_fen - mean
    return Effect(basis, observed_fen, mean, effect, effect - half, effect + half, n, level)
