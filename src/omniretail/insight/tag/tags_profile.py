"""Tags of the families 基本信息 (basic information) and 消费行为 (consumption behaviour)."""

from __future__ import annotations

from omniretail.insight.tag.catalogue import Tag

# One tag per entry reads better than one argument per line.
# fmt: off
_AGE = "floor(date_diff('day', c.birthday, a.as_of) / 365.25)"
_MD = "(month(c.birthday) * 100 + dayofmonth(c.birthday))"


def _ratio(num: str, den: str) -> str:
    return f"CASE WHEN ({den}) > 0 THEN CAST({num} AS DOUBLE) / ({den}) END"


BASIC: list[Tag] = [
    Tag("gender", "性别", "Gender", "basic", "string", "c.gender",
        "Golden-record gender: F or M (null when unknown).", "profile", ("F", "M")),
    Tag("age", "年龄", "Age", "basic", "integer", _AGE,
        "Whole years between birthday and the reference day.", "daily"),
    Tag("age_band", "年龄段", "Age band", "basic", "string",
        f"CASE WHEN {_AGE} < 18 THEN '<18' WHEN {_AGE} < 25 THEN '18-24' "
        f"WHEN {_AGE} < 35 THEN '25-34' WHEN {_AGE} < 45 THEN '35-44' "
        f"WHEN {_AGE} < 55 THEN '45-54' WHEN {_AGE} >= 55 THEN '55+' END",
        "Age in bands <18, 18-24, 25-34, 35-44, 45-54, 55+.", "daily",
        ("<18", "18-24", "25-34", "35-44", "45-54", "55+")),
    Tag("generation", "世代", "Generation", "basic", "string",
        "CASE WHEN year(c.birthday) >= 2000 THEN '00后' WHEN year(c.birthday) >= 1995 THEN '95后' "
        "WHEN year(c.birthday) >= 1990 THEN '90后' WHEN year(c.birthday) >= 1980 THEN '80后' "
        "WHEN year(c.birthday) >= 1970 THEN '70后' WHEN c.birthday IS NOT NULL THEN '70前' END",
        "Birth cohort as used in Chinese marketing (00后, 95后, 90后, 80后, 70后, 70前).",
        "profile"),
    Tag("birthday_month", "生日月份", "Birthday month", "basic", "integer",
        "month(c.birthday)", "Month of the birthday (1-12), for birthday campaigns.", "profile"),
    Tag("birthday_this_month", "本月生日", "Birthday this month", "basic", "boolean",
        "month(c.birthday) = month(a.as_of)",
        "True when the birthday falls in the reference day's month.", "daily"),
    Tag("constellation", "星座", "Star sign", "basic", "string",
        f"CASE WHEN c.birthday IS NULL THEN NULL WHEN {_MD} < 120 THEN '摩羯座' "
        f"WHEN {_MD} < 219 THEN '水瓶座' WHEN {_MD} < 321 THEN '双鱼座' "
        f"WHEN {_MD} < 420 THEN '白羊座' WHEN {_MD} < 521 THEN '金牛座' "
        f"WHEN {_MD} < 622 THEN '双子座' WHEN {_MD} < 723 THEN '巨蟹座' "
        f"WHEN {_MD} < 823 THEN '狮子座' WHEN {_MD} < 923 THEN '处女座' "
        f"WHEN {_MD} < 1024 THEN '天秤座' WHEN {_MD} < 1123 THEN '天蝎座' "
        f"WHEN {_MD} < 1222 THEN '射手座' ELSE '摩羯座' END",
        "Western star sign from the birthday (tropical dates).", "profile"),
    Tag("province", "省份", "Province", "basic", "string", "coalesce(c.province, hs.province)",
        "Province of the golden record, else of the home store.", "profile"),
    Tag("city", "城市", "City", "basic", "string", "coalesce(c.city, hs.city)",
        "City of the golden record, else of the home store.", "profile"),
    Tag("region", "大区", "Sales region", "basic", "string",
        "coalesce(hs.region, ps.region)",
        "Sales region (华中, 华东 ...) of the home store, else of the preferred store.", "profile"),
    Tag("home_store", "归属门店", "Home store", "basic", "string", "c.home_store_code",
        "Store the member registered with (store code).", "profile"),
    Tag("is_member", "是否注册会员", "Registered member", "basic", "boolean",
        "c.registered_at IS NOT NULL", "True when the customer registered as a member.",
        "profile"),
    Tag("member_days", "入会天数", "Days since registration", "basic", "integer",
        "date_diff('day', CAST(c.registered_at AS DATE), a.as_of)",
        "Days from registration to the reference day.", "daily"),
    Tag("registration_year", "入会年份", "Registration year", "basic", "integer",
        "year(c.registered_at)", "Calendar year of registration.", "profile"),
    Tag("has_phone", "有手机号", "Has phone", "basic", "boolean", "c.phone IS NOT NULL",
        "A verified mobile number is on file.", "profile"),
    Tag("has_email", "有邮箱", "Has e-mail", "basic", "boolean", "c.email IS NOT NULL",
        "An e-mail address is on file.", "profile"),
    Tag("consent_sms", "短信可触达", "SMS opt-in", "basic", "boolean",
        "coalesce(c.consent_sms, false)", "Opted in to marketing SMS.", "profile"),
    Tag("consent_wechat", "微信可触达", "WeChat opt-in", "basic", "boolean",
        "coalesce(c.consent_wechat, false)", "Opted in to WeChat messages.", "profile"),
    Tag("consent_email", "邮件可触达", "E-mail opt-in", "basic", "boolean",
        "coalesce(c.consent_email, false)", "Opted in to marketing e-mail.", "profile"),
    Tag("consent_app_push", "APP推送可触达", "App push opt-in", "basic", "boolean",
        "coalesce(c.consent_app_push, false)", "Opted in to app push notifications.", "profile"),
    Tag("reachable_channels", "可触达渠道数", "Reachable channels", "basic", "integer",
        "CAST(coalesce(c.consent_sms, false) AS INTEGER) + CAST(coalesce(c.consent_wechat, false)"
        " AS INTEGER) + CAST(coalesce(c.consent_email, false) AS INTEGER)"
        " + CAST(coalesce(c.consent_app_push, false) AS INTEGER)",
        "Number of message channels with an opt-in (SMS, WeChat, e-mail, app push).",
        "profile"),
    Tag("identity_sources", "身份来源数", "Identity sources", "basic", "integer",
        "coalesce(array_length(c.sources), 0)",
        "Number of source systems the customer was resolved from.", "profile"),
]

CONSUMPTION: list[Tag] = [
    Tag("orders_total", "累计订单数", "Orders (lifetime)", "consumption", "integer",
        "f.orders_total", "Paid orders, all time.", "incremental"),
    Tag("orders_30d", "近30天订单数", "Orders (30 days)", "consumption", "integer",
        "f.orders_30d", "Paid orders in the 30 days up to the reference day."),
    Tag("orders_90d", "近90天订单数", "Orders (90 days)", "consumption", "integer",
        "f.orders_90d", "Paid orders in the last 90 days."),
    Tag("orders_365d", "近一年订单数", "Orders (365 days)", "consumption", "integer",
        "f.orders_365d", "Paid orders in the last 365 days."),
    Tag("sales_total", "累计消费金额", "Spend (lifetime)", "consumption", "number",
        "f.sales_total", "Sum of paid_amount of paid orders, all time (CNY).", "incremental"),
    Tag("sales_90d", "近90天消费金额", "Spend (90 days)", "consumption", "number",
        "f.sales_90d", "Paid amount in the last 90 days (CNY)."),
    Tag("sales_365d", "近一年消费金额", "Spend (365 days)", "consumption", "number",
        "f.sales_365d", "Paid amount in the last 365 days (CNY)."),
    Tag("aov", "客单价", "Average order value", "consumption", "number",
        _ratio("f.sales_total", "f.orders_total"), "Lifetime spend / paid orders (CNY).",
        "incremental"),
    Tag("max_order_amount", "最高单笔金额", "Largest order", "consumption", "number",
        "f.max_order_amount", "Largest paid order (CNY).", "incremental"),
    Tag("units_total", "累计购买件数", "Units (lifetime)", "consumption", "integer",
        "f.units_total", "Items bought in paid orders.", "incremental"),
    Tag("units_per_order", "件单价", "Units per order", "consumption", "number",
        _ratio("f.units_total", "f.orders_total"), "Average items per paid order (basket size).",
        "incremental"),
    Tag("lines_per_order", "单均商品行数", "Lines per order", "consumption", "number",
        _ratio("f.lines_total", "f.orders_total"), "Average distinct order lines per order.",
        "incremental"),
    Tag("avg_unit_price", "件均价", "Average unit price", "consumption", "number",
        _ratio("f.sales_total", "f.units_total"), "Spend / units.", "incremental"),
    Tag("price_band", "价格带偏好", "Price band", "consumption", "string",
        "CASE WHEN f.price_index_units IS NULL OR f.sku_units = 0 THEN NULL "
        "WHEN f.price_index_units / f.sku_units >= 1.05 THEN 'high' "
        "WHEN f.price_index_units / f.sku_units <= 0.95 THEN 'low' ELSE 'mid' END",
        "Unit prices paid relative to the category average: high (≥ +5 %), low (≤ -5 %), mid.",
        "incremental", ("high", "mid", "low")),
    Tag("value_tier", "价值等级", "Value tier", "consumption", "string",
        "CASE WHEN f.sales_365d >= 3000 THEN 'diamond' WHEN f.sales_365d >= 1500 THEN 'gold' "
        "WHEN f.sales_365d >= 500 THEN 'silver' WHEN f.orders_total > 0 THEN 'regular' END",
        "Tier by 365-day spend: diamond ≥ 3000, gold ≥ 1500, silver ≥ 500 CNY, else regular.",
        "daily", ("diamond", "gold", "silver", "regular")),
    Tag("spend_trend", "消费趋势", "Spend trend", "consumption", "string",
        "CASE WHEN f.orders_total = 0 THEN NULL "
        "WHEN f.sales_prev_365d = 0 AND f.sales_365d > 0 THEN 'new' "
        "WHEN f.sales_365d >= f.sales_prev_365d * 1.2 THEN 'up' "
        "WHEN f.sales_365d <= f.sales_prev_365d * 0.8 THEN 'down' ELSE 'flat' END",
        "Last 365 days vs the 365 before: up (≥ +20 %), down (≤ -20 %), flat, new.",
        "daily", ("up", "flat", "down", "new")),
    Tag("discount_rate", "折扣率", "Discount rate", "consumption", "number",
        _ratio("f.discount_total", "f.gross_total"), "Discounts / gross amount of paid orders.",
        "incremental"),
    Tag("coupon_order_share", "用券订单占比", "Coupon order share", "consumption", "number",
        _ratio("f.coupon_orders", "f.orders_total"), "Share of paid orders with a coupon.",
        "incremental"),
    Tag("coupon_sensitivity", "优惠券敏感度", "Coupon sensitivity", "consumption", "string",
        "CASE WHEN f.orders_total = 0 THEN NULL "
        "WHEN f.coupon_orders * 2 >= f.orders_total THEN 'high' "
        "WHEN f.coupon_orders * 5 >= f.orders_total THEN 'medium' ELSE 'low' END",
        "Coupon orders ≥ 50 % high, ≥ 20 % medium, else low.", "incremental",
        ("high", "medium", "low")),
    Tag("promotion_sensitivity", "促销敏感度", "Promotion sensitivity", "consumption", "string",
        "CASE WHEN f.gross_total = 0 THEN NULL WHEN f.discount_total >= f.gross_total * 0.08 "
        "THEN 'high' WHEN f.discount_total >= f.gross_total * 0.03 THEN 'medium' ELSE 'low' END",
        "Discount share of gross ≥ 8 % high, ≥ 3 % medium, else low.", "incremental",
        ("high", "medium", "low")),
    Tag("channel_count", "购买渠道数", "Purchase channels", "consumption", "integer",
        "f.channel_count", "Distinct channels with a paid order.", "incremental"),
    Tag("store_count", "到店门店数", "Stores bought in", "consumption", "integer",
        "f.store_count", "Distinct stores with a paid order.", "incremental"),
    Tag("most_active_channel", "最活跃渠道", "Most active channel", "consumption", "string",
        "f.most_active_channel",
        "Where a message will be seen: channel with the highest weight of orders (×2) and "
        "events in the last 180 days, weighted 4 (< 30 days), 2 (< 90), 1; ties by code."),
    Tag("preferred_store", "偏好门店", "Preferred store", "consumption", "string",
        "f.preferred_store",
        "Store with most paid orders in 365 days (ties: most recent), else the home store."),
    Tag("top_order_channel", "主要下单渠道", "Main ordering channel", "consumption", "string",
        "f.top_order_channel", "Channel with the most paid orders (ties by code).",
        "incremental"),
    Tag("online_order_share", "线上订单占比", "Online order share", "consumption", "number",
        _ratio("f.online_orders", "f.orders_total"), "Share of paid orders in online channels.",
        "incremental"),
    Tag("is_omnichannel", "全渠道顾客", "Omnichannel customer", "consumption", "boolean",
        "f.online_orders > 0 AND f.offline_orders > 0",
        "Bought both online and in a store.", "incremental"),
    Tag("delivery_share", "到家订单占比", "Delivery share", "consumption", "number",
        _ratio("f.delivery_orders", "f.orders_total"),
        "Share of paid orders delivered (delivery or express).", "incremental"),
    Tag("preferred_fulfillment", "偏好履约方式", "Preferred fulfilment", "consumption", "string",
        "f.preferred_fulfillment", "Most frequent fulfilment of paid orders.", "incremental"),
    Tag("preferred_payment", "偏好支付方式", "Preferred payment", "consumption", "string",
        "f.preferred_payment", "Most frequent payment method.", "incremental"),
    Tag("weekend_share", "周末消费占比", "Weekend share", "consumption", "number",
        _ratio("f.weekend_orders", "f.orders_total"), "Share of paid orders on Sat/Sun.",
        "incremental"),
    Tag("weekend_shopper", "周末型顾客", "Weekend shopper", "consumption", "boolean",
        "f.orders_total >= 2 AND f.weekend_orders * 2 > f.orders_total",
        "At least two orders and most of them at the weekend.", "incremental"),
    Tag("preferred_daypart", "偏好时段", "Preferred time of day", "consumption", "string",
        "f.preferred_daypart", "morning (<11h), afternoon (<17h), evening (<21h) or night.",
        "incremental", ("morning", "afternoon", "evening", "night")),
    Tag("preferred_weekday", "偏好星期", "Preferred weekday", "consumption", "integer",
        "f.preferred_weekday", "ISO weekday (1 = Monday) with the most paid orders.",
        "incremental"),
    Tag("purchase_days", "购买天数", "Purchase days", "consumption", "integer",
        "f.purchase_days", "Distinct days with a paid order.", "incremental"),
    Tag("returned_orders", "退货订单数", "Returned orders", "consumption", "integer",
        "f.returned_orders",
        "Orders with status returned (after fulfilment: a returned order or a credit note).",
        "incremental"),
    Tag("return_rate", "退货率", "Return rate", "consumption", "number",
        _ratio("f.returned_orders", "f.orders_total + f.returned_orders"),
        "Returned / (paid + returned) orders.", "incremental"),
    Tag("cancelled_orders", "取消订单数", "Cancelled orders", "consumption", "integer",
        "f.cancelled_orders", "Orders with status cancelled (before fulfilment).", "incremental"),
    Tag("returns_total", "退货金额", "Returns value", "consumption", "number",
        "f.returns_total", "Value of credit notes (returns after fulfilment, own document).",
        "incremental"),
    Tag("net_sales_total", "净消费金额", "Net spend", "consumption", "number",
        "f.net_sales_total", "Paid sales less credit notes (the RFM monetary value).",
        "incremental"),
    Tag("return_value_rate", "退货金额占比", "Returned share of spend", "consumption", "number",
        _ratio("f.returns_total", "f.sales_total"), "Credit notes / paid sales.",
        "incremental"),
    Tag("big_spender", "高客单顾客", "Big spender", "consumption", "boolean",
        "coalesce(f.max_order_amount >= 300, false)", "Has a single order of 300 CNY or more.",
        "incremental"),
    Tag("sales_30d", "近30天消费金额", "Spend (30 days)", "consumption", "number",
        "f.sales_30d", "Paid amount in the last 30 days (CNY)."),
]

TAGS: list[Tag] = [*BASIC, *CONSUMPTION]
# fmt: on
