"""Chinese reviews: the aspects (口味, 新鲜度, 包装, 价格, 物流/配送, 服务) and their
sentiment follow from the reviewer's persona and the product's latent quality."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omniretail.demo.calendar import N_DAYS, promo_days
from omniretail.demo.context import World
from omniretail.demo.exports_private import miniprogram_order_no
from omniretail.demo.names import to_traditional
from omniretail.demo.rand import Arr, zfill
from omniretail.demo.writers import concat, take, ts_text, write_jsonl, write_parquet

ASPECTS = ("口味", "新鲜度", "包装", "价格", "物流", "服务")
PHRASES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # (negative, neutral, positive)
    "口味": (("味道一般，有点失望", "太咸了", "口感偏硬，不好吃", "和以前买的味道不一样"),
            ("味道还行", "口味中规中矩", "味道可以"),
            ("味道超级好", "很好吃，一口接一口", "口感酥脆，香而不腻", "家里人都爱吃",
             "回购无数次了")),
    "新鲜度": (("有点受潮了", "快过期了，日期不新鲜", "吃起来不新鲜"),
              ("日期还可以", "新鲜度一般"),
              ("很新鲜，生产日期很近", "新鲜度不错", "日期很新")),
    "包装": (("包装破了", "包装简陋", "袋子漏气了"),
            ("包装普通", "包装还行"),
            ("包装精美，送人很有面子", "独立小包装很方便", "包装很用心")),
    "价格": (("价格偏贵", "性价比不高", "比别家贵"),
            ("价格还可以", "价格正常"),
            ("活动价很划算", "性价比很高", "用券后很便宜")),
    "物流": (("物流太慢了", "快递等了好几天", "配送超时了"),
            ("物流一般", "送货速度正常"),
            ("物流很快，第二天就到了", "配送很及时", "骑手很快")),
    "服务": (("店员态度不好", "客服回复很慢", "服务有待提高"),
            ("服务还行", "店员一般"),
            ("店员很热情", "导购小姐姐很耐心", "客服很贴心")),
}  # fmt: skip
REVIEW_PLATFORMS = ("tmall", "jd", "douyin", "meituan", "eleme", "miniprogram", "app")
REVIEW_RATE = {"tmall": 0.08, "jd": 0.1, "douyin": 0.05, "meituan": 0.12, "eleme": 0.1,
               "miniprogram": 0.04, "app": 0.05}  # fmt: skip


def _order_refs(code: str, seq: Arr, day: Arr) -> Arr:
    """The order id as the platform's export shows it (must match the export writers)."""
    s = seq.astype(np.int64)
    if code == "tmall":
        return (2_100_000_000_000_000_000 + s * 7_919).astype(str)
    if code == "jd":
        return (300_000_000_000 + s * 37).astype(str)
    if code == "douyin":
        return (6_900_000_000_000_000_000 + s * 1_013).astype(str)
    if code == "meituan":
        return (100_000_000_000_000_000 + s * 3_001).astype(str)
    if code == "eleme":
        return (8_000_000_000_000_000_000 + s * 4_099).astype(str)
    if code == "app":
        return np.char.add("AP", zfill((s + 1).astype(str), 10))
    if code == "miniprogram":
        return np.asarray(miniprogram_order_no(day, seq).to_numpy(zero_copy_only=False)).astype(str)
    raise ValueError(code)


def write_reviews(w: World) -> None:
    rng = w.rng("reviews")
    p = w.people
    parts: list[dict[str, Arr]] = []
    promo = promo_days()
    quality = w.products.column("_quality").to_numpy()
    flavor = w.products.column("_flavor").to_numpy()
    for code in REVIEW_PLATFORMS:
        cl = w.channel_lines(code)
        pick = (cl.status != 1) & (
            rng.random(len(cl.order)) < REVIEW_RATE[code] * np.where(cl.status == 2, 5, 1)
        )
        pick &= cl.record >= 0
        idx = np.flatnonzero(pick)
        person = cl.person[idx]
        k = len(idx)
        noise = rng.normal(0, 0.7, (k, 6))
        score = np.empty((k, 6))
        score[:, 0] = (
            quality[cl.sku[idx]] + 0.8 * (flavor[cl.sku[idx]] == p.fav_flavor[person]) + noise[:, 0]
        )
        score[:, 1] = 0.4 - 0.8 * p.quality_sens[person] + noise[:, 1]
        score[:, 2] = 0.3 + noise[:, 2]
        score[:, 3] = 1.0 - 2.0 * p.price_sens[person] + 0.8 * (cl.discount[idx] > 0) + noise[:, 3]
        score[:, 4] = 0.4 - 1.0 * promo[cl.day[idx]] + noise[:, 4]
        score[:, 5] = 0.3 + noise[:, 5]
        sent = np.where(score > 0.35, 1, np.where(score < -0.45, -1, 0))
        mention = rng.random((k, 6)) < np.array([0.8, 0.35, 0.25, 0.35, 0.5, 0.2])
        if code in ("tmall", "jd", "douyin"):
            mention[:, 5] &= rng.random(k) < 0.5
        mention[~mention.any(axis=1), 0] = True
        raw = 4.1 + 0.9 * (sent * mention).sum(axis=1) + rng.normal(0, 0.45, k)
        raw -= 1.5 * (cl.status[idx] == 2)
        rating = np.clip(np.round(raw), 1, 5).astype(np.int8)
        src = w.sources[code]
        parts.append(
            {
                "platform": np.full(k, code),
                "user_id": src.record_id[cl.record[idx]],
                "order_ref": _order_refs(code, cl.seq[idx], cl.day[idx]),
                "sku": w.col("products", "sku")[cl.sku[idx]],
                "store_code": np.where(
                    cl.store[idx] >= 0,
                    w.col("stores", "store_code")[np.maximum(cl.store[idx], 0)],
                    "",
                ),
                "rating": rating,
                "day": np.minimum(cl.day[idx] + rng.integers(1, 15, k), N_DAYS - 1),
                "person": person,
                "sent": sent,
                "mention": mention,
            }
        )
    # Dianping store reviews after redeeming a voucher
    parts.append(_dianping_reviews(w, rng))
    cat = {key: np.concatenate([d[key] for d in parts]) for key in parts[0]}
    n = len(cat["rating"])
    text = _texts(rng, cat["sent"], cat["mention"])
    order = np.lexsort((np.arange(n), cat["day"]))
    review_id = np.char.add("R", zfill(np.arange(1, n + 1).astype(str), 9))
    secs = rng.integers(8 * 3600, 23 * 3600, n)
    table = pa.table(
        {
            "review_id": review_id,
            "platform": cat["platform"][order],
            "user_id": cat["user_id"][order],
            "order_ref": pa.array(cat["order_ref"][order], mask=cat["order_ref"][order] == ""),
            "sku": pa.array(cat["sku"][order], mask=cat["sku"][order] == ""),
            "store_code": pa.array(cat["store_code"][order], mask=cat["store_code"][order] == ""),
            "rating": cat["rating"][order],
            "content": text[order],
            "created_at": ts_text(cat["day"][order], secs[order]),
        }
    )
    rel = "exports/reviews/reviews.jsonl"
    w.record(rel, write_jsonl(table, w.path(rel)))
    # truth: one row per mentioned aspect
    r_idx, a_idx = np.nonzero(cat["mention"][order])
    truth = pa.table(
        {
            "review_id": review_id[r_idx],
            "person_id": p.person_id[cat["person"][order][r_idx]],
            "aspect": np.asarray(ASPECTS)[a_idx],
            "sentiment": cat["sent"][order][r_idx, a_idx].astype(np.int8),
        }
    )
    w.record(
        "truth/reviews_truth.parquet", write_parquet(truth, w.path("truth/reviews_truth.parquet"))
    )


def _dianping_reviews(w: World, rng: np.random.Generator) -> dict[str, Arr]:
    src = w.sources["dianping"]
    o = w.orders
    idx, rec = src.order_index, src.order_record
    assert idx is not None
    assert rec is not None
    pick = (o.status[idx] == 0) & (rng.random(len(idx)) < 0.2)
    ii, rr = idx[pick], rec[pick]
    k = len(ii)
    person = o.person[ii]
    p = w.people
    score = rng.normal(0.3, 0.8, (k, 6))
    score[:, 3] += 0.8 - p.price_sens[person]
    sent = np.where(score > 0.35, 1, np.where(score < -0.45, -1, 0))
    mention = rng.random((k, 6)) < np.array([0.6, 0.3, 0.1, 0.4, 0.0, 0.7])
    mention[~mention.any(axis=1), 5] = True
    raw = 4.0 + 0.9 * (sent * mention).sum(axis=1) + rng.normal(0, 0.45, k)
    return {
        "platform": np.full(k, "dianping"),
        "user_id": src.record_id[rr],
        "order_ref": np.full(k, ""),
        "sku": np.full(k, ""),
        "store_code": w.col("stores", "store_code")[o.store[ii]],
        "rating": np.clip(np.round(raw), 1, 5).astype(np.int8),
        "day": np.minimum(o.day[ii] + rng.integers(1, 30, k), N_DAYS - 1),
        "person": person,
        "sent": sent,
        "mention": mention,
    }


def _texts(rng: np.random.Generator, sent: Arr, mention: Arr) -> Arr:
    """Join one phrase per mentioned aspect (Arrow kernels); 4 % in traditional characters."""
    n = len(sent)
    phrases: list[pa.Array] = []
    for a, aspect in enumerate(ASPECTS):
        bank = PHRASES[aspect]
        vocab = pa.array([p for level in bank for p in level])
        sizes = np.array([len(level) for level in bank])
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        level = sent[:, a] + 1
        idx = start[level] + (rng.random(n) * sizes[level]).astype(np.int64)
        phrases.append(take(vocab, idx, mask=~mention[:, a]))
    joined = pc.binary_join_element_wise(*phrases, "，", null_handling="skip")
    ends = take(np.asarray(["。", "！", "", "~"]), rng.integers(0, 4, n))
    text = np.asarray(concat(joined, ends).to_numpy(zero_copy_only=False), dtype=object)
    trad = np.flatnonzero(rng.random(n) < 0.04)
    text[trad] = to_traditional(text[trad].astype(str))
    return text
