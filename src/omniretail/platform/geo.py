"""Place names and distances every domain shares.

- :func:`short_province`: ``广东省`` → ``广东``, ``广西壮族自治区`` → ``广西``:
  the chain's canonical province name (import cleaning) and the name on the ECharts China map;
- :func:`haversine_km`: the great-circle distance between two points (stores near a customer).
"""

from __future__ import annotations

import math

# longest first where one ends another (维吾尔自治区 before 自治区)
PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市")

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def short_province(name: str) -> str:
    """A province's name without its administrative suffix (kept when nothing would remain
    but one character, e.g. a bare ``省``)."""
    value = name.strip()
    for suffix in PROVINCE_SUFFIXES:
        if value.endswith(suffix) and len(value) > len(suffix) + 1:
            return value[: -len(suffix)]
    return value


def map_name(province: str) -> str:
    """The province's name on the ECharts China map (``short_province``)."""
    return short_province(province)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
