"""Geography of the demo chain: real cities with approximate coordinates, and its stores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from omniretail.demo.rand import Arr, scrambled_ids


@dataclass(frozen=True)
class CityRef:
    code: str  # GB/T 2260 city code
    name: str
    province: str
    region: str
    lat: float
    lon: float
    weight: float  # share of the chain's stores
    districts: tuple[str, ...]
    area_code: str  # landline area code


CITIES: tuple[CityRef, ...] = (
    CityRef("420100", "武汉", "湖北", "华中", 30.593, 114.305, 22.0,
            ("江汉区", "江岸区", "武昌区", "洪山区", "汉阳区", "硚口区"), "027"),
    CityRef("420500", "宜昌", "湖北", "华中", 30.692, 111.286, 3.0, ("西陵区", "伍家岗区"), "0717"),
    CityRef("420600", "襄阳", "湖北", "华中", 32.009, 112.122, 3.0, ("樊城区", "襄城区"), "0710"),
    CityRef("430100", "长沙", "湖南", "华中", 28.228, 112.939, 9.0,
            ("芙蓉区", "天心区", "岳麓区", "开福区", "雨花区"), "0731"),
    CityRef("430200", "株洲", "湖南", "华中", 27.827, 113.134, 2.0, ("天元区", "芦淞区"), "0731"),
    CityRef("410100", "郑州", "河南", "华中", 34.747, 113.625, 7.0,
            ("金水区", "二七区", "中原区", "管城回族区"), "0371"),
    CityRef("410300", "洛阳", "河南", "华中", 34.618, 112.454, 2.0, ("涧西区", "西工区"), "0379"),
    CityRef("360100", "南昌", "江西", "华东", 28.682, 115.858, 6.0,
            ("东湖区", "西湖区", "青山湖区", "红谷滩区"), "0791"),
    CityRef("340100", "合肥", "安徽", "华东", 31.821, 117.227, 5.0,
            ("蜀山区", "庐阳区", "包河区", "瑶海区"), "0551"),
    CityRef("320100", "南京", "江苏", "华东", 32.060, 118.797, 5.0,
            ("玄武区", "秦淮区", "鼓楼区", "建邺区"), "025"),
    CityRef("320500", "苏州", "江苏", "华东", 31.299, 120.585, 3.0,
            ("姑苏区", "工业园区", "吴中区"), "0512"),
    CityRef("330100", "杭州", "浙江", "华东", 30.274, 120.155, 4.0,
            ("上城区", "拱墅区", "西湖区", "滨江区"), "0571"),
    CityRef("310100", "上海", "上海", "华东", 31.230, 121.474, 5.0,
            ("黄浦区", "徐汇区", "静安区", "浦东新区", "闵行区"), "021"),
    CityRef("510100", "成都", "四川", "西南", 30.572, 104.066, 6.0,
            ("锦江区", "青羊区", "武侯区", "成华区", "高新区"), "028"),
    CityRef("500100", "重庆", "重庆", "西南", 29.563, 106.551, 5.0,
            ("渝中区", "江北区", "南岸区", "沙坪坝区", "九龙坡区"), "023"),
    CityRef("440100", "广州", "广东", "华南", 23.129, 113.264, 4.0,
            ("天河区", "越秀区", "海珠区", "白云区"), "020"),
    CityRef("440300", "深圳", "广东", "华南", 22.543, 114.058, 4.0,
            ("福田区", "南山区", "罗湖区", "宝安区"), "0755"),
    CityRef("610100", "西安", "陕西", "西北", 34.341, 108.940, 3.0,
            ("雁塔区", "碑林区", "莲湖区", "未央区"), "029"),
    CityRef("110100", "北京", "北京", "华北", 39.904, 116.407, 2.0,
            ("朝阳区", "海淀区", "东城区", "西城区"), "010"),
)  # fmt: skip

STORE_TYPES = ("flagship", "mall", "street", "community", "transport_hub")
STORE_TYPE_NAMES = {
    "flagship": "旗舰店",
    "mall": "商场店",
    "street": "街边店",
    "community": "社区店",
    "transport_hub": "交通枢纽店",
}
STORE_TYPE_SHARE = np.array([0.03, 0.32, 0.30, 0.27, 0.08])
OPENING_HOURS = {
    "flagship": "09:00-22:30",
    "mall": "10:00-22:00",
    "street": "08:30-22:30",
    "community": "08:00-22:00",
    "transport_hub": "06:30-23:00",
}
# typical sales floor (m²) of a store type
STORE_TYPE_AREA = {
    "flagship": 260.0,
    "mall": 90.0,
    "street": 75.0,
    "community": 55.0,
    "transport_hub": 40.0,
}
# relative traffic of a store type (how many customers call it home)
STORE_TYPE_TRAFFIC = {
    "flagship": 2.5,
    "mall": 1.3,
    "street": 1.0,
    "community": 0.8,
    "transport_hub": 0.6,
}
MALLS = ("万达广场", "银泰城", "万象城", "吾悦广场", "龙湖天街", "大悦城", "凯德广场", "印象城")
STREETS = (
    "中山路", "解放路", "人民路", "建设大道", "友谊路", "长江路", "新华路", "和平大道",
    "黄河路", "光明路", "文化路", "青年路", "胜利街", "民主路", "南京路", "东风路",
)  # fmt: skip
COMMUNITIES = ("幸福里", "阳光花园", "金地格林", "万科城", "保利花园", "碧桂园", "绿地新都会",
               "恒大名都", "锦绣家园", "翠苑")  # fmt: skip
HUBS = ("站", "东站", "南站", "西站", "机场")


def city_prefix(city: CityRef) -> str:
    """``湖北省武汉市`` or ``上海市`` for the municipalities."""
    if city.province == city.name:
        return f"{city.name}市"
    return f"{city.province}省{city.name}市"


def n_stores(scale: float) -> int:
    """About 200 stores at scale 1 (and 2,000 at scale 10, the size of the real chain)."""
    return max(len(CITIES) + 1, round(200 * scale))


def build_stores(rng: np.random.Generator, scale: float) -> pa.Table:
    """Stores spread over the cities by weight; every city gets at least one store."""
    n = n_stores(scale)
    weights = np.array([c.weight for c in CITIES])
    city_idx = np.concatenate(
        [
            np.arange(len(CITIES)),
            rng.choice(len(CITIES), n - len(CITIES), p=weights / weights.sum()),
        ]
    )
    city_idx.sort(kind="stable")
    types = rng.choice(len(STORE_TYPES), n, p=STORE_TYPE_SHARE)
    # one flagship in each of the five biggest cities
    for big in np.argsort(-weights, kind="stable")[:5]:
        types[np.flatnonzero(city_idx == big)[0]] = 0
    codes = [f"S{i + 1:04d}" for i in range(n)]
    lat = np.array([CITIES[c].lat for c in city_idx]) + rng.normal(0, 0.045, n)
    lon = np.array([CITIES[c].lon for c in city_idx]) + rng.normal(0, 0.055, n)
    names: list[str] = []
    addresses: list[str] = []
    districts: list[str] = []
    phones: list[str] = []
    landmark_no = rng.integers(1, 400, n)
    pick = rng.integers(0, 1 << 30, (n, 3))
    seen: set[str] = set()
    for i in range(n):
        city = CITIES[city_idx[i]]
        st = STORE_TYPES[types[i]]
        district = city.districts[pick[i, 0] % len(city.districts)]
        street = STREETS[pick[i, 1] % len(STREETS)]
        if st == "mall":
            place = MALLS[pick[i, 2] % len(MALLS)].replace("广场", "")
            addr = f"{district}{street}{landmark_no[i]}号{MALLS[pick[i, 2] % len(MALLS)]}B1层"
        elif st == "community":
            place = COMMUNITIES[pick[i, 2] % len(COMMUNITIES)]
            addr = f"{district}{place}小区{landmark_no[i] % 30 + 1}栋底商"
        elif st == "transport_hub":
            place = city.name + HUBS[pick[i, 2] % len(HUBS)]
            addr = f"{district}{place}候车大厅{landmark_no[i] % 5 + 1}号铺"
        elif st == "flagship":
            place = street + "旗舰"
            addr = f"{district}{street}{landmark_no[i]}号"
        else:
            place = street
            addr = f"{district}{street}{landmark_no[i]}号"
        name = f"良品铺子{city.name}{place}店"
        k = 2
        while name in seen:
            name = f"良品铺子{city.name}{place}{k}店"
            k += 1
        seen.add(name)
        names.append(name)
        addresses.append(city_prefix(city) + addr)
        districts.append(district)
        phones.append(f"{city.area_code}-{8000_0000 + pick[i, 0] % 2000_0000}")
    opened_days = rng.integers(0, 365 * 12, n)  # opened up to 12 years before the world starts
    opened = np.datetime64("2024-10-01") - opened_days.astype("timedelta64[D]")
    mt = scrambled_ids(n, 8, salt=int(rng.integers(1 << 30)))
    el = scrambled_ids(n, 9, salt=int(rng.integers(1 << 30)))
    # drawn after everything above, so the columns before them are those of earlier worlds:
    # about one store in five is a franchisee's (never a flagship); sales floor by format
    franchise = (rng.random(n) < 0.22) & (types != 0)
    area = np.round(
        np.array([STORE_TYPE_AREA[STORE_TYPES[t]] for t in types]) * rng.lognormal(0, 0.2, n)
    )
    return pa.table(
        {
            "store_code": codes,
            "name": names,
            "store_type": [STORE_TYPES[t] for t in types],
            "region": [CITIES[c].region for c in city_idx],
            "province": [CITIES[c].province for c in city_idx],
            "city": [CITIES[c].name for c in city_idx],
            "district": districts,
            "address": addresses,
            "latitude": np.round(lat, 5),
            "longitude": np.round(lon, 5),
            "opening_hours": [OPENING_HOURS[STORE_TYPES[t]] for t in types],
            "phone": phones,
            "opened_on": opened.astype(str),
            "meituan_poi_id": [str(x) for x in mt],
            "eleme_shop_id": [f"E{x}" for x in el],
            "store_kind": np.where(franchise, "加盟", "直营"),
            "area_m2": area,
            # internal columns (dropped from the export)
            "_city_idx": city_idx.astype(np.int32),
            "_traffic": np.array([STORE_TYPE_TRAFFIC[STORE_TYPES[t]] for t in types]),
        }
    )


def stores_by_city(stores: pa.Table) -> tuple[Arr, Arr]:
    """Store indices grouped by city (stores are sorted by city): (offsets, counts)."""
    city_idx = stores.column("_city_idx").to_numpy()
    counts = np.bincount(city_idx, minlength=len(CITIES))
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return offsets, counts
