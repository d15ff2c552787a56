from __future__ import annotations

import pytest

from omniretail.cdp.quality.transforms import canonical_province
from omniretail.platform.geo import haversine_km, map_name, short_province


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("广东省", "广东"),
        ("内蒙古自治区", "内蒙古"),
        ("新疆维吾尔自治区", "新疆"),
        ("广西壮族自治区", "广西"),
        ("宁夏回族自治区", "宁夏"),
        ("香港特别行政区", "香港"),
        ("北京市", "北京"),
        ("北京", "北京"),
        (" 湖北省 ", "湖北"),
        ("省", "省"),
    ],
)
def test_province_names(raw: str, name: str) -> None:
    assert short_province(raw) == name
    assert map_name(raw) == name
    assert canonical_province(raw) == name  # import cleaning uses the same rule


def test_canonical_province_cleans_first() -> None:
    assert canonical_province("廣東省") == "广东"  # traditional → simplified, then the rule


def test_haversine() -> None:
    assert haversine_km(30.593, 114.305, 30.593, 114.305) == 0
    # Wuhan → Beijing, about 1,050 km as the crow flies
    assert 1040 < haversine_km(30.593, 114.305, 39.904, 116.407) < 1070
    assert haversine_km(0, 0, 0, 180) == pytest.approx(3.14159265 * 6371.0088, rel=1e-6)
