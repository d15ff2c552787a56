"""What the 数据接入 page shows for the codes of intake: source names, quarantine reasons,
statuses and contract fields, as catalog messages (zh-CN first, English second).

A code without a label is shown as itself, marked as code, next to a generic label."""

from __future__ import annotations

from omniretail.platform.i18n import N_, gettext

SOURCES = {
    "pos": N_("Store POS"),
    "tmall": N_("Tmall"),
    "jd": N_("JD"),
    "douyin": N_("Douyin shop"),
    "kuaishou": N_("Kuaishou shop"),
    "meituan": N_("Meituan delivery"),
    "eleme": N_("Ele.me delivery"),
    "dianping": N_("Dianping reviews"),
    "miniprogram": N_("Mini-program"),
    "app": N_("Member app"),
    "wechat_oa": N_("WeChat official account"),
    "wecom": N_("WeCom"),
    "giftcard": N_("Gift cards"),
    "groupbuy": N_("Community group buying"),
    "enterprise": N_("Corporate sales"),
    "events": N_("Behaviour events"),
    "segment_events": N_("Behaviour events"),
    "reviews": N_("Reviews"),
    "master": N_("Master data"),
    "erp": N_("ERP master data"),
    "counter": N_("People counters"),
    "omniretail_orders": N_("Orders taken by omniretail"),
    "visits": N_("Store visits (check-ins, face-vendor matches)"),
    "uci_online_retail_ii": N_("UCI Online Retail II"),
}

STATUSES = {
    "open": N_("To handle"),
    "fixed": N_("Fixed, enters at the next run"),
    "reprocessed": N_("Accepted"),
    "discarded": N_("Discarded"),
}

ENTITIES = {
    "identity": N_("member record"),
    "identity_link": N_("identity link"),
    "order": N_("order"),
    "order_line": N_("order line"),
    "line": N_("order line"),
    "event": N_("event"),
    "review": N_("review"),
    "store": N_("store"),
    "channel": N_("channel"),
    "product": N_("product"),
    "category": N_("category"),
    "staff": N_("staff"),
    "traffic_count": N_("people count"),
    "traffic_door": N_("door"),
}

FIELDS = {
    "member_id": N_("member card"),
    "source_record_id": N_("record id"),
    "record_key": N_("member"),
    "phone": N_("mobile phone"),
    "phone_masked": N_("masked phone"),
    "email": N_("e-mail address"),
    "unionid": "unionid",
    "openid": "openid",
    "platform_buyer_id": N_("platform buyer id"),
    "wecom_external_userid": N_("WeCom contact id"),
    "name": N_("name"),
    "gender": N_("gender"),
    "birthday": N_("birthday"),
    "province": N_("province"),
    "city": N_("city"),
    "address": N_("address"),
    "country": N_("country"),
    "registered_at": N_("registration time"),
    "home_store_code": N_("home store"),
    "observed_at": N_("time seen"),
    "order_id": N_("order number"),
    "channel_code": N_("channel"),
    "store_code": N_("store"),
    "staff_code": N_("staff number"),
    "ordered_at": N_("order time"),
    "status": N_("status"),
    "fulfillment": N_("fulfilment"),
    "payment_method": N_("payment method"),
    "gross_amount": N_("amount before discounts"),
    "discount_amount": N_("discount amount"),
    "paid_amount": N_("amount paid"),
    "coupon_code": N_("coupon code"),
    "currency": N_("currency"),
    "line_no": N_("line number"),
    "sku": "SKU",
    "product_name": N_("product name"),
    "quantity": N_("quantity"),
    "unit_price": N_("unit price"),
    "discount": N_("discount"),
    "amount": N_("amount"),
    "event_id": N_("event id"),
    "event_type": N_("event type"),
    "occurred_at": N_("time of the event"),
    "review_id": N_("review id"),
    "rating": N_("rating"),
    "text": N_("text"),
    "created_at": N_("time created"),
}

EVENT_REASONS = {
    "not_an_object": N_("Not a JSON object"),
    "biometric_data_refused": N_("Carries biometric data (refused)"),
    "unknown_type": N_("Unknown event type"),
    "alias_needs_userId_and_previousId": N_("An alias needs userId and previousId"),
    "missing_userId_and_anonymousId": N_("No userId or anonymousId"),
    "track_needs_event_name": N_("A track call needs an event name"),
    "invalid_timestamp": N_("Invalid timestamp"),
    "invalid_messageId": N_("Invalid messageId"),
    "junk:test_account": N_("Test account"),
}


def source_label(code: str) -> str:
    label = SOURCES.get(code)
    return gettext(label) if label else code


def status_label(code: str) -> str:
    label = STATUSES.get(code)
    return gettext(label) if label else code


def _field(path: str) -> str:
    """``order.paid_amount`` → 实付金额（订单）."""
    ref, _, name = path.partition(".")
    field = gettext(FIELDS[name]) if name in FIELDS else name
    entity = gettext(ENTITIES[ref]) if ref in ENTITIES else ref
    return gettext("%(field)s (%(entity)s)") % {"field": field, "entity": entity}


def reason_label(code: str) -> str:
    """The quarantine reason in the user's language."""
    if code in EVENT_REASONS:
        return gettext(EVENT_REASONS[code])
    kind, _, rest = code.partition(":")
    if kind == "missing" and rest:
        return gettext("Missing %(what)s") % {"what": _field(rest)}
    if kind == "invalid" and rest:
        return gettext("Unreadable %(what)s") % {"what": _field(rest)}
    if kind == "negative_amount" and rest:
        return gettext("Negative amount on a sale: %(what)s") % {"what": _field(rest)}
    if kind == "duplicate_key" and rest:
        entity = gettext(ENTITIES[rest]) if rest in ENTITIES else rest
        return gettext("The same %(entity)s number as an earlier row, with other values") % {
            "entity": entity
        }
    if kind == "unreadable_row":
        return gettext("A line of the file that could not be read")
    return gettext("Refused by a rule of the source's mapping")
