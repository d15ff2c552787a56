"""Probabilistic matching of weak evidence with Splink (概率匹配), cluster against cluster.

Records that share no strong identifier can still be one person: a Tmall order with the
receiver's name, a masked phone (``138****5678``) and an address; a Douyin order with ``王*``
and ``*******5678``; a Meituan order from ``王女士``; a store sign-up with name and birthday.
The evidence is spread over a person's records (the real name on the POS card, the phone in
the app), so the unit of comparison is the **deterministic cluster**: one row per cluster with
the sets of its masked phones (3+4 digits), phone endings, real names, surnames (from a list
of common surnames, so nicknames such as 小Jack do not count), birthdays, cities and genders.

A Fellegi–Sunter model in Splink scores candidate cluster pairs:
- comparisons (array intersections): phone (same masked phone / same last 4 digits / else),
  name (same full name / same surname / else), birthday, city, gender;
- candidate pairs (blocking, arrays exploded): a shared masked phone; a shared phone ending
  and surname; a shared full name and birthday;
- u by sampling a hashed, engine-independent set of clusters, the prior from deterministic
  rules, m fixed by judgement
  (``M_PROBABILITIES``: expectation maximisation on this data converges to degenerate values);
- pairs at or above the threshold become ``splink:<probability>`` edges between the clusters'
  anchor records, with the agreeing fields as evidence.
"""

from __future__ import annotations

import re
from typing import Any

from omniretail.cdp.identity.config import IdentityConfig
from omniretail.cdp.identity.splink_adapter import splink_db_api
from omniretail.platform.engine.base import AnalyticsEngine

# the most common Chinese surnames (about 85 % of the population); a name's first character
# counts as a surname only when it is one of these
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁"
    "蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPARED = ("phone", "name", "birthday", "city", "gender", "address")


def _place_prefix(engine: AnalyticsEngine) -> str:
    """A regular expression for the province and city names an address may start with
    (``湖北 武汉 江汉区…``, ``武汉市江汉区…``): every province and city the records name."""
    names = {
        str(row["v"])
        for row in engine.fetch_rows(
            "SELECT DISTINCT city AS v FROM _idr_records WHERE city IS NOT NULL"
            " UNION SELECT DISTINCT province FROM _idr_records WHERE province IS NOT NULL"
        )
    }
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if n.strip())
    return f"^(?:(?:{alt})(?:省|市|自治区)?)+" if alt else "^$"


def _cluster_features(engine: AnalyticsEngine, labels: str) -> None:
    """``_idr_clusters``: one row per deterministic cluster with its evidence sets."""
    surnames = "'" + SURNAMES + "'"
    prefix = _place_prefix(engine).replace("'", "''")
    engine.materialize(
        "_idr_weak",
        f"""
        SELECT coalesce(l.cluster, r.node) AS cluster, r.node, r.name_norm, r.birthday,
               r.city, r.gender,
               CASE WHEN r.phone LIKE '+861%' AND length(r.phone) = 14
                    THEN substr(r.phone, 4, 3) || '****' || substr(r.phone, 11, 4)
                    WHEN regexp_full_match(r.phone_masked, '1[0-9]{{2}}\\*{{4}}[0-9]{{4}}')
                    THEN r.phone_masked END AS masked,
               CASE WHEN r.phone LIKE '+861%' AND length(r.phone) = 14
                    THEN right(r.phone, 4)
                    WHEN regexp_full_match(r.phone_masked, '[0-9*]*\\*[0-9]{{4}}')
                    THEN right(r.phone_masked, 4) END AS last4,
               CASE WHEN length(r.name_norm) BETWEEN 1 AND 4
                     AND contains({surnames}, substr(r.name_norm, 1, 1))
                    THEN substr(r.name_norm, 1, 1) END AS surname,
               CASE WHEN length(r.name_norm) BETWEEN 2 AND 4
                     AND contains({surnames}, substr(r.name_norm, 1, 1))
                     AND NOT regexp_matches(r.name_norm, '[*＊]|先生|女士|小姐')
                    THEN r.name_norm END AS real_name,
               CASE WHEN r.name_norm LIKE '%先生' THEN 'M'
                    WHEN r.name_norm LIKE '%女士' OR r.name_norm LIKE '%小姐' THEN 'F'
                    ELSE r.gender END AS sex,
               nullif(regexp_replace(r.address_norm, '{prefix}', ''), '') AS address
        FROM _idr_records r LEFT JOIN {labels} l USING (node)
        """,
        scratch=True,
    )
    # an address down to the flat (江汉区中山路12号5栋2单元1203室) and its house number
    # (江汉区中山路12号: a building shared by many households); an address that ends at the
    # house number names a building, not a household, and counts only as a house
    engine.materialize(
        "_idr_weak",
        "SELECT * REPLACE (CASE WHEN address IS NOT NULL AND NOT regexp_matches(address,"
        " '[0-9]+号') THEN NULL ELSE address END AS address) FROM _idr_weak",
        scratch=True,
    )
    engine.materialize(
        "_idr_clusters",
        """
        SELECT cluster,
               coalesce(list(DISTINCT masked) FILTER (WHERE masked IS NOT NULL), [])
                   AS phone_masked,
               coalesce(list(DISTINCT last4) FILTER (WHERE last4 IS NOT NULL), [])
                   AS phone_last4,
               coalesce(list(DISTINCT real_name) FILTER (WHERE real_name IS NOT NULL), [])
                   AS names,
               coalesce(list(DISTINCT surname) FILTER (WHERE surname IS NOT NULL), [])
                   AS surnames,
               coalesce(list(DISTINCT birthday) FILTER (WHERE birthday IS NOT NULL), [])
                   AS birthdays,
               coalesce(list(DISTINCT city) FILTER (WHERE city IS NOT NULL), []) AS cities,
               coalesce(list(DISTINCT sex) FILTER (WHERE sex IS NOT NULL), []) AS genders,
               coalesce(list(DISTINCT address) FILTER (
                   WHERE NOT regexp_full_match(address, '.*?[0-9]+号')), []) AS addresses,
               coalesce(list(DISTINCT regexp_extract(address, '^(.*?[0-9]+号)', 1))
                   FILTER (WHERE address IS NOT NULL), []) AS houses
        FROM _idr_weak GROUP BY cluster
        HAVING len(list(DISTINCT last4) FILTER (WHERE last4 IS NOT NULL)) > 0
            OR len(list(DISTINCT real_name) FILTER (WHERE real_name IS NOT NULL)) > 0
            OR len(list(DISTINCT address) FILTER (WHERE address IS NOT NULL)) > 0
        """,
        scratch=True,
    )
    engine.drop("_idr_weak")


def _array_comparison(
    name: str,
    levels: list[tuple[str, str, float]],
    else_m: float,
    when: dict[str, str] | None = None,
) -> Any:
    """Null when either side's arrays are empty, then the given (array column, label,
    m probability) levels by intersection (and the extra SQL condition ``when[label]``), else."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    first = levels[-1][0]
    return cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.CustomLevel(
                f"array_length({first}_l) = 0 OR array_length({first}_r) = 0",
                base_dialect_str="duckdb",
            ).configure(is_null_level=True),
            *[
                cll.CustomLevel(
                    f"array_length(array_intersect({col}_l, {col}_r)) > 0"
                    + (f" AND ({when[label]})" if when and label in when else ""),
                    label_for_charts=label,
                    base_dialect_str="duckdb",
                ).configure(m_probability=m)
                for col, label, m in levels
            ],
            cll.ElseLevel().configure(m_probability=else_m),
        ],
    )


# m probabilities: how often a real match agrees at each level (judged from how channels record
# people: a platform order shows the buyer's masked phone more often than not, a receiver name is
# the buyer's own about half the time, nicknames never match real names, most parcels go to the
# buyer's home). u probabilities come from value frequencies (``_u_from_frequencies``) or, for
# city and gender, random sampling; the prior from the strong-identifier clusters.
M_PROBABILITIES = {
    "phone": ([0.55, 0.45], 0.30),
    "name": ([0.35, 0.45], 0.20),
    "birthday": ([0.90], 0.10),
    "city": ([0.70], 0.30),
    "gender": ([0.95], 0.05),
    "address": ([0.55, 0.05], 0.40),
}
BLOCKING = (
    ("phone_masked",),
    ("phone_last4", "surnames"),
    ("names", "birthdays"),
    ("addresses",),
)


def _settings(cfg: IdentityConfig) -> Any:
    from splink import SettingsCreator, block_on

    blocking: list[Any] = [block_on(*cols, arrays_to_explode=list(cols)) for cols in BLOCKING]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="cluster",
        probability_two_random_records_match=1e-6,
        comparisons=[
            # Douyin (*******5678) and Ele.me (手机尾号5678) show only the ending: there, the
            # same ending is what a real match shows; when both sides show 3+4 digits, the same
            # ending under different prefixes is two different numbers (the else level)
            _array_comparison(
                "phone",
                [
                    ("phone_masked", "same masked phone", M_PROBABILITIES["phone"][0][0]),
                    ("phone_last4", "same ending", M_PROBABILITIES["phone"][0][1]),
                ],
                M_PROBABILITIES["phone"][1],
                when={
                    "same ending": "array_length(phone_masked_l) = 0"
                    " OR array_length(phone_masked_r) = 0"
                },
            ),
            _array_comparison(
                "name",
                [
                    ("names", "same name", M_PROBABILITIES["name"][0][0]),
                    ("surnames", "same surname", M_PROBABILITIES["name"][0][1]),
                ],
                M_PROBABILITIES["name"][1],
            ),
            _array_comparison(
                "address",
                [
                    ("addresses", "same address", M_PROBABILITIES["address"][0][0]),
                    ("houses", "same house", M_PROBABILITIES["address"][0][1]),
                ],
                M_PROBABILITIES["address"][1],
            ),
            *[
                _array_comparison(
                    c, [(col, f"same {c}", M_PROBABILITIES[c][0][0])], M_PROBABILITIES[c][1]
                )
                for c, col in (("birthday", "birthdays"), ("city", "cities"), ("gender", "genders"))
            ],
        ],
        blocking_rules_to_generate_predictions=blocking[: cfg.splink.max_blocking_rules],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,
    )


# u of the rare-value levels from value frequencies: (comparison, finer level, coarser level,
# SQL of the part both share at the coarser level, SQL of the rest). Under independence of the
# two parts, P(same value | different people) = Σ p(part)² · Σ q(rest)², and P(same coarse part
# only) = Σ p(part)² · (1 − Σ q(rest)²). (unnest stands alone in its SELECT: Spark's explode
# may not be nested in an expression.)
_FREQUENCY_LEVELS = (
    (
        "phone", "same masked phone", "same ending",
        "SELECT right(k, 4) AS k FROM (SELECT unnest(phone_last4) AS k FROM _idr_clusters)",
        "SELECT substr(k, 1, 3) AS k FROM (SELECT unnest(phone_masked) AS k FROM _idr_clusters)",
    ),
    (
        "address", "same address", "same house",
        "SELECT unnest(houses) AS k FROM _idr_clusters",
        "SELECT regexp_replace(k, '^.*?[0-9]+号', '') AS k"
        " FROM (SELECT unnest(addresses) AS k FROM _idr_clusters)",
    ),
    (
        "name", "same name", "same surname",
        "SELECT unnest(surnames) AS k FROM _idr_clusters",
        "SELECT substr(k, 2) AS k FROM (SELECT unnest(names) AS k FROM _idr_clusters)",
    ),
)  # fmt: skip


# the coarse level of these comparisons is only reached when one side has no finer value (the
# phone ending when a platform shows nothing else): its u is the chance agreement of the part
_COARSE_ALONE = {"phone"}


def _u_from_frequencies(engine: AnalyticsEngine, linker: Any) -> dict[str, dict[str, float]]:
    """Replace the sampled u of the rare-value levels (phone, address, name) by value
    frequencies.

    Random-pair sampling over deterministic clusters overestimates how often a rare value agrees
    by chance: a person's clusters are fragments of one person, so a random sample holds far
    more true matches than λ suggests, and for a value as rare as a masked phone they dominate
    (on the demo world the sampled model gave 0.94 to "same masked phone, surname and gender",
    which is right 99.9 % of the time). Each value is split into two parts that are common on
    their own (the ending and the prefix of a phone; the house number and the room of an
    address; surname and given name), so fragments of one person hardly move their frequencies.
    """

    def collision(sql: str) -> float:
        value = engine.scalar(
            f"SELECT sum(c * c) / (sum(c) * sum(c)) FROM (SELECT count(*) AS c FROM ({sql}) v "
            "WHERE k IS NOT NULL AND k <> '' GROUP BY k)"
        )
        return float(value) if value else 0.0

    out: dict[str, dict[str, float]] = {}
    for name, fine, coarse, part_sql, rest_sql in _FREQUENCY_LEVELS:
        part, rest = collision(part_sql), collision(rest_sql)
        if not (0 < part < 1 and 0 < rest < 1):
            continue
        u = {fine: part * rest, coarse: part if name in _COARSE_ALONE else part * (1 - rest)}
        out[name] = u
        for comparison in linker._settings_obj.comparisons:
            if comparison.output_column_name != name:
                continue
            for level in comparison.comparison_levels:
                if level.is_null_level:
                    continue
                label = level.label_for_charts
                if label in u:
                    level.u_probability = u[label]
                elif level._is_else_level:
                    level.u_probability = max(1.0 - sum(u.values()), 0.5)
    return out


def _prior_from_masked_phones(
    engine: AnalyticsEngine, u: dict[str, dict[str, float]]
) -> float | None:
    """λ, the share of cluster pairs that are one person, by the method of moments on the
    masked phone: among clusters that show one, the pairs sharing it are the true pairs that
    show it (λ · m) plus chance agreements (u, from frequencies), so
    λ = (shared / pairs − u) / (m − u).

    The rule-based estimate (pairs sharing masked phone and real name, divided by an assumed
    recall of that rule) undercounts the fragments of one person that carry no real name: on
    the demo world it gave λ about 5× too small, and every probability too low (a pair with
    the same masked phone, surname and gender scored 0.92 where the truth shows 0.99)."""
    umasked = u.get("phone", {}).get("same masked phone")
    if not umasked:
        return None
    row = engine.fetch_rows(
        "WITH v AS (SELECT unnest(phone_masked) AS m FROM _idr_clusters),"
        " k AS (SELECT count(*) AS c FROM v GROUP BY m)"
        " SELECT (SELECT sum(c * (c - 1) / 2) FROM k) AS shared,"
        " (SELECT count(*) FROM _idr_clusters WHERE array_length(phone_masked) > 0) AS n"
    )[0]
    n, shared = float(row["n"] or 0), float(row["shared"] or 0)
    if n < 2:
        return None
    pairs = n * (n - 1) / 2
    m = M_PROBABILITIES["phone"][0][0]
    prior = (shared / pairs - umasked) / (m - umasked)
    return prior if 0 < prior < 0.5 else None


def _estimate_u_on_hashed_sample(
    engine: AnalyticsEngine, db_api: Any, linker: Any, cfg: IdentityConfig
) -> None:
    """u by sampling, the same on every engine: the clusters first in the order of
    ``md5(cluster || seed)`` (a hex string, identical on DuckDB and Spark), as many as give
    ``u_max_pairs`` pairs, and every pair among them.

    Splink's own sampler picks rows and splits the pairs into chunks by the backend's
    ``hash()`` (64-bit in DuckDB, Murmur3 in Spark) and stops at the first chunk where every
    level was seen 100 times, so DuckDB and Spark trained on different pairs (191 against 185
    probabilistic edges on the demo world). Here the sample is drawn in our SQL, and Splink
    counts all of its pairs in one chunk with no early stop."""
    from splink import Linker

    rows = int(0.5 * ((8 * cfg.splink.u_max_pairs + 1) ** 0.5 + 1))  # n(n-1)/2 ≥ max pairs
    engine.materialize(
        "_idr_u_sample",
        f"""
        SELECT * FROM _idr_clusters
        ORDER BY md5(CAST(cluster AS VARCHAR) || '_{int(cfg.splink.seed)}'), cluster
        LIMIT {rows}
        """,
        scratch=True,
    )
    sample = Linker(db_api.register("_idr_u_sample"), _settings(cfg), log_level=None)
    sample.training.estimate_u_using_random_sampling(
        max_pairs=cfg.splink.u_max_pairs, min_count_per_level=None, num_chunks=1
    )
    trained = sample._settings_obj.comparisons
    for comparison, source in zip(linker._settings_obj.comparisons, trained, strict=True):
        for level, from_sample in zip(
            comparison.comparison_levels, source.comparison_levels, strict=True
        ):
            if not level.is_null_level:
                level.u_probability = from_sample._u_probability
    engine.drop("_idr_u_sample")


def probabilistic_edges(engine: AnalyticsEngine, cfg: IdentityConfig, labels: str) -> int:
    """Write ``_idr_splink_edges(left_node, right_node, rule, evidence, weight)``."""
    from splink import Linker, block_on

    _cluster_features(engine, labels)
    n = int(engine.scalar("SELECT count(*) FROM _idr_clusters"))
    empty = (
        "SELECT CAST(NULL AS BIGINT) AS left_node, CAST(NULL AS BIGINT) AS right_node,"
        " CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS JSON) AS evidence,"
        " CAST(NULL AS DOUBLE) AS weight WHERE FALSE"
    )
    if n < max(2, cfg.splink.min_records):
        engine.materialize("_idr_splink_edges", empty, scratch=True)
        return 0
    db_api = splink_db_api(engine)
    linker = Linker(db_api.register("_idr_clusters"), _settings(cfg), log_level=None)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("phone_masked", "names", arrays_to_explode=["phone_masked", "names"])],
            recall=cfg.splink.prior_recall,
        )
        _estimate_u_on_hashed_sample(engine, db_api, linker, cfg)
        u = _u_from_frequencies(engine, linker)
        if cfg.splink.prior == "masked_phone_moments":
            prior = _prior_from_masked_phones(engine, u)
            if prior is not None:
                linker._settings_obj._probability_two_random_records_match = prior
        predictions = linker.inference.predict(
            threshold_match_probability=cfg.splink.threshold, warning_mode="never"
        )
        agree = " || ".join(
            [
                "CASE WHEN gamma_phone = 2 THEN 'masked_phone,'"
                " WHEN gamma_phone = 1 THEN 'phone_ending,' ELSE '' END",
                "CASE WHEN gamma_name = 2 THEN 'name,'"
                " WHEN gamma_name = 1 THEN 'surname,' ELSE '' END",
                "CASE WHEN gamma_address = 2 THEN 'address,'"
                " WHEN gamma_address = 1 THEN 'house,' ELSE '' END",
                *[f"CASE WHEN gamma_{c} = 1 THEN '{c},' ELSE '' END" for c in COMPARED[2:5]],
            ]
        )
        engine.materialize(
            "_idr_splink_edges",
            f"""
            SELECT cluster_l AS left_node, cluster_r AS right_node,
                   'splink:' || CAST(round(match_probability, 4) AS VARCHAR) AS rule,
                   json_object('match_probability', round(match_probability, 6),
                               'match_weight', round(match_weight, 3),
                               'agree', rtrim({agree}, ',')) AS evidence,
                   {float(cfg.splink.weight)} * match_probability AS weight
            FROM {predictions.physical_name}
            """,
            scratch=True,
        )
    finally:
        db_api.delete_tables_created_by_splink_from_db()
    return int(engine.scalar("SELECT count(*) FROM _idr_splink_edges"))
