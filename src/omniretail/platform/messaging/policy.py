"""The rules a message is sent under, by purpose.

**Marketing** messages (campaigns, journeys, group-buy and community promotions) need the
customer's opt-in for the channel (consent ``true``), respect the frequency caps and are moved
out of quiet hours. **Transactional** messages (a pickup notice, a ticket reply, an order
update) are sent at any hour and past any cap, without a marketing opt-in; they still respect a
channel opt-out (consent ``false``) where the law or the channel's own rules make the refusal
cover every message, not only advertising:

- ``wechat`` (subscription/template messages) and ``wecom`` (external contacts): the platform
  only delivers to users who subscribed or kept the contact; a recorded refusal is total.
- ``app_push``: the customer switched notifications off for the app; the OS enforces it.
- ``sms`` and ``email`` are *not* in the list: in China the consent rules for these channels
  govern commercial messages (MIIT 通信短信息服务管理规定 (2015) art. 18: commercial SMS need
  consent and an opt-out that stops them; 互联网电子邮件服务管理办法 (2006) art. 13–14: the same
  for commercial e-mail). A "reply TD to unsubscribe" stops marketing, not the notice that an
  order is ready for pickup. Our consent flags are marketing consent (营销触达许可), so a
  ``false`` there blocks marketing only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# A recorded opt-out on these channels also stops transactional messages (see above).
OPT_OUT_BINDS_TRANSACTIONAL: frozenset[str] = frozenset({"wechat", "wecom", "app_push"})

# The consent flag that governs each channel (WeCom 1:1 messages follow the WeChat consent).
CONSENT_CHANNEL = {
    "sms": "sms",
    "email": "email",
    "wechat": "wechat",
    "wecom": "wechat",
    "app_push": "app_push",
}


@dataclass(frozen=True)
class PressurePolicy:
    """Contact-pressure rules for marketing messages."""

    max_per_week: int = 3  # marketing messages per member in 7 days, all channels
    max_per_channel_per_day: int = 1
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    timezone: str = "Asia/Shanghai"


def next_send_time(now: datetime, policy: PressurePolicy) -> datetime:
    """Move a send out of quiet hours (local time) to the next allowed moment."""
    tz = ZoneInfo(policy.timezone)
    local = now.astimezone(tz)
    t = local.timetz().replace(tzinfo=None)
    if policy.quiet_start <= t or t < policy.quiet_end:
        day = local.date() if t < policy.quiet_end else local.date() + timedelta(days=1)
        local = datetime.combine(day, policy.quiet_end, tzinfo=tz)
    return local.astimezone(now.tzinfo)


def pressure_verdict(
    *,
    week_count: int,
    channel_today: int,
    policy: PressurePolicy,
) -> str | None:
    """Why a member may not get another marketing message now (None = allowed)."""
    if week_count >= policy.max_per_week:
        return f"frequency cap: {policy.max_per_week} messages in 7 days"
    if channel_today >= policy.max_per_channel_per_day:
        return f"frequency cap: {policy.max_per_channel_per_day} per channel per day"
    return None


def channel_refusal(channel: str, consent: bool | None, *, purpose: str) -> str | None:
    """Why ``channel`` may not carry a message of ``purpose`` given the customer's consent
    flag for it (``None`` = allowed)."""
    if purpose == "marketing":
        return None if consent is True else f"{channel}:no-consent"
    if consent is False and channel in OPT_OUT_BINDS_TRANSACTIONAL:
        return f"{channel}:opted-out"
    return None
