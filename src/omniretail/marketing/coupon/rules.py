"""Pure coupon rules: scope matching and the discount of each kind (no database here)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
KINDS = ("percent_off", "amount_off", "spend_save", "free_gift", "free_shipping", "exchange")
SCOPE_KEYS = ("categories", "skus", "stores", "regions", "channels")


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class PricedLine:
    """A basket line as it stands when a coupon is considered (after promotions)."""

    sku: str
    category_codes: frozenset[str]
    quantity: int
    unit_price: Decimal
    net: Decimal  # amount still payable on the line
    promoted: bool = False  # a promotion already discounted this line


@dataclass
class Outcome:
    discount: Decimal  # money off the basket
    allocations: dict[int, Decimal]  # line index -> part of the discount
    shipping_off: Decimal = Decimal("0")
    gift_sku: str | None = None
    gift_value: Decimal = Decimal("0")
    reason: str | None = None  # set when the coupon does not apply


def _listed(scope: dict[str, Any], part: str, key: str) -> list[str]:
    values = (scope.get(part) or {}).get(key) or []
    return [str(v) for v in values]


def place_reason(
    scope: dict[str, Any], *, store_code: str | None, channel_code: str, region_code: str | None
) -> str | None:
    """``wrong_store`` / ``wrong_channel`` / ``wrong_region`` or None when the place is allowed."""
    for key, value, reason in (
        ("channels", channel_code, "wrong_channel"),
        ("stores", store_code, "wrong_store"),
        ("regions", region_code, "wrong_region"),
    ):
        include, exclude = _listed(scope, "include", key), _listed(scope, "exclude", key)
        if include and value not in include:
            return reason
        if value is not None and value in exclude:
            return reason
    return None


def line_in_scope(scope: dict[str, Any], line: PricedLine) -> bool:
    skus_in, skus_out = _listed(scope, "include", "skus"), _listed(scope, "exclude", "skus")
    cats_in, cats_out = (
        _listed(scope, "include", "categories"),
        _listed(scope, "exclude", "categories"),
    )
    if line.sku in skus_out or line.category_codes.intersection(cats_out):
        return False
    if not skus_in and not cats_in:
        return True
    return line.sku in skus_in or bool(line.category_codes.intersection(cats_in))


def allocate(total: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split ``total`` over lines in proportion to ``weights``, in cents, summing exactly."""
    base = sum(weights.values(), Decimal("0"))
    if total <= 0 or base <= 0:
        return {}
    parts = {i: (total * w / base).quantize(CENT, rounding=ROUND_DOWN) for i, w in weights.items()}
    rest = total - sum(parts.values(), Decimal("0"))
    for i in sorted(weights, key=lambda k: weights[k], reverse=True):
        if rest <= 0:
            break
        step = min(CENT, rest)
        if parts[i] + step <= weights[i]:
            parts[i] += step
            rest -= step
    return {i: v for i, v in parts.items() if v > 0}


def spend_save_amount(rules: dict[str, Any], base: Decimal) -> Decimal:
    """满减: the best tier reached; ``repeat`` makes it 每满X减Y (capped by ``max_discount``)."""
    tiers = sorted(
        ((Decimal(str(t["spend"])), Decimal(str(t["save"]))) for t in rules.get("tiers", [])),
        reverse=True,
    )
    for spend, save in tiers:
        if base >= spend:
            if rules.get("repeat") and spend > 0:
                return save * int(base // spend)
            return save
    return Decimal("0")


def compute(
    *,
    kind: str,
    rules: dict[str, Any],
    scope: dict[str, Any],
    min_spend: Decimal,
    lines: list[PricedLine],
    shipping_fee: Decimal,
    stack_with_promotions: bool = True,
) -> Outcome:
    """The discount a coupon of this template gives on these lines, or the reason it gives none."""
    idx = [i for i, ln in enumerate(lines) if line_in_scope(scope, ln) and ln.net > 0]
    if not idx:
        return Outcome(Decimal("0"), {}, reason="outside_scope")
    if not stack_with_promotions:
        idx = [i for i in idx if not lines[i].promoted]
        if not idx:
            return Outcome(Decimal("0"), {}, reason="not_stackable")
    weights = {i: lines[i].net for i in idx}
    base = sum(weights.values(), Decimal("0"))
    if base < min_spend:
        return Outcome(Decimal("0"), {}, reason="min_spend_not_met")
    cap = Decimal(str(rules["max_discount"])) if rules.get("max_discount") is not None else None

    if kind == "percent_off":
        off = money(base * Decimal(str(rules["percent"])) / 100)
    elif kind == "amount_off":
        off = Decimal(str(rules["amount"]))
    elif kind == "spend_save":
        off = spend_save_amount(rules, base)
        if off <= 0:
            return Outcome(Decimal("0"), {}, reason="min_spend_not_met")
    elif kind == "exchange":
        sku = str(rules["sku"])
        hits = [i for i in idx if lines[i].sku == sku]
        if not hits:
            return Outcome(Decimal("0"), {}, reason="outside_scope")
        i = hits[0]
        off = min(lines[i].unit_price, lines[i].net)
        return Outcome(off, {i: off})
    elif kind == "free_shipping":
        ship = shipping_fee if cap is None else min(shipping_fee, cap)
        return Outcome(Decimal("0"), {}, shipping_off=money(ship))
    elif kind == "free_gift":
        value = Decimal(str(rules.get("gift_value", "0")))
        return Outcome(Decimal("0"), {}, gift_sku=str(rules["gift_sku"]), gift_value=value)
    else:  # pragma: no cover - templates are validated on creation
        raise ValueError(f"unknown coupon kind {kind!r}")
    if cap is not None:
        off = min(off, cap)
    off = min(money(off), base)
    return Outcome(off, allocate(off, weights))


def check_rules(kind: str, rules: dict[str, Any]) -> str | None:
    """A problem with a template's rules (named), or None."""
    need = {
        "percent_off": ["percent"],
        "amount_off": ["amount"],
        "spend_save": ["tiers"],
        "free_gift": ["gift_sku"],
        "free_shipping": [],
        "exchange": ["sku"],
    }
    if kind not in need:
        return f"kind must be one of {', '.join(KINDS)}"
    for key in need[kind]:
        if rules.get(key) in (None, "", []):
            return f"rules.{key} is required for a {kind} coupon"
    try:
        if kind == "percent_off" and not 0 < Decimal(str(rules["percent"])) < 100:
            return "rules.percent must be between 0 and 100 (15 means 15% off)"
        if kind == "amount_off" and Decimal(str(rules["amount"])) <= 0:
            return "rules.amount must be positive"
        if kind == "spend_save":
            for t in rules["tiers"]:
                if Decimal(str(t["save"])) <= 0 or Decimal(str(t["spend"])) <= Decimal(
                    str(t["save"])
                ):
                    return "rules.tiers: each tier needs spend > save > 0"
    except (KeyError, TypeError, ArithmeticError):
        return "rules: numbers expected (percent, amount, tiers[].spend/save)"
    return None
