"""Sales = visitors × conversion × ticket, and a change of sales split exactly into the three.

With V visitors, C = orders / V and T = sales / orders, sales S = V·C·T. The change
S1 − S0 is split into a traffic, a conversion and a ticket effect that add up to it exactly,
to the fen:

- ``shapley`` (default): each factor's effect is its marginal contribution averaged over the
  six orders in which the factors can change (for three factors: Δx·[(y0z0 + y1z1)/3 +
  (y1z0 + y0z1)/6]). Computed in exact rational arithmetic; works with zeros (a store that
  sold nothing in one period).
- ``lmdi``: the log-mean Divisia index (LMDI-I), effect_x = L(S1, S0)·ln(x1/x0) with the
  logarithmic mean L(a, b) = (a − b)/(ln a − ln b); exact in real numbers, defined only when
  every factor is positive in both periods (otherwise it falls back to ``shapley``).

The real-valued effects are then rounded to whole fen by the largest-remainder rule (ties go to
traffic, then conversion, then ticket), so the three integers always sum to the change in fen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Method = Literal["shapley", "lmdi"]
FACTORS = ("traffic", "conversion", "ticket")


@dataclass(frozen=True)
class PeriodFigures:
    """One period's visitors, paying tickets and sales (fen)."""

    visitors: int
    orders: int
    sales_fen: int

    @property
    def decomposable(self) -> bool:
        """S = V·C·T holds: orders need visitors, and sales need orders."""
        return (self.visitors > 0 or self.orders == 0) and (self.orders > 0 or self.sales_fen == 0)

    def factors(self) -> tuple[Fraction, Fraction, Fraction]:
        v = Fraction(self.visitors)
        c = Fraction(self.orders, self.visitors) if self.visitors else Fraction(0)
        t = Fraction(self.sales_fen, self.orders) if self.orders else Fraction(0)
        return v, c, t


@dataclass(frozen=True)
class Decomposition:
    change_fen: int
    traffic_fen: int
    conversion_fen: int
    ticket_fen: int
    method: Method

    def effects(self) -> dict[str, int]:
        return {
            "traffic": self.traffic_fen,
            "conversion": self.conversion_fen,
            "ticket": self.ticket_fen,
        }


class NotDecomposable(ValueError):
    """A period's figures do not satisfy S = V·C·T (e.g. orders counted without visitors)."""


def _shapley(a: PeriodFigures, b: PeriodFigures) -> list[Fraction]:
    x0, y0, z0 = a.factors()
    x1, y1, z1 = b.factors()

    def eff(d: Fraction, p0: Fraction, p1: Fraction, q0: Fraction, q1: Fraction) -> Fraction:
        return d * ((p0 * q0 + p1 * q1) / 3 + (p1 * q0 + p0 * q1) / 6)

    return [
        eff(x1 - x0, y0, y1, z0, z1),
        eff(y1 - y0, x0, x1, z0, z1),
        eff(z1 - z0, x0, x1, y0, y1),
    ]


def _lmdi(a: PeriodFigures, b: PeriodFigures) -> list[float] | None:
    f0, f1 = a.factors(), b.factors()
    if any(x <= 0 for x in (*f0, *f1)):
        return None
    s0, s1 = a.sales_fen, b.sales_fen
    weight = float(s0) if s0 == s1 else (s1 - s0) / (math.log(s1) - math.log(s0))
    return [weight * math.log(float(x1) / float(x0)) for x0, x1 in zip(f0, f1, strict=True)]


def round_to_total(values: list[Fraction] | list[float], total: int) -> list[int]:
    """Whole numbers that sum to ``total``, each as close as possible to its value (the
    values' own rounding error is spread evenly first, then the largest remainders win)."""
    exact = [Fraction(v) for v in values]
    shift = (Fraction(total) - sum(exact, Fraction(0))) / len(exact)
    adjusted = [v + shift for v in exact]
    floors = [math.floor(v) for v in adjusted]
    left = total - sum(floors)
    order = sorted(range(len(adjusted)), key=lambda i: (-(adjusted[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def decompose(
    base: PeriodFigures, current: PeriodFigures, *, method: Method = "shapley"
) -> Decomposition:
    """Split ``current.sales_fen - base.sales_fen`` into traffic, conversion and ticket
    effects (whole fen, summing exactly to the change)."""
    for name, p in (("base", base), ("current", current)):
        if min(p.visitors, p.orders) < 0:
            raise NotDecomposable(f"{name}: negative visitors or orders")
        if not p.decomposable:
            raise NotDecomposable(
                f"{name}: {p.orders} orders with {p.visitors} visitors and "
                f"{p.sales_fen} fen of sales do not make sales = visitors × conversion × ticket"
            )
    change = current.sales_fen - base.sales_fen
    used: Method = method
    values: list[Fraction] | list[float] | None = None
    if method == "lmdi":
        values = _lmdi(base, current)
    if values is None:
        used = "shapley"
        values = _shapley(base, current)
    t, c, k = round_to_total(values, change)
    return Decomposition(change, t, c, k, used)
