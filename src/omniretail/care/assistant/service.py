"""The FAQ assistant: one question in, one answer out — an FAQ answer, the identified customer's
own data for a transactional intent, or a hand-over to a person (``abstained``)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from omniretail.care.assistant.answers import HANDLERS
from omniretail.care.assistant.retrieval import FaqIndex, Match
from omniretail.insight.voice import service as voice

MAX_QUESTION = 500  # characters kept from a pasted wall of text
HANDOVER = re.compile(r"转人工|人工客服|真人客服|找人工|要人工|人工服务|找客服人员")
LATIN_WORD = re.compile(r"\b[A-Za-z]+\b")
HANDOVER_TEXT = "好的，正在为您转接人工客服，请稍候。"
ABSTAIN_TEXT = "这个问题我还不能准确回答，已为您转接人工客服，请稍候。"


@dataclass
class Reply:
    answer: str
    intent: str | None
    abstained: bool  # true when the bot hands over to a person instead of answering
    score: float = 0.0
    reason: str = "answered"  # answered | handover_requested | below_threshold | empty |
    #                            no_text | needs_identity | data_unavailable
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=1)
def default_index() -> FaqIndex:
    return FaqIndex()


def ask(
    session: Session | None,
    *,
    question: str,
    customer_id: str | None = None,
    index: FaqIndex | None = None,
) -> Reply:
    """Answer ``question`` for the customer the channel identified (``customer_id``) or anyone."""
    text = voice.normalize(question)[:MAX_QUESTION]
    if not text:
        return Reply("请输入您的问题。", None, abstained=True, reason="empty")
    if not voice.has_words(text):
        return Reply(
            "收到您的表情啦～请用文字描述您的问题，或回复“转人工”。",
            None,
            abstained=True,
            reason="no_text",
        )
    if HANDOVER.search(text):
        return Reply(HANDOVER_TEXT, "handover.human", abstained=True, reason="handover_requested")
    idx = index or default_index()
    if voice.script_of(text) == "mixed":
        # the FAQ is Chinese: Latin words in a mixed message (names, "please", order ids) are
        # left to the transactional answer, the retrieval reads the Chinese part
        text_zh = LATIN_WORD.sub(" ", text).strip()
        match: Match = idx.best(text_zh if voice.has_words(text_zh) else text)
    else:
        match = idx.best(text)
    if not idx.answers(match):
        return Reply(
            ABSTAIN_TEXT, None, abstained=True, score=match.score, reason="below_threshold"
        )
    intent = match.intent
    if intent.id == "handover.human":
        return Reply(
            HANDOVER_TEXT, intent.id, abstained=True, score=match.score, reason="handover_requested"
        )
    if intent.kind is None:
        return Reply(intent.answer, intent.id, abstained=False, score=match.score)
    if customer_id is None:
        return Reply(
            "查询您的个人信息需要先登录或验证手机号，验证后我就能帮您查。",
            intent.id,
            abstained=False,
            score=match.score,
            reason="needs_identity",
        )
    if session is None:
        raise ValueError("a transactional answer needs a database session")
    result = HANDLERS[intent.kind](session, customer_id, text)
    return Reply(
        result.text,
        intent.id,
        abstained=result.handover,
        score=match.score,
        reason="data_unavailable" if result.handover else "answered",
        data=result.data,
    )
