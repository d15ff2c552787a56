"""The commission rules and ledger moves as pure functions (no database): what the service
writes is what these return, so the property tests run them over 100k orders in seconds.

Rules: ``rate`` is basis points of the line's net sales (amount − refunded), rounded half up
to the fen; ``fixed`` is fen per unit kept (quantity − refunded units). The rule of a line is
the first of: its category's rule, the leader's tier rule, the default rule. An order's
commission is the sum over its lines; a refund moves it by the difference between the rule on
the net sales after and before, so the entries of an order always add up to the rule applied
to its net sales, to the fen.

Buckets: ``pending`` (the group formed, not collected) → ``frozen`` (collected, inside the
after-sales window) → ``available`` → ``withdrawn``. A refund is a negative entry in the bucket
the order's commission is in; on ``available`` a shortfall (already withdrawn) is booked as an
explicit ``debt`` entry instead of a negative balance, and released commission repays debt
first. What the leader has earned is pending + frozen + available + withdrawn − debt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

BUCKETS: tuple[str, ...] = ("pending", "frozen", "available", "withdrawn", "debt")
BUCKET_ZH = {
    "pending": "待结算",
    "frozen": "售后冻结",
    "available": "可提现",
    "withdrawn": "已提现",
    "debt": "欠款",
}
ENTRY_ZH = {
    "accrue": "成团计提",
    "freeze": "取货冻结",
    "release": "售后期满解冻",
    "refund": "退款冲减",
    "withdraw": "提现",
    "debt": "欠款",
    "repay": "还款",
}
SCOPES = ("category", "tier", "default")


class CommissionShortfall(ValueError):
    """A withdrawal larger than the available commission."""

    def __init__(self, asked: int, available: int) -> None:
        super().__init__(f"withdrawal of {asked} fen, {available} fen available")
        self.asked, self.available = asked, available


@dataclass(frozen=True)
class Rule:
    scope: str  # category | tier | default
    key: str  # category code, tier, or "" for the default
    kind: str  # rate (basis points) | fixed (fen per unit)
    value: int


@dataclass(frozen=True)
class Move:
    kind: str  # accrue freeze release refund withdraw debt repay
    bucket: str
    amount: int  # signed fen


def pick_rule(rules: Sequence[Rule], *, category: str | None, tier: str) -> Rule | None:
    """The rule for a line: category, then the leader's tier, then the default."""
    by = {(r.scope, r.key): r for r in rules}
    return (
        (by.get(("category", category)) if category else None)
        or by.get(("tier", tier))
        or by.get(("default", ""))
    )


def line_commission(kind: str, value: int, *, amount_fen: int, quantity: int) -> int:
    """Commission on one line's net sales (``amount_fen``) or net units, in fen."""
    if amount_fen < 0 or quantity < 0:
        raise ValueError("net sales and units cannot be negative")
    if kind == "rate":
        return (amount_fen * value + 5_000) // 10_000
    if kind == "fixed":
        return value * quantity
    raise ValueError(f"unknown rule kind {kind!r}")


def order_commission(lines: Iterable[tuple[str, int, int, int]]) -> int:
    """Σ over (rule kind, rule value, net amount fen, net units) lines."""
    return sum(line_commission(k, v, amount_fen=a, quantity=q) for k, v, a, q in lines)


def apply(balances: Mapping[str, int], moves: Iterable[Move]) -> dict[str, int]:
    out = {b: int(balances.get(b, 0)) for b in BUCKETS}
    for m in moves:
        out[m.bucket] += m.amount
    return out


def earned(balances: Mapping[str, int]) -> int:
    return sum(balances.get(b, 0) for b in BUCKETS[:4]) - balances.get("debt", 0)


def accrue(amount: int) -> list[Move]:
    return [Move("accrue", "pending", amount)] if amount else []


def transfer(kind: str, frm: str, to: str, amount: int, balances: Mapping[str, int]) -> list[Move]:
    """Move ``amount`` between buckets; released into available, it repays debt first."""
    if amount == 0:
        return []
    moves = [Move(kind, frm, -amount), Move(kind, to, amount)]
    if to == "available":
        debt = balances.get("debt", 0)
        repay = min(debt, balances.get("available", 0) + amount)
        if repay > 0:
            moves += [Move("repay", "available", -repay), Move("repay", "debt", -repay)]
    return moves


def adjust(bucket: str, delta: int, balances: Mapping[str, int]) -> list[Move]:
    """An order's commission changes by ``delta`` (negative: a refund) where it sits. Available
    never goes below zero: the part already withdrawn becomes a debt entry."""
    if delta == 0:
        return []
    if bucket != "available" or delta > 0:
        return [Move("refund" if delta < 0 else "accrue", bucket, delta)]
    have = max(balances.get("available", 0), 0)
    take = min(have, -delta)
    moves = [Move("refund", "available", -take)] if take else []
    if -delta > take:
        moves.append(Move("debt", "debt", -delta - take))
    return moves


def withdraw(amount: int, balances: Mapping[str, int]) -> list[Move]:
    if amount <= 0:
        raise ValueError("a withdrawal is a positive amount")
    if amount > balances.get("available", 0):
        raise CommissionShortfall(amount, balances.get("available", 0))
    return [Move("withdraw", "available", -amount), Move("withdraw", "withdrawn", amount)]
