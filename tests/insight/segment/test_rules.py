"""Segment rules: validation names the bad node; counts match an independent pandas filter."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from omniretail.insight.segment import rules, service
from omniretail.insight.segment.rules import compile_rule
from omniretail.platform import i18n
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.errors import InvalidInput


@pytest.fixture(scope="module")
def tags(insight_duckdb) -> pd.DataFrame:
    return insight_duckdb.fetch_arrow("SELECT * FROM customer_tags").to_pandas()


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ({"all": []}, "rule.all", "non-empty"),
        (
            {"all": [{"field": "nope", "op": "eq", "value": 1}]},
            "rule.all[0].field",
            "unknown field",
        ),
        ({"field": "gender", "op": "gt", "value": "F"}, "rule.op", "does not apply"),
        ({"field": "orders_total", "op": "gte", "value": "3"}, "rule.value", "whole number"),
        ({"field": "orders_total", "op": "between", "value": [1]}, "rule.value", "[low, high]"),
        (
            {"any": [{"not": {"field": "kol", "op": "is_true", "value": 1}}]},
            "rule.any[0].not.value",
            "takes no value",
        ),
        ({"purchase": {"category": "X", "days": 0}}, "rule.purchase.days", "between 1 and 3650"),
        ({"purchase": {"colour": "red"}}, "rule.purchase", "unknown key"),
        ({"event": {"type": "drop table", "days": 3}}, "rule.event.type", "event type"),
        ({"field": "city", "op": "eq", "value": "x\\'"}, "rule.value", "text value"),
        ({"field": "first_order_date", "op": "gt", "value": "yesterday"}, "rule.value", "ISO date"),
        ({"customer_list": {"ids": []}}, "rule.customer_list.ids", "non-empty list"),
        ({"customer_list": {"ids": ["C1", "x' OR 1=1"]}}, "rule.customer_list.ids[1]", "not a"),
        ({"customer_list": {"ids": ["C1"] * 5001}}, "rule.customer_list.ids", "at most 5000"),
        ({"customer_list": {"ids": ["C1"], "score": 1}}, "rule.customer_list", "unknown key"),
        ({"weird": 1}, "rule", "unknown node"),
        ([1, 2], "rule", "JSON object"),
    ],
)
def test_bad_rules_name_the_node(rule, path, message) -> None:
    with pytest.raises(InvalidInput) as err:
        compile_rule(rule)
    assert err.value.field == path
    assert message in err.value.detail


# One bad rule per message of the rule checker, with what its Chinese message must say: where
# (the condition's position and its field's label) and what is wrong. Input the user typed
# (keys, codes) may stay as given; nothing else may be English.
ZH_CASES = [
    ({"all": [{"all": []}] * 1}, rules.EMPTY_GROUP, "第 1 个条件 › 「全部满足」条件组：条件组至少"),
    (1, rules.NOT_OBJECT, "规则：每个条件都必须是一个对象"),
    (
        {
            "not": {
                "not": {
                    "not": {
                        "not": {
                            "not": {
                                "not": {
                                    "not": {
                                        "not": {
                                            "not": {
                                                "not": {
                                                    "not": {
                                                        "not": {
                                                            "not": {"field": "kol", "op": "is_true"}
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
        rules.DEPTH,
        "嵌套超过 12 层",
    ),  # fmt: skip
    ({"any": [{"field": "kol", "op": "is_true"}] * 101}, rules.TOO_MANY, "最多 100 个条件"),
    ({"all": [{"weird": 1}]}, rules.UNKNOWN_NODE, "第 1 个条件：无法识别的条件类型 weird"),
    ({"all": [{"not": {}, "x": 1}]}, rules.EXTRA_KEYS, "第 1 个条件：不支持的键 x"),
    ({"field": 3, "op": "eq"}, rules.FIELD_NOT_TEXT, "规则：字段必须是标签名称"),
    (
        {"all": [{"field": "nope", "op": "eq", "value": 1}]},
        rules.UNKNOWN_FIELD,
        '第 1 个条件：未知字段 "nope"（既不是标签，也不是模型分）',
    ),  # fmt: skip
    (
        {"all": [{"field": "kol", "op": "is_true"}, {"field": "gender", "op": "gt", "value": "F"}]},
        rules.BAD_OP,
        "第 2 个条件（性别）：运算符「大于」不适用于该字段，可选：",
    ),  # fmt: skip
    (
        {"field": "kol", "op": "is_true", "value": 1},
        rules.TAKES_NO_VALUE,
        "条件（意见领袖）：运算符「是」不需要取值",
    ),  # fmt: skip
    (
        {"field": "orders_total", "op": "gte"},
        rules.NEEDS_VALUE,
        "条件（累计订单数）：运算符「大于等于」需要填写取值",
    ),  # fmt: skip
    (
        {"field": "lifecycle_stage", "op": "in", "value": []},
        rules.NEEDS_LIST,
        "运算符「属于」至少需要一个取值",
    ),  # fmt: skip
    ({"field": "orders_total", "op": "between", "value": [1]}, rules.BETWEEN, "下限和上限"),
    (
        {"all": [{"field": "orders_total", "op": "gte", "value": None}]},
        rules.VALUE_MISSING,
        "第 1 个条件（累计订单数）：请填写取值",
    ),  # fmt: skip
    ({"field": "city", "op": "eq", "value": "x\\"}, rules.NOT_TEXT, "不含控制字符或反斜杠"),
    (
        {"field": "orders_total", "op": "gte", "value": "3"},
        rules.NOT_INTEGER,
        '条件（累计订单数）：取值应为整数，收到的是 "3"',
    ),  # fmt: skip
    (
        {"field": "sales_total", "op": "gte", "value": "many"},
        rules.NOT_NUMBER,
        '取值应为数字，收到的是 "many"',
    ),  # fmt: skip
    (
        {"field": "first_order_date", "op": "gt", "value": "yesterday"},
        rules.NOT_DATE,
        '取值应为日期（年-月-日，如 2026-01-31），收到的是 "yesterday"',
    ),  # fmt: skip
    (
        {"purchase": {"category": "X", "days": 0}},
        rules.OUT_OF_RANGE,
        "购买条件 › 最近天数：应为 1 到 3650 之间的整数",
    ),  # fmt: skip
    ({"purchase": 3}, rules.NEEDS_OBJECT, "购买条件：该条件需要一个对象"),
    ({"customer_list": {"label": 5, "ids": ["C1"]}}, rules.BAD_LABEL, "客户名单 › 名单名称"),
    ({"customer_list": {"ids": []}}, rules.NO_IDS, "客户名单 › 客户编号：名单至少需要一个客户编号"),
    (
        {"customer_list": {"ids": ["C1"] * 5001}},
        rules.TOO_MANY_IDS,
        "最多 5000 位客户，这份名单有 5001 位",
    ),
    (
        {"customer_list": {"ids": ["C1", "x' OR 1=1"]}},
        rules.NOT_AN_ID,
        "客户名单 › 第 2 个客户编号：",
    ),  # fmt: skip
    ({"event": {"type": "drop table"}}, rules.NOT_EVENT_TYPE, "行为条件 › 行为类型：应为行为类型"),
]


@pytest.mark.parametrize(("rule", "message", "expected"), ZH_CASES)
def test_bad_rules_read_in_chinese_naming_the_field(rule, message, expected) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        compile_rule(rule)
    exc = err.value
    assert exc.message == message
    with i18n.use_locale("zh_CN"):
        zh = i18n.gettext(exc.message) % exc.params
    assert expected in zh, zh
    # no English left but the user's own input (keys, codes, values) and the date format
    own = {str(v) for v in re.findall(r"[A-Za-z_]+", str(rule))} | {"YYYY", "MM", "DD"}
    own |= {"all", "any", "not", "store_visit"}
    assert not [w for w in re.findall(r"[A-Za-z_]+", zh) if w not in own], zh
    with i18n.use_locale("en"):
        en = i18n.gettext(exc.message) % exc.params
    assert not re.search(r"[\u4e00-\u9fff]", en), en  # the English console reads English
    # the parameters stay plain text (English) wherever they are stored or logged
    assert not re.search(r"[\u4e00-\u9fff]", json.loads(json.dumps(exc.params))["where"])


def test_every_rule_message_has_a_case() -> None:
    # no operator of a boolean field takes a value: the last check of a value is reached only
    # by a new field type, so it is read here directly
    with pytest.raises(InvalidInput) as err:
        rules._Compiler(rules.tag_fields()).literal(1, "boolean", "value")
    assert err.value.message == rules.NOT_COMPARABLE
    with i18n.use_locale("zh_CN"):
        assert i18n.gettext(err.value.message) % err.value.params == "规则：该字段的取值无法比较"
    cases = {m for _r, m, _e in ZH_CASES} | {rules.NOT_COMPARABLE}
    assert cases == set(rules.RULE_MESSAGES)


def test_score_fields_need_the_scores_table() -> None:
    rule = {"field": "score.churn_probability", "op": "gte", "value": 0.5}
    with pytest.raises(InvalidInput, match="unknown field"):
        compile_rule(rule)
    compiled = compile_rule(rule, score_columns={"churn_probability": "number"})
    assert compiled.uses_scores
    assert "customer_scores" in compiled.from_sql()


def test_count_matches_pandas(insight_duckdb, tags, small_world) -> None:
    rule = {
        "all": [
            {"field": "gender", "op": "eq", "value": "F"},
            {"not": {"field": "lifecycle_stage", "op": "in", "value": ["churned", "prospect"]}},
            {
                "any": [
                    {"field": "sales_total", "op": "gte", "value": 1000},
                    {"field": "is_omnichannel", "op": "is_true"},
                ]
            },
        ]
    }
    got = service.count_segment(insight_duckdb, rule)["count"]
    expected = tags[
        (tags.gender == "F")
        & ~tags.lifecycle_stage.isin(["churned", "prospect"])
        & ((tags.sales_total >= 1000) | tags.is_omnichannel.fillna(False))
    ]
    assert got == len(expected) > 0


def test_event_conditions_match_pandas(insight_duckdb, small_world) -> None:
    events = small_world["events"].to_pandas()
    as_of = insight_duckdb.scalar("SELECT as_of FROM ins_as_of")
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=60)
    recent = events[
        (events.event_type == "store_visit") & (events.occurred_at.dt.normalize() > cutoff)
    ]
    visitors = set(recent.customer_id)
    customers = set(small_world["customers"].to_pandas().customer_id)
    did_not_visit = service.segment_member_ids(
        insight_duckdb, {"no_event": {"type": "store_visit", "days": 60}}
    )
    assert set(did_not_visit) == customers - visitors

    lines = small_world["order_lines"].to_pandas()
    orders = small_world["orders"].to_pandas()
    products = small_world["dim_product"].to_pandas()
    m = lines.merge(
        orders[["source", "order_id", "status", "ordered_at"]], on=["source", "order_id"]
    )
    m = m.merge(products[["sku", "category_code"]], on="sku")
    m = m[(m.status == "paid") & (m.category_code == "GIFT")]
    m = m[m.ordered_at.dt.normalize() > pd.Timestamp(as_of) - pd.Timedelta(days=180)]
    days = m.groupby("customer_id").ordered_at.apply(lambda s: s.dt.normalize().nunique())
    expected = sorted(days[days >= 2].index)
    got = service.segment_member_ids(
        insight_duckdb, {"purchase": {"category": "GIFT", "min_times": 2, "days": 180}}
    )
    assert got == expected
    assert len(got) > 0


def test_breakdown_and_store_scope(insight_duckdb, tags) -> None:
    rule = {"field": "orders_total", "op": "gte", "value": 1}
    out = service.count_segment(insight_duckdb, rule, breakdown=True)
    assert out["count"] == int((tags.orders_total >= 1).sum())
    for dim in ("store", "region", "channel", "tier"):
        assert sum(g["count"] for g in out["breakdown"][dim]) == out["count"]
    scoped = service.count_segment(insight_duckdb, rule, store_codes=["S0001", "S0002"])
    buyers = tags[tags.orders_total >= 1]
    expected = buyers[
        buyers.preferred_store.isin(["S0001", "S0002"]) | buyers.home_store.isin(["S0001", "S0002"])
    ]
    assert scoped["count"] == len(expected) > 0
    assert service.count_segment(insight_duckdb, rule, store_codes=[])["count"] == 0


def test_csv_export(insight_duckdb, tmp_path) -> None:
    rule = {"field": "lifecycle_stage", "op": "eq", "value": "dormant"}
    out = tmp_path / "dormant.csv"
    n = service.export_members_csv(insight_duckdb, rule, out)
    frame = pd.read_csv(out)
    assert len(frame) == n > 0
    assert (frame.lifecycle_stage == "dormant").all()


@pytest.mark.parametrize(("min_times", "days"), [(1, 30), (2, 180), (3, 365), (1, 3650)])
def test_category_condition_reads_the_category_day_table(insight_duckdb, min_times, days) -> None:
    """The precomputed category × day table gives the members of the SKU-level definition."""
    categories = [
        r["category_code"]
        for r in insight_duckdb.fetch_rows(
            "SELECT DISTINCT category_code FROM dim_product ORDER BY 1"
        )
    ]
    compiled = service.compile_for(
        insight_duckdb, {"purchase": {"category": categories[0], "days": days}}
    )
    assert "ins_customer_category_day" in compiled.where
    matched = 0
    for category in categories:
        rule = {"purchase": {"category": category, "min_times": min_times, "days": days}}
        expected = [
            r["customer_id"]
            for r in insight_duckdb.fetch_rows(
                "SELECT s.customer_id FROM ins_customer_sku_day s "
                "JOIN dim_product p ON p.sku = s.sku WHERE p.category_code = ? "
                "AND s.order_day > (SELECT as_of FROM ins_as_of) - ? GROUP BY s.customer_id "
                "HAVING count(DISTINCT s.order_day) >= ? ORDER BY s.customer_id",
                [category, days, min_times],
            )
        ]
        assert service.segment_member_ids(insight_duckdb, rule) == expected, category
        matched += len(expected)
    assert matched > 0


def test_example_category_is_the_one_counting_most_members(insight_duckdb) -> None:
    """The starting rule proposes the category whose purchase condition matches the most
    members, read from the per-customer category table (no scan of order_lines)."""
    cond = service.EXAMPLE_RULE["all"][2]["purchase"]
    cats = [
        str(r["category_code"])
        for r in insight_duckdb.fetch_rows("SELECT DISTINCT category_code FROM dim_product")
    ]
    counts = {
        c: service.count_segment(insight_duckdb, {"purchase": {**cond, "category": c}})["count"]
        for c in cats
    }
    best = max(counts.values())
    assert best > 0
    top = service.example_category(insight_duckdb)
    assert top in cats
    assert counts[top] == best


def test_example_category_without_features_counts_order_lines(small_world) -> None:
    """A snapshot without the features step's tables falls back to the most order lines."""
    engine = DuckDBEngine()
    for name in ("order_lines", "dim_product"):
        engine.register_arrow(name, small_world[name])
    lines = (
        small_world["order_lines"]
        .to_pandas()
        .merge(small_world["dim_product"].to_pandas()[["sku", "category_code"]], on="sku")
    )
    n = lines.groupby("category_code").size()
    expected = min(c for c, v in n.items() if v == n.max())
    assert service.example_category(engine) == expected
    engine.close()


def test_a_customer_list_matches_exactly_its_known_customers(insight_duckdb, tags) -> None:
    """A fixed list (新品找人 saved as a segment) holds the listed customers the snapshot
    knows, combines with other conditions and ignores ids it does not know."""
    listed = sorted(tags.customer_id)[:40:2]
    rule = {"customer_list": {"label": "新品找人：藤椒鸭脖", "ids": [*listed, "C404404404"]}}
    assert service.segment_member_ids(insight_duckdb, rule) == listed
    women = {"all": [rule, {"field": "gender", "op": "eq", "value": "F"}]}
    expected = sorted(tags[tags.customer_id.isin(listed) & (tags.gender == "F")].customer_id)
    assert service.segment_member_ids(insight_duckdb, women) == expected
    assert 0 < len(expected) < len(listed)
