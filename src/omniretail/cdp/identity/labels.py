"""Identity resolution's codes in the user's language: why records are linked (the rules) and
what two linked records share (the evidence)."""

from __future__ import annotations

from typing import Any

from omniretail.platform.i18n import N_, current_locale, gettext

KINDS = {
    "member_id": N_("member card"),
    "unionid": "unionid",
    "openid": "openid",
    "phone": N_("mobile phone"),
    "email": N_("e-mail address"),
    "wecom_external_userid": N_("WeCom contact"),
    "platform_buyer_id": N_("platform buyer id"),
}

LINKS = {
    "alias": N_("an alias of the same user"),
    "corporate_account": N_("the same corporate account"),
    "device": N_("the same device"),
    "same_event": N_("the same event"),
    "source": N_("the source system"),
}

AGREES = {
    "masked_phone": N_("the same masked phone"),
    "phone_ending": N_("the same phone ending"),
    "name": N_("the same name"),
    "surname": N_("the same surname"),
    "address": N_("the same address"),
    "house": N_("the same building"),
    "birthday": N_("the same birthday"),
    "city": N_("the same city"),
    "gender": N_("the same gender"),
}


def kind_label(kind: str) -> str:
    label = KINDS.get(kind)
    return gettext(label) if label else kind


def rule_label(rule: str | None) -> str:
    """``deterministic:phone`` → 同一手机号; ``splink:0.9731`` → 概率匹配（97.3%）."""
    if not rule or rule == "singleton":
        return gettext("Only record")
    kind, _, rest = rule.partition(":")
    if kind == "deterministic":
        return gettext("Same %(identifier)s") % {"identifier": kind_label(rest)}
    if kind == "splink":
        try:
            share = f"{float(rest):.1%}"
        except ValueError:
            share = rest
        return gettext("Probabilistic match (%(p)s)") % {"p": share}
    if kind == "link":
        what = gettext(LINKS[rest]) if rest in LINKS else rest
        return gettext("Linked by the source (%(what)s)") % {"what": what}
    if kind == "manual":
        return gettext("Merged by hand")
    return rule


def evidence_value(evidence: Any) -> str | None:
    """The shared identifier's value (shown as code), when the evidence is one."""
    if isinstance(evidence, dict) and evidence.get("kind") and evidence.get("value"):
        return str(evidence["value"])
    return None


def evidence_text(evidence: Any) -> str:
    """What the two records share, in words (the identifier's value apart: evidence_value)."""
    if not isinstance(evidence, dict):
        return ""
    if evidence.get("kind"):
        return gettext("%(identifier)s shared by %(n)s records") % {
            "identifier": kind_label(str(evidence["kind"])),
            "n": evidence.get("records", "?"),
        }
    if "agree" in evidence:
        parts = [
            gettext(AGREES[a]) if a in AGREES else a
            for a in str(evidence.get("agree") or "").split(",")
            if a
        ]
        sep = "、" if current_locale() == "zh_CN" else ", "
        return sep.join(parts) if parts else gettext("no field agrees exactly")
    if "link_type" in evidence:
        link = str(evidence.get("link_type") or "source")
        what = gettext(LINKS[link]) if link in LINKS else link
        return gettext("The source links them: %(what)s") % {"what": what}
    return ""
