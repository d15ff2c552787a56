"""The demo world's calendar: two years ending 2026-10-31, weekly and yearly seasonality and the
Chinese shopping festivals on their real dates (Spring Festival and Mid-Autumn follow the lunar
calendar)."""

from __future__ import annotations

import numpy as np

from omniretail.demo.rand import Arr

START = np.datetime64("2024-11-01", "D")
END = np.datetime64("2026-10-31", "D")
N_DAYS = int((END - START).astype(int)) + 1
DAYS = START + np.arange(N_DAYS).astype("timedelta64[D]")

# Real dates (lunar festivals from the Chinese calendar)
SPRING_FESTIVAL = ("2025-01-29", "2026-02-17")  # 春节 (正月初一)
MID_AUTUMN = ("2025-10-06", "2026-09-25")  # 中秋 (八月十五)
QIXI = ("2025-08-29", "2026-08-19")  # 七夕 (七月初七)
DOUBLE_11 = ("2024-11-11", "2025-11-11")
DOUBLE_12 = ("2024-12-12", "2025-12-12")
JUNE_18 = ("2025-06-18", "2026-06-18")
WOMENS_DAY = ("2025-03-08", "2026-03-08")
NATIONAL_DAY = ("2024-10-01", "2025-10-01", "2026-10-01")

# channel groups sharing a seasonality profile
GROUPS = ("offline", "private_online", "platform", "delivery", "enterprise")
CHANNEL_GROUP = {
    "pos": "offline",
    "groupbuy": "offline",
    "dianping": "offline",
    "miniprogram": "private_online",
    "app": "private_online",
    "tmall": "platform",
    "jd": "platform",
    "douyin": "platform",
    "kuaishou": "platform",
    "meituan": "delivery",
    "eleme": "delivery",
    "enterprise": "enterprise",
}
WEEKDAY = {  # Monday .. Sunday
    "offline": (0.85, 0.85, 0.9, 0.95, 1.1, 1.4, 1.35),
    "private_online": (1.0, 0.95, 0.95, 1.0, 1.05, 1.05, 1.1),
    "platform": (1.0, 0.95, 0.95, 0.95, 1.0, 1.05, 1.15),
    "delivery": (0.9, 0.9, 0.9, 0.95, 1.1, 1.3, 1.25),
    "enterprise": (1.3, 1.3, 1.3, 1.3, 1.2, 0.2, 0.1),
}
MONTH = np.array([1.15, 1.1, 0.95, 0.95, 0.95, 1.0, 0.9, 0.9, 1.0, 1.05, 1.1, 1.1])
# hour-of-day profile per group (24 values, relative)
HOURS = {
    "offline": (0, 0, 0, 0, 0, 0, 0.1, 0.4, 0.8, 1, 1.3, 1.6, 1.9, 1.5, 1.3, 1.4, 1.6, 1.9, 2.3,
                2.4,
                2.1, 1.4, 0.5, 0),
    "private_online": (0.5, 0.3, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.8, 1, 1.1, 1.2, 1.5, 1.3, 1.1, 1.1,
                       1.1, 1.2, 1.4, 1.7, 2.1, 2.4, 2.2, 1.2),
    "platform": (1.2, 0.6, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 0.9, 1, 1.1, 1.3, 1.2, 1.0, 1.0, 1.0,
                 1.1, 1.3, 1.7, 2.2, 2.6, 2.5, 1.9),
    "delivery": (0.6, 0.3, 0.1, 0, 0, 0, 0.1, 0.2, 0.4, 0.6, 0.9, 1.1, 1.2, 1.5, 2.2, 2.6, 2.0, 1.3,
                 1.2, 1.4, 1.8, 2.1, 1.9, 1.2),
    "enterprise": (0, 0, 0, 0, 0, 0, 0, 0, 0.5, 2, 2.5, 2, 0.8, 1, 2, 2.5, 2.2, 1.5, 0.4, 0, 0, 0,
                   0, 0),
}  # fmt: skip


def _idx(date: str) -> int:
    return int((np.datetime64(date, "D") - START).astype(int))


def _mult(w: Arr, center: str, lo: int, hi: int, factor: float) -> None:
    """Multiply days center+lo .. center+hi (inclusive) that fall in the world by ``factor``."""
    c = _idx(center)
    a, b = max(0, c + lo), min(N_DAYS - 1, c + hi)
    if a <= b:
        w[a : b + 1] *= factor


def _ramp(w: Arr, center: str, lo: int, hi: int, peak: float) -> None:
    """Multiply days center+lo .. center+hi by a factor rising linearly from 1 to ``peak``."""
    c = _idx(center)
    for k in range(lo, hi + 1):
        d = c + k
        if 0 <= d < N_DAYS:
            w[d] *= 1 + (peak - 1) * (k - lo + 1) / (hi - lo + 1)


def daily_weights(group: str) -> Arr:
    """Relative daily demand of a channel group over the world's days."""
    dow = (DAYS.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
    month = DAYS.astype("datetime64[M]").astype(int) % 12
    w = np.asarray(WEEKDAY[group], float)[dow] * MONTH[month]
    platform = group == "platform"
    online = group in ("platform", "private_online")
    for d in SPRING_FESTIVAL:  # 年货: gift boxes before, quiet during the holiday
        _ramp(w, d, -24, -2, {"enterprise": 4.0, "offline": 1.9}.get(group, 1.6))
        _mult(w, d, -1, 6, 0.35 if online else 0.6)
    for d in MID_AUTUMN:
        _ramp(w, d, -15, -1, {"enterprise": 4.0}.get(group, 1.5))
    for d in DOUBLE_11:  # presale window, then the peak day
        if online:
            _mult(w, d, -22, -1, 1.3)
        _mult(w, d, 0, 0, 9.0 if platform else 4.5 if online else 1.6)
    for d in DOUBLE_12:
        _mult(w, d, 0, 0, 2.5 if online else 1.2)
    for d in JUNE_18:
        if online:
            _mult(w, d, -17, -3, 1.25)
            _mult(w, d, -2, -1, 1.8)
        _mult(w, d, 0, 0, 5.0 if platform else 3.0 if online else 1.15)
    for d in QIXI:
        _mult(w, d, -1, 0, 1.5 if online else 1.2)
    for d in WOMENS_DAY:
        _mult(w, d, 0, 0, 1.8 if online else 1.2)
    for d in NATIONAL_DAY:
        _mult(w, d, 0, 6, 1.3 if group in ("offline", "delivery") else 1.0)
    return np.asarray(w)


def promo_days() -> Arr:
    """Boolean per day: a promotion is running (coupons are used more)."""
    w = np.zeros(N_DAYS, bool)
    for dates, lo, hi in (
        (DOUBLE_11, -10, 0),
        (DOUBLE_12, -1, 0),
        (JUNE_18, -17, 0),
        (SPRING_FESTIVAL, -20, -2),
        (MID_AUTUMN, -12, 0),
        (WOMENS_DAY, 0, 0),
    ):
        for d in dates:
            c = _idx(d)
            w[max(0, c + lo) : max(0, min(N_DAYS, c + hi + 1))] = True
    return w
