"""Property tests (hypothesis state machine) of the points ledger against a reference model.

Any sequence of earns (some synced late), redeems, adjustments, partial returns, expiry runs,
clock moves and retries of earlier requests keeps: cached balance == sum(entries) ==
sum(bucket remaining) >= 0, each business event counted once, FIFO by expiry, and the balance
equal to the model's.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty import ledger
from omniretail.marketing.loyalty.errors import InsufficientPoints, PointsInvalid
from omniretail.platform.db import create_all, make_engine
from omniretail.platform.keys import idempotency_key

C = "C000000777"
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class ModelBucket:
    key: str
    expires: datetime
    left: int


@dataclass
class Order:
    order_id: str
    amount: Decimal
    points: int
    returned: Decimal = Decimal("0")
    due: int = 0


class LedgerMachine(RuleBasedStateMachine):
    orders = Bundle("orders")
    redemptions = Bundle("redemptions")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.engine = make_engine(f"sqlite:///{Path(self.tmp.name) / 'ledger.db'}")
        create_all(self.engine)
        self.s = Session(self.engine)
        self.now = START
        self.buckets: list[ModelBucket] = []
        self.n = 0

    def teardown(self) -> None:
        self.s.close()
        self.engine.dispose()
        self.tmp.cleanup()

    # --- the reference model -------------------------------------------------------------
    def _expire(self) -> None:
        for b in self.buckets:
            if b.expires <= self.now:
                b.left = 0

    def _take(self, points: int, first: str | None = None) -> int:
        order = sorted(
            (b for b in self.buckets if b.left > 0 and b.expires > self.now),
            key=lambda b: (b.key != first, b.expires, self.buckets.index(b)),
        )
        need = points
        for b in order:
            n = min(b.left, need)
            b.left -= n
            need -= n
        return points - need

    @property
    def model_balance(self) -> int:
        return sum(b.left for b in self.buckets)

    @property
    def usable(self) -> int:
        return sum(b.left for b in self.buckets if b.expires > self.now)

    # --- rules ----------------------------------------------------------------------------
    @initialize()
    def start(self) -> None:
        self.s.commit()

    @rule(
        target=orders,
        amount=st.decimals(min_value="0.01", max_value="999.99", places=2),
        lag_days=st.integers(0, 40),
    )
    def earn(self, amount: Decimal, lag_days: int) -> Order:
        self.n += 1
        at = self.now - timedelta(days=lag_days)  # offline orders arrive late
        _, entry, replayed = ledger.earn_points(
            self.s,
            customer_id=C,
            source="pos",
            order_id=f"O{self.n}",
            amount=amount,
            occurred_at=at,
            now=self.now,
        )
        self.s.commit()
        assert not replayed
        points = int(amount.to_integral_value(rounding=ROUND_DOWN))
        assert entry.points == points
        self.buckets.append(ModelBucket(f"e{entry.id}", at + timedelta(days=365), points))
        return Order(f"O{self.n}", amount, points)

    @rule(order=orders)
    def retry_earn(self, order: Order) -> None:
        _, _, replayed = ledger.earn_points(
            self.s,
            customer_id=C,
            source="pos",
            order_id=order.order_id,
            amount=order.amount,
            occurred_at=self.now,
            now=self.now,
        )
        self.s.commit()
        assert replayed

    @rule(target=redemptions, points=st.integers(1, 400))
    def redeem(self, points: int) -> tuple[str, int]:
        self.n += 1
        ref = f"R{self.n}"
        try:
            r = ledger.redeem_points(self.s, customer_id=C, points=points, ref=ref, now=self.now)
        except InsufficientPoints:
            self.s.rollback()  # nothing half-applied: not even the expiry it started with
            assert self.usable < points
            return (ref, 0)
        self.s.commit()
        self._expire()
        assert self._take(points) == points
        assert r.balance == self.model_balance
        return (ref, points)

    @rule(red=redemptions)
    def retry_redeem(self, red: tuple[str, int]) -> None:
        ref, points = red
        if points == 0:
            return
        r = ledger.redeem_points(self.s, customer_id=C, points=points, ref=ref, now=self.now)
        self.s.commit()
        assert r.replayed

    @rule(points=st.integers(-300, 300))
    def adjust(self, points: int) -> None:
        self.n += 1
        try:
            ledger.adjust_points(
                self.s, customer_id=C, points=points, ref=f"A{self.n}", note="test", now=self.now
            )
        except (InsufficientPoints, PointsInvalid):
            self.s.rollback()
            assert points == 0 or -points > self.usable
            return
        self.s.commit()
        if points > 0:
            entry_key = f"e{ledger._find(self.s, idempotency_key('adjust', f'A{self.n}')).id}"  # type: ignore[union-attr]
            self.buckets.append(ModelBucket(entry_key, self.now + timedelta(days=365), points))
        else:
            self._expire()
            assert self._take(-points) == -points

    @rule(order=orders, share=st.fractions(min_value=0, max_value=1))
    def partial_return(self, order: Order, share: object) -> None:
        left = order.amount - order.returned
        part = (left * Decimal(str(float(share)))).quantize(Decimal("0.01"), rounding=ROUND_DOWN)  # type: ignore[arg-type]
        if part <= 0:
            return
        self.n += 1
        r = ledger.reverse_earn(
            self.s,
            customer_id=C,
            source="pos",
            order_id=order.order_id,
            return_id=f"X{self.n}",
            returned_amount=part,
            now=self.now,
        )
        self.s.commit()
        order.returned += part
        target = int(
            (Decimal(order.points) * order.returned / order.amount).to_integral_value(
                rounding=ROUND_DOWN
            )
        )
        due = target - order.due
        order.due = target
        self._expire()
        earn_key = f"e{ledger._find(self.s, idempotency_key('earn', 'pos', order.order_id)).id}"  # type: ignore[union-attr]
        taken = self._take(due, first=earn_key)
        assert -r.points == taken
        assert r.shortfall == due - taken

    @rule(days=st.integers(1, 200))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)

    @rule()
    def expire_job(self) -> None:
        account = ledger.lock_account(self.s, C)
        ledger.expire_account(self.s, account, self.now)
        self.s.commit()
        self._expire()

    @rule(order=consumes(orders))
    def forget(self, order: Order) -> None:
        """Drop an order from the pool (keeps the bundle small)."""

    @invariant()
    def ledger_balances(self) -> None:
        account = ledger.lock_account(self.s, C)
        check = ledger.verify(self.s, account)
        left = {f"e{b.entry_id}": b.remaining for b in ledger.buckets(self.s, account.id)}
        self.s.rollback()
        assert left == {b.key: b.left for b in self.buckets if b.left > 0}  # FIFO, bucket by bucket
        assert check["ok"], check
        assert check["entries"] == self.model_balance
        assert check["entries"] >= 0


LedgerMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerProperties = LedgerMachine.TestCase
