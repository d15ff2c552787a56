"""The retail aspect taxonomy and sentence-level aspect assignment.

An aspect is assigned to a sentence when one of its cue words occurs in it (matched on the
normalised sentence text, longest cue first, so 不新鲜 is not also read as 新鲜 → 口味). The cue
lists were written from the retail taxonomy before the labelled evaluation set was drawn; the
labelling rules and the measured scores are in docs/voice.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: code → (Chinese label, cue words)
TAXONOMY: dict[str, tuple[str, tuple[str, ...]]] = {
    "taste": ("口味", (
        "味道", "口味", "口感", "好吃", "难吃", "美味", "可口", "香甜", "太咸", "太甜", "偏咸",
        "偏甜", "太辣", "清淡", "油腻", "酥脆", "入味", "饭菜", "菜品", "菜式", "早餐", "早点",
        "自助餐", "餐厅的菜", "好喝", "难喝", "腥味", "吃起来", "吃着",
    )),
    "freshness": ("新鲜度", (
        "新鲜", "不新鲜", "过期", "临期", "变质", "发霉", "霉变", "保质期", "生产日期", "馊",
        "腐烂", "烂了", "受潮", "异味", "发臭", "有股味",
    )),
    "packaging": ("包装", (
        "包装", "外包装", "包装盒", "盒子", "纸箱", "箱子", "塑封", "封口", "漏气", "压坏",
        "挤压", "压扁", "破损", "包得", "包裹", "气泡膜", "礼盒",
    )),
    "price": ("价格", (
        "价格", "价钱", "价位", "性价比", "便宜", "太贵", "偏贵", "贵了", "很贵", "昂贵", "划算",
        "实惠", "物有所值", "物超所值", "值这个价", "不值", "折扣", "优惠", "打折", "降价",
        "涨价", "收费", "元/晚", "房价", "定价", "多花", "花钱", "钱", "块钱", "差价", "团购价",
    )),
    "delivery": ("物流/配送", (
        "物流", "快递", "配送", "送货", "发货", "到货", "收到货", "送到", "送来", "送达",
        "运送", "运费", "邮费", "包邮", "骑手", "快递员", "送货员", "派送", "签收", "当天到",
        "第二天就到", "等了", "迟迟", "还没到", "卓越", "当当", "京东",
    )),
    "service": ("服务", (
        "服务", "态度", "服务员", "前台", "客服", "店员", "导购", "收银", "经理", "保安",
        "门童", "行李员", "热情", "周到", "耐心", "礼貌", "冷漠", "爱理不理", "不理", "投诉",
        "售后", "退货", "换货", "退款", "维修", "保修", "解决问题", "答复", "道歉", "工作人员",
        "员工", "接待", "办理入住", "办理退房", "叫醒", "入住手续",
    )),
    "environment": ("门店环境", (
        "环境", "卫生", "干净", "整洁", "脏", "吵", "噪音", "隔音", "安静", "装修", "设施",
        "陈旧", "老旧", "破旧", "大堂", "停车", "位置", "地段", "交通", "方便", "离", "附近",
        "空调", "热水", "洗手间", "卫生间", "浴室", "床", "房间", "异味", "蚊子", "蟑螂",
        "灯光", "电梯", "排队", "拥挤", "宽敞", "窗",
    )),
    "product": ("商品品质", (
        "质量", "品质", "做工", "正品", "假货", "盗版", "印刷", "纸张", "纸质", "错别字",
        "装订", "屏幕", "键盘", "电池", "散热", "噪音大", "死机", "蓝屏", "坏了", "故障",
        "用了", "好用", "不好用", "耐用", "配置", "性能", "外观", "颜色", "尺寸", "尺码",
        "做得", "材质", "手感", "内容", "情节", "故事", "写得", "作者", "这本书", "本书",
        "书的", "机器", "硬盘", "内存", "系统", "驱动", "光驱", "摄像头", "音箱", "声音",
    )),
}  # fmt: skip

ASPECT_LABELS: dict[str, str] = {code: label for code, (label, _) in TAXONOMY.items()}


@dataclass(frozen=True)
class AspectHit:
    aspect: str
    keyword: str


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    owner: dict[str, str] = {}
    for code, (_, cues) in TAXONOMY.items():
        for cue in cues:
            owner.setdefault(cue, code)
    alternatives = sorted(owner, key=len, reverse=True)
    return re.compile("|".join(re.escape(a) for a in alternatives)), owner


def aspects_of(sentence: str) -> list[AspectHit]:
    """The aspects a normalised sentence talks about, each with the first cue word found."""
    pattern, owner = _pattern()
    found: dict[str, str] = {}
    for m in pattern.finditer(sentence):
        found.setdefault(owner[m.group(0)], m.group(0))
    return [AspectHit(aspect=a, keyword=k) for a, k in found.items()]
