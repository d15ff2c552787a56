from __future__ import annotations

from decimal import Decimal as D

import pytest

from omniretail.marketing.coupon.rules import (
    PricedLine,
    allocate,
    check_rules,
    compute,
    line_in_scope,
    place_reason,
)


def line(sku: str, qty: int, price: str, *cats: str, promoted: bool = False) -> PricedLine:
    return PricedLine(sku, frozenset(cats), qty, D(price), D(price) * qty, promoted)


LINES = [line("COF1", 2, "30.00", "COFFEE", "BEV"), line("CAKE", 1, "45.50", "BAKERY")]


def run(kind: str, rules: dict, scope: dict | None = None, min_spend: str = "0", **kw):  # type: ignore[no-untyped-def]
    return compute(
        kind=kind,
        rules=rules,
        scope=scope or {},
        min_spend=D(min_spend),
        lines=kw.pop("lines", LINES),
        shipping_fee=D(kw.pop("shipping", "8")),
        **kw,
    )


def test_percent_off_with_cap_and_scope() -> None:
    out = run("percent_off", {"percent": "20"}, {"include": {"categories": ["BEV"]}})
    assert out.discount == D("12.00")
    assert out.allocations == {0: D("12.00")}
    capped = run("percent_off", {"percent": "20", "max_discount": "5"})
    assert capped.discount == D("5.00")
    assert sum(capped.allocations.values()) == D("5.00")


def test_amount_off_never_exceeds_covered_items() -> None:
    out = run("amount_off", {"amount": "100"}, {"include": {"skus": ["CAKE"]}})
    assert out.discount == D("45.50")


@pytest.mark.parametrize(
    ("subtotal_lines", "expected"),
    [
        ([line("A", 1, "99.99")], None),
        ([line("A", 1, "100")], D("10")),
        ([line("A", 1, "250")], D("40")),
    ],
)
def test_spend_save_tiers(subtotal_lines: list[PricedLine], expected: D | None) -> None:
    rules = {"tiers": [{"spend": "100", "save": "10"}, {"spend": "200", "save": "40"}]}
    out = run("spend_save", rules, lines=subtotal_lines)
    if expected is None:
        assert out.reason == "min_spend_not_met"
    else:
        assert out.discount == expected


def test_spend_save_repeat_every_threshold() -> None:
    rules = {"tiers": [{"spend": "100", "save": "15"}], "repeat": True, "max_discount": "40"}
    assert run("spend_save", rules, lines=[line("A", 1, "250")]).discount == D("30")
    assert run("spend_save", rules, lines=[line("A", 1, "900")]).discount == D("40")


def test_exchange_free_shipping_gift() -> None:
    assert run("exchange", {"sku": "CAKE"}).discount == D("45.50")
    assert run("exchange", {"sku": "NOPE"}).reason == "outside_scope"
    assert run("free_shipping", {}, shipping="12").shipping_off == D("12")
    gift = run("free_gift", {"gift_sku": "MUG", "gift_value": "20"})
    assert gift.gift_sku == "MUG"
    assert gift.discount == 0


def test_min_spend_counts_covered_items_only() -> None:
    out = run("amount_off", {"amount": "5"}, {"include": {"skus": ["COF1"]}}, min_spend="61")
    assert out.reason == "min_spend_not_met"


def test_exclusions_and_promotion_stacking() -> None:
    scope = {"exclude": {"categories": ["BAKERY"]}}
    assert not line_in_scope(scope, LINES[1])
    assert line_in_scope(scope, LINES[0])
    promo_only = [line("A", 1, "50", promoted=True)]
    out = run("amount_off", {"amount": "5"}, lines=promo_only, stack_with_promotions=False)
    assert out.reason == "not_stackable"


def test_place_rules() -> None:
    scope = {
        "include": {"channels": ["pos", "miniprogram"], "regions": ["EAST"]},
        "exclude": {"stores": ["S9"]},
    }
    kw = {"store_code": "S1", "channel_code": "pos", "region_code": "EAST"}
    assert place_reason(scope, **kw) is None
    assert place_reason(scope, **{**kw, "channel_code": "tmall"}) == "wrong_channel"
    assert place_reason(scope, **{**kw, "store_code": "S9"}) == "wrong_store"
    assert place_reason(scope, **{**kw, "region_code": "WEST"}) == "wrong_region"


def test_allocate_sums_exactly_and_respects_weights() -> None:
    parts = allocate(D("10.00"), {0: D("33.33"), 1: D("33.33"), 2: D("33.34")})
    assert sum(parts.values()) == D("10.00")
    assert all(v <= D("3.34") for v in parts.values())


@pytest.mark.parametrize(
    ("kind", "rules", "msg"),
    [
        ("percent_off", {"percent": "150"}, "between 0 and 100"),
        ("percent_off", {}, "rules.percent is required"),
        ("spend_save", {"tiers": [{"spend": "10", "save": "20"}]}, "spend > save"),
        ("exchange", {}, "rules.sku"),
        ("bogus", {}, "kind must be"),
        ("amount_off", {"amount": "abc"}, "numbers expected"),
    ],
)
def test_bad_rules_are_named(kind: str, rules: dict, msg: str) -> None:  # type: ignore[type-arg]
    problem = check_rules(kind, rules)
    assert problem is not None
    assert msg in problem
