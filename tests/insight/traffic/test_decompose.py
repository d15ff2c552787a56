"""The sales decomposition adds up to the change exactly, to the fen (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omniretail.insight.traffic.decompose import (
    NotDecomposable,
    PeriodFigures,
    decompose,
    round_to_total,
)


@st.composite
def periods(draw: st.DrawFn) -> PeriodFigures:
    visitors = draw(st.integers(0, 2_000_000))
    orders = draw(st.integers(0, visitors)) if visitors else 0
    sales = draw(st.integers(1, 10_000_000_000)) if orders else 0
    return PeriodFigures(visitors, orders, sales)


@settings(max_examples=400, deadline=None)
@given(periods(), periods(), st.sampled_from(["shapley", "lmdi"]))
def test_effects_sum_to_the_change_to_the_fen(
    base: PeriodFigures, current: PeriodFigures, method: str
) -> None:
    d = decompose(base, current, method=method)  # type: ignore[arg-type]
    assert d.change_fen == current.sales_fen - base.sales_fen
    assert d.traffic_fen + d.conversion_fen + d.ticket_fen == d.change_fen
    assert all(isinstance(v, int) for v in d.effects().values())


@settings(max_examples=200, deadline=None)
@given(periods())
def test_a_factor_that_does_not_move_has_no_effect(base: PeriodFigures) -> None:
    if base.orders == 0:
        return
    # twice the visitors, same conversion and ticket: all of the change is traffic
    doubled = PeriodFigures(base.visitors * 2, base.orders * 2, base.sales_fen * 2)
    for method in ("shapley", "lmdi"):
        d = decompose(base, doubled, method=method)  # type: ignore[arg-type]
        assert d.effects() == {"traffic": base.sales_fen, "conversion": 0, "ticket": 0}
    # same visitors and tickets, a higher ticket: all of it is ticket
    dearer = PeriodFigures(base.visitors, base.orders, base.sales_fen + base.orders * 7)
    d = decompose(base, dearer)
    assert d.effects() == {"traffic": 0, "conversion": 0, "ticket": base.orders * 7}


def test_known_split() -> None:
    # 1,000 visitors, 200 tickets, 100 yuan each → 1,100 visitors, 198 tickets, 110 yuan
    base = PeriodFigures(1000, 200, 200 * 10_000)
    cur = PeriodFigures(1100, 198, 198 * 11_000)
    d = decompose(base, cur)
    assert d.change_fen == 178_000
    # by hand: traffic 100 × [(0.2·10000 + 0.18·11000)/3 + (0.18·10000 + 0.2·11000)/6]
    # = 199,333⅓; conversion −0.02 × [(1000·10000 + 1100·11000)/3 + 2·11,000,000/6]
    # = −220,666⅔; ticket 1000 × [(200 + 198)/3 + (220 + 180)/6] = 199,333⅓ — every
    # remainder is ⅓, the one fen left goes to traffic (ties: traffic, conversion, ticket)
    assert d.effects() == {"traffic": 199_334, "conversion": -220_667, "ticket": 199_333}
    lm = decompose(base, cur, method="lmdi")
    assert lm.method == "lmdi"
    assert sum(lm.effects().values()) == 178_000
    assert lm.traffic_fen > 0 > lm.conversion_fen
    assert lm.ticket_fen > 0


def test_zero_periods_fall_back_to_shapley() -> None:
    d = decompose(PeriodFigures(0, 0, 0), PeriodFigures(500, 50, 400_000), method="lmdi")
    assert d.method == "shapley"
    assert sum(d.effects().values()) == 400_000


def test_orders_without_visitors_are_refused() -> None:
    with pytest.raises(NotDecomposable, match="visitors"):
        decompose(PeriodFigures(0, 3, 3000), PeriodFigures(10, 3, 3000))


def test_round_to_total_keeps_the_total() -> None:
    assert round_to_total([0.4, 0.4, 0.2], 1) == [1, 0, 0]
    assert round_to_total([-0.5, -0.5, 0.0], -1) == [0, -1, 0]  # the tie rounds traffic up
