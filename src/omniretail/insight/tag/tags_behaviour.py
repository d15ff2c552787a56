"""Tags of the families 兴趣偏好 (interests), 生命周期 (lifecycle) and 社交属性 (social)."""

from __future__ import annotations

from omniretail.insight.tag.catalogue import Tag

# One tag per entry reads better than one argument per line.
# fmt: off

def _ratio(num: str, den: str) -> str:
    return f"CASE WHEN ({den}) > 0 THEN CAST({num} AS DOUBLE) / ({den}) END"


INTEREST: list[Tag] = [
    Tag("top_category", "最爱品类", "Favourite category", "interest", "string",
        "f.top_category", "Category with the most units bought (ties by code).", "incremental"),
    Tag("second_category", "次爱品类", "Second category", "interest", "string",
        "f.second_category", "Category with the second most units.", "incremental"),
    Tag("top_parent_category", "偏好大类", "Favourite department", "interest", "string",
        "f.top_parent_category", "Parent category with the most units.", "incremental"),
    Tag("top_category_share", "最爱品类占比", "Favourite category share", "interest", "number",
        _ratio("f.top_category_units", "f.sku_units"),
        "Units of the favourite category / all units.", "incremental"),
    Tag("category_count", "购买品类数", "Categories bought", "interest", "integer",
        "f.category_count", "Distinct categories bought.", "incremental"),
    Tag("category_breadth", "品类广度", "Category breadth", "interest", "string",
        "CASE WHEN f.category_count >= 4 THEN 'broad' WHEN f.category_count >= 2 THEN 'medium' "
        "WHEN f.category_count = 1 THEN 'narrow' END",
        "broad (≥ 4 categories), medium (2-3), narrow (1).", "incremental",
        ("broad", "medium", "narrow")),
    Tag("top_brand", "偏好品牌", "Favourite brand", "interest", "string", "f.top_brand",
        "Brand with the most units.", "incremental"),
    Tag("brand_count", "购买品牌数", "Brands bought", "interest", "integer", "f.brand_count",
        "Distinct brands bought.", "incremental"),
    Tag("brand_loyal", "品牌忠诚", "Brand loyal", "interest", "boolean",
        "f.brand_count = 1 AND f.orders_total >= 3",
        "Three or more orders, all of one brand.", "incremental"),
    Tag("top_flavor", "偏好口味", "Favourite flavour", "interest", "string", "f.top_flavor",
        "Flavour (香辣, 甜辣, 五香 ...) with the most units.", "incremental"),
    Tag("flavor_count", "尝试口味数", "Flavours tried", "interest", "integer", "f.flavor_count",
        "Distinct flavours bought.", "incremental"),
    Tag("favorite_sku", "最常购商品", "Favourite product", "interest", "string",
        "f.favorite_sku", "SKU with the most units.", "incremental"),
    Tag("distinct_skus", "购买商品数", "Products bought", "interest", "integer",
        "f.distinct_skus", "Distinct SKUs bought.", "incremental"),
    Tag("new_product_share", "新品购买占比", "New-product share", "interest", "number",
        _ratio("f.new_product_units", "f.sku_units"),
        "Units bought within 90 days of the product's launch / all units.", "incremental"),
    Tag("new_product_lover", "尝新型顾客", "New-product lover", "interest", "boolean",
        "f.sku_units >= 3 AND f.new_product_units * 3 >= f.sku_units",
        "At least a third of units were new products (≥ 3 units).", "incremental"),
    Tag("product_views_90d", "近90天浏览商品次数", "Product views (90 days)", "interest",
        "integer", "f.product_views_90d", "product_view events in the last 90 days."),
    Tag("add_to_carts", "加购次数", "Add-to-carts", "interest", "integer", "f.add_to_carts",
        "add_to_cart events, all time.", "incremental"),
    Tag("content_interactions", "内容互动次数", "Content interactions", "interest", "integer",
        "f.page_views + f.message_clicks",
        "page_view and message_click events, all time.", "incremental"),
    Tag("message_clicks_90d", "近90天消息点击", "Message clicks (90 days)", "interest",
        "integer", "f.message_clicks_90d", "message_click events in the last 90 days."),
    Tag("coupon_claims_90d", "近90天领券次数", "Coupons claimed (90 days)", "interest",
        "integer", "f.coupon_claims_90d", "coupon_claim events in the last 90 days."),
    Tag("browse_to_buy", "浏览转化率", "Browse-to-buy", "interest", "number",
        _ratio("f.orders_total", "f.product_views"),
        "Paid orders / product views (all time).", "incremental"),
]

LIFECYCLE: list[Tag] = [
    Tag("lifecycle_stage", "生命周期阶段", "Lifecycle stage", "lifecycle", "string", "l.stage",
        "prospect, new, growing, mature, dormant (declining) or churned — windows scale with "
        "the replenishment cycle of what the customer buys (see docs/insight.md).", "daily",
        ("prospect", "new", "growing", "mature", "dormant", "churned")),
    Tag("rfm_group", "RFM分群", "RFM group", "lifecycle", "string", "r.rfm_group",
        "One of the eight classic groups (重要价值 ... 一般挽留): R, F and M each high when the "
        "score is above the buyers' mean score.", "daily",
        ("重要价值", "重要发展", "重要保持", "重要挽留",
         "一般价值", "一般发展", "一般保持", "一般挽留")),
    Tag("rfm_r", "R评分", "R score", "lifecycle", "integer", "r.r_score",
        "Recency score 1-5 (5 = most recent)."),
    Tag("rfm_f", "F评分", "F score", "lifecycle", "integer", "r.f_score",
        "Frequency score 1-5 (paid orders in the RFM window)."),
    Tag("rfm_m", "M评分", "M score", "lifecycle", "integer", "r.m_score",
        "Monetary score 1-5 (spend in the RFM window)."),
    Tag("rfm_code", "RFM编码", "RFM code", "lifecycle", "string", "r.rfm_code",
        "The three scores as one code, e.g. 545."),
    Tag("first_order_date", "首购日期", "First order date", "lifecycle", "date",
        "f.first_order_day", "Day of the first paid order.", "incremental"),
    Tag("last_order_date", "末次购买日期", "Last order date", "lifecycle", "date",
        "f.last_order_day", "Day of the latest paid order.", "incremental"),
    Tag("days_since_last_order", "距上次购买天数", "Days since last order", "lifecycle",
        "integer", "f.recency_days", "Days from the last paid order to the reference day."),
    Tag("customer_age_days", "首购至今天数", "Days since first order", "lifecycle", "integer",
        "f.first_order_days_ago", "Days from the first paid order to the reference day."),
    Tag("tenure_months", "会员时长(月)", "Tenure (months)", "lifecycle", "integer",
        "floor(date_diff('day', CAST(coalesce(c.registered_at, c.first_seen_at) AS DATE), "
        "a.as_of) / 30.4375)",
        "Months since registration (or first sighting)."),
    Tag("repurchase_cycle_days", "复购周期(天)", "Repurchase cycle (days)", "lifecycle",
        "number",
        "CASE WHEN f.purchase_days >= 2 THEN CAST(f.first_order_days_ago - f.recency_days AS "
        "DOUBLE) / (f.purchase_days - 1) END",
        "Average days between purchase days (needs two purchase days).", "incremental"),
    Tag("replenish_cycle_days", "品类补货周期(天)", "Category replenish cycle", "lifecycle",
        "number", "f.replenish_days",
        "Unit-weighted replenish_days (dim_product) of what the customer buys.", "incremental"),
    Tag("next_purchase_date", "预计下次购买日", "Expected next purchase", "lifecycle", "date",
        "f.last_order_day + CAST(round(coalesce(l.cycle_days, 30)) AS INTEGER)",
        "Last order day + the customer's cycle (personal, else category-based)."),
    Tag("overdue_ratio", "超期倍数", "Overdue ratio", "lifecycle", "number",
        "CASE WHEN l.cycle_days > 0 THEN f.recency_days / l.cycle_days END",
        "Days since last order / expected cycle; above 1 means overdue."),
    Tag("dormancy_risk", "沉睡风险", "Dormancy risk", "lifecycle", "string",
        "CASE WHEN f.orders_total = 0 THEN NULL WHEN f.recency_days > l.dormant_after_days "
        "THEN 'high' WHEN f.recency_days > l.cycle_days * 1.5 THEN 'medium' ELSE 'low' END",
        "high (already dormant), medium (past 1.5 cycles), low.", "daily",
        ("high", "medium", "low")),
    Tag("is_dormant", "沉睡会员", "Dormant", "lifecycle", "boolean", "l.stage = 'dormant'",
        "In the dormant stage: a reactivation target."),
    Tag("is_churned", "流失会员", "Churned", "lifecycle", "boolean", "l.stage = 'churned'",
        "In the churned stage."),
    Tag("is_repeat_buyer", "复购顾客", "Repeat buyer", "lifecycle", "boolean",
        "f.purchase_days >= 2", "Bought on at least two different days.", "incremental"),
    Tag("days_since_last_visit", "距上次到店天数", "Days since last visit", "lifecycle",
        "integer", "f.visit_recency_days", "Days since the latest store_visit event."),
    Tag("days_since_last_activity", "距上次活跃天数", "Days since last activity", "lifecycle",
        "integer",
        "CASE WHEN f.recency_days IS NULL THEN f.event_recency_days "
        "WHEN f.event_recency_days IS NULL THEN f.recency_days "
        "ELSE least(f.recency_days, f.event_recency_days) END",
        "Days since the latest order or event."),
    Tag("active_months_12m", "近一年活跃月数", "Active months (12m)", "lifecycle", "integer",
        "f.active_months_12m", "Months with a paid order in the last 365 days."),
]

SOCIAL: list[Tag] = [
    Tag("shares_total", "分享次数", "Shares", "social", "integer", "f.shares",
        "share events, all time.", "incremental"),
    Tag("shares_90d", "近90天分享次数", "Shares (90 days)", "social", "integer",
        "f.shares_90d", "share events in the last 90 days."),
    Tag("referrals_total", "推荐新客数", "Referrals", "social", "integer", "f.referrals",
        "referral events (friends brought in).", "incremental"),
    Tag("is_referrer", "推荐达人", "Referrer", "social", "boolean", "f.referrals > 0",
        "Has referred at least one friend.", "incremental"),
    Tag("group_buy_joins", "参团次数", "Group-buys joined", "social", "integer",
        "f.group_buy_joins", "group_buy_join events.", "incremental"),
    Tag("group_buy_leads", "开团次数", "Group-buys led", "social", "integer",
        "f.group_buy_leads", "group_buy_lead events.", "incremental"),
    Tag("group_buy_role", "团购角色", "Group-buy role", "social", "string",
        "CASE WHEN f.group_buy_leads > 0 THEN 'leader' WHEN f.group_buy_joins > 0 THEN 'member' "
        "END", "leader (led a group-buy, 团长), member (joined one) or none.", "incremental",
        ("leader", "member")),
    Tag("reviews_total", "评价数", "Reviews", "social", "integer", "f.reviews_total",
        "Reviews written.", "incremental"),
    Tag("avg_rating", "平均评分", "Average rating", "social", "number", "f.avg_rating",
        "Mean review rating (1-5).", "incremental"),
    Tag("review_sentiment", "评价情感", "Review sentiment", "social", "string",
        "CASE WHEN f.reviews_total = 0 THEN NULL WHEN f.negative_reviews * 3 >= f.reviews_total "
        "THEN 'negative' WHEN f.positive_reviews * 3 >= f.reviews_total * 2 THEN 'positive' "
        "ELSE 'neutral' END",
        "From ratings: negative when ≥ 1/3 of reviews rate ≤ 2, positive when ≥ 2/3 rate ≥ 4.",
        "incremental", ("positive", "neutral", "negative")),
    Tag("negative_reviews", "差评数", "Negative reviews", "social", "integer",
        "f.negative_reviews", "Reviews rated 1 or 2.", "incremental"),
    Tag("nps_role", "NPS角色", "NPS role", "social", "string",
        "CASE WHEN f.avg_rating IS NULL THEN NULL WHEN f.avg_rating >= 4.5 THEN 'promoter' "
        "WHEN f.avg_rating >= 3.5 THEN 'passive' ELSE 'detractor' END",
        "From the mean rating: promoter (≥ 4.5), passive (≥ 3.5), detractor.", "incremental",
        ("promoter", "passive", "detractor")),
    Tag("text_review_share", "文字评价占比", "Text review share", "social", "number",
        _ratio("f.text_reviews", "f.reviews_total"), "Reviews with text / reviews.",
        "incremental"),
    Tag("days_since_last_review", "距上次评价天数", "Days since last review", "social",
        "integer", "f.review_recency_days", "Days since the latest review."),
    Tag("social_influence", "社交影响力", "Social influence", "social", "integer",
        "f.shares + 2 * f.referrals + 3 * f.group_buy_leads + f.reviews_total",
        "shares + 2 × referrals + 3 × group-buys led + reviews.", "incremental"),
    Tag("kol", "意见领袖", "Key opinion customer", "social", "boolean",
        "f.shares + 2 * f.referrals + 3 * f.group_buy_leads + f.reviews_total >= 15",
        "Social influence of 15 or more.", "incremental"),
]

TAGS: list[Tag] = [*INTEREST, *LIFECYCLE, *SOCIAL]
# fmt: on
