"""Chinese names, nicknames and the ways they get garbled in exports (traditional characters,
homophone typos)."""

from __future__ import annotations

from functools import cache

import numpy as np
import opencc

from omniretail.demo.rand import Arr

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯"
    "邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭"
    "陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_F = "芳娜敏静丽艳娟霞玲桂英秀兰红梅琳雪倩婷颖慧欣怡佳琪瑶雯璐晶萍燕丹洁莉蓉薇嘉悦诗涵梦露月凤"
GIVEN_M = "伟强磊军洋勇杰涛明超华平刚辉鹏飞宇浩凯俊帅斌健波峰亮龙林建文博志国东海鑫晨旭阳宁成康乐"
GIVEN_N = "子思雨一可晓天嘉俊梓浩家小海春秋新振德永"
# characters that are typed for one another (同音/形近字)
TYPO = {
    "芳": "方", "娜": "那", "敏": "民", "静": "靜", "丽": "莉", "艳": "燕", "娟": "涓", "玲": "铃",
    "英": "瑛", "红": "虹", "梅": "玫", "琳": "林", "雪": "雷", "婷": "亭", "颖": "影", "慧": "惠",
    "欣": "新", "怡": "仪", "佳": "家", "琪": "琦", "伟": "玮", "强": "墙", "磊": "雷", "军": "君",
    "洋": "阳", "勇": "永", "杰": "洁", "涛": "滔", "明": "铭", "超": "朝", "华": "桦", "平": "萍",
    "刚": "钢", "辉": "晖", "鹏": "朋", "飞": "菲", "宇": "雨", "浩": "皓", "凯": "恺", "俊": "骏",
    "斌": "彬", "健": "建", "波": "博", "峰": "锋", "亮": "量", "龙": "隆", "志": "智", "国": "帼",
    "东": "冬", "海": "每", "晨": "辰", "旭": "煦", "阳": "杨", "宁": "凝", "成": "诚", "康": "慷",
}  # fmt: skip
NICK_HEAD = (
    "小",
    "阿",
    "大",
    "老",
    "胖",
    "甜甜",
    "快乐的",
    "爱吃",
    "吃货",
    "零食控",
    "追风的",
    "安静的",
)
NICK_BODY = (
    "猫", "兔子", "鱼", "橙子", "桃子", "坚果", "松鼠", "熊", "星星", "月亮",
    "饼干", "布丁", "小仙女", "大叔", "宝妈", "同学", "少年", "阿姨", "姐姐",
    "Lucky", "Coco", "Amy", "Jack", "Kevin", "Momo", "Sunny",
)  # fmt: skip
_SURNAME_W = np.concatenate([np.full(10, 6.0), np.full(20, 2.5), np.full(len(SURNAMES) - 30, 1.0)])


@cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def person_names(rng: np.random.Generator, n: int, female_share: float = 0.58) -> tuple[Arr, Arr]:
    """(names, is_female): a surname and one or two given characters."""
    female = rng.random(n) < female_share
    sur = np.asarray(list(SURNAMES))[rng.choice(len(SURNAMES), n, p=_SURNAME_W / _SURNAME_W.sum())]
    gf, gm, gn = (np.asarray(list(s)) for s in (GIVEN_F, GIVEN_M, GIVEN_N))
    first = np.where(female, gf[rng.integers(0, len(gf), n)], gm[rng.integers(0, len(gm), n)])
    mid = np.where(rng.random(n) < 0.5, gn[rng.integers(0, len(gn), n)], "")
    two = rng.random(n) < 0.7
    given = np.where(two, np.char.add(mid, first), first)
    second = np.where(female, gf[rng.integers(0, len(gf), n)], gm[rng.integers(0, len(gm), n)])
    given = np.where(two & (mid == ""), np.char.add(first, second), given)
    return np.char.add(sur, given), female


def to_traditional(values: Arr) -> Arr:
    """Simplified -> traditional characters (OpenCC s2t) for the distinct values given."""
    conv = _s2t()
    uniq, inv = np.unique(values.astype(str), return_inverse=True)
    return np.asarray([conv.convert(u) for u in uniq])[inv]


def with_typos(names: Arr) -> Arr:
    """Replace the last given-name character that has a known homophone / look-alike."""
    out = []
    for name in names.astype(str):
        for i in range(len(name) - 1, 0, -1):
            if name[i] in TYPO:
                name = name[:i] + TYPO[name[i]] + name[i + 1 :]
                break
        out.append(name)
    return np.asarray(out, dtype=names.dtype)


def nicknames(rng: np.random.Generator, n: int) -> Arr:
    """WeChat-style nicknames (often not a real name)."""
    head = np.asarray(NICK_HEAD)[rng.integers(0, len(NICK_HEAD), n)]
    body = np.asarray(NICK_BODY)[rng.integers(0, len(NICK_BODY), n)]
    num = rng.integers(0, 100, n)
    tail = np.where(rng.random(n) < 0.3, num.astype(str), "")
    return np.char.add(np.char.add(head, body), tail)


def star_name(names: Arr) -> Arr:
    """``王*``: the surname and a star, as platforms show the receiver."""
    return np.char.add(np.asarray([s[:1] for s in names.astype(str)]), "*")


def polite_name(names: Arr, female: Arr) -> Arr:
    """``王女士`` / ``李先生`` as delivery apps show the customer."""
    first = np.asarray([s[:1] for s in names.astype(str)])
    return np.char.add(first, np.where(female, "女士", "先生"))
