"""Message templates by name: ``register_template("pickup_ready", title=..., body=...)``.

A domain registers its transactional templates (Chinese text, ``{param}`` placeholders, as
``str.format``); an enqueue with ``template="pickup_ready", params={...}`` renders them. A
missing parameter is an error naming it, never a message with a hole in it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from omniretail.platform.errors import InvalidInput


@dataclass(frozen=True)
class MessageTemplate:
    name: str
    title: str
    body: str


_TEMPLATES: dict[str, MessageTemplate] = {}


def register_template(name: str, *, title: str, body: str) -> MessageTemplate:
    t = MessageTemplate(name=name, title=title, body=body)
    _TEMPLATES[name] = t
    return t


def template_names() -> list[str]:
    return sorted(_TEMPLATES)


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def render(
    name: str | None, params: dict[str, Any], *, subject: str | None, body: str | None
) -> tuple[str, str]:
    """(title, body) of a message: the template's, filled with ``params``; an explicit
    ``subject``/``body`` wins."""
    if not name:
        return subject or "", body or ""
    t = _TEMPLATES.get(name)
    if t is None:
        raise InvalidInput(
            f"未知的消息模板 {name!r}；可用：{', '.join(template_names()) or '无'}",
            field="template",
        )
    missing = sorted((_fields(t.title) | _fields(t.body)) - set(params))
    if missing:
        raise InvalidInput(
            f"消息模板 {name} 缺少参数：{', '.join(missing)}", field=f"params.{missing[0]}"
        )
    return subject or t.title.format(**params), body or t.body.format(**params)


register_template(
    "system_notice",
    title="{title}",
    body="{body}",
)
