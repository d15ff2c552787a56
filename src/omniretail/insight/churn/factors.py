"""Churn risk factors in plain words (zh-CN first, English second)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

Phrase = Callable[[float], tuple[str, str]]


def _n(v: float) -> int:
    return round(v)


#: feature → (phrase when the value is high, phrase when it is low), each giving (zh, en)
PHRASES: dict[str, tuple[Phrase, Phrase]] = {
    "days_since_last_purchase": (
        lambda v: (f"近{_n(v)}天未购买", f"no purchase in {_n(v)} days"),
        lambda v: (f"{_n(v)}天前刚购买", f"bought {_n(v)} days ago"),
    ),
    "tenure_days": (
        lambda v: (f"老客户（{_n(v)}天）", f"long-standing customer ({_n(v)} days)"),
        lambda v: (f"新客户（首购{_n(v)}天）", f"new customer (first purchase {_n(v)} days ago)"),
    ),
    "purchase_days": (
        lambda v: (f"累计购买{_n(v)}次", f"{_n(v)} purchases in all"),
        lambda v: (f"累计仅购买{_n(v)}次", f"only {_n(v)} purchase(s) in all"),
    ),
    "orders_90d": (
        lambda v: (f"近90天{_n(v)}单", f"{_n(v)} orders in the last 90 days"),
        lambda v: (
            ("近90天无订单", "no orders in the last 90 days")
            if v < 0.5
            else (f"近90天仅{_n(v)}单", f"only {_n(v)} order(s) in the last 90 days")
        ),
    ),
    "orders_prev_90d": (
        lambda v: (
            f"此前90天曾有{_n(v)}单（购买减少）",
            f"{_n(v)} orders in the 90 days before (buying less)",
        ),
        lambda v: (f"此前90天仅{_n(v)}单", f"only {_n(v)} order(s) in the 90 days before"),
    ),
    "orders_365d": (
        lambda v: (f"近一年{_n(v)}单", f"{_n(v)} orders in the last year"),
        lambda v: (f"近一年仅{_n(v)}单", f"only {_n(v)} order(s) in the last year"),
    ),
    "spend_365d": (
        lambda v: (f"近一年消费¤{v:,.0f}", f"spent ¤{v:,.0f} in the last year"),
        lambda v: (f"近一年仅消费¤{v:,.0f}", f"spent only ¤{v:,.0f} in the last year"),
    ),
    "overdue_ratio": (
        lambda v: (
            ("已超出平时购买间隔10倍以上", "more than 10× past the usual time between purchases")
            if v > 10
            else (f"已超出平时购买间隔{v:.1f}倍", f"{v:.1f}× past the usual time between purchases")
        ),
        lambda v: ("仍在平时购买间隔内", "still within the usual time between purchases"),
    ),
    "channels_365d": (
        lambda v: (f"在{_n(v)}个渠道购买", f"buys in {_n(v)} channels"),
        lambda v: (f"只在{_n(v)}个渠道购买", f"buys in only {_n(v)} channel(s)"),
    ),
    "discount_share": (
        lambda v: (f"优惠占比高（{v:.0%}）", f"buys mostly on discount ({v:.0%})"),
        lambda v: (f"优惠占比低（{v:.0%}）", f"rarely uses discounts ({v:.0%})"),
    ),
    "events_30d": (
        lambda v: (f"近30天互动{_n(v)}次", f"{_n(v)} visits or clicks in 30 days"),
        lambda v: (
            ("近30天无到店或线上互动", "no store visit or online activity in 30 days")
            if v < 0.5
            else (f"近30天仅互动{_n(v)}次", f"only {_n(v)} visit(s) or click(s) in 30 days")
        ),
    ),
}


CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "GBP": "£", "USD": "$", "EUR": "€", "HKD": "HK$"}


def money_symbol(currency: str | None) -> str:
    """The sign written before amounts of ``currency`` (ISO code); the code itself if unknown."""
    code = (currency or "CNY").upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def describe(
    feature: str, value: float, *, high: bool, currency: str | None = "CNY"
) -> tuple[str, str]:
    """(zh, en) words for a feature whose value pushes churn risk up; money in ``currency``."""
    return _describe(feature, round(value, 3), high, money_symbol(currency))


@lru_cache(maxsize=65536)  # a million customers share far fewer distinct phrases
def _describe(feature: str, value: float, high: bool, symbol: str) -> tuple[str, str]:
    high_phrase, low_phrase = PHRASES[feature]
    zh, en = (high_phrase if high else low_phrase)(value)
    return zh.replace("¤", symbol), en.replace("¤", symbol)
