"""Held-out paraphrase accuracy and out-of-scope abstention (figures in docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniretail.care.assistant.faq import load_faq
from omniretail.care.assistant.retrieval import FaqIndex, prepare

DATA = Path(__file__).parent / "data"


def lines(name: str) -> list[str]:
    return [
        ln.strip()
        for ln in (DATA / name).read_text("utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]


@pytest.fixture(scope="module")
def held_out_index() -> FaqIndex:
    return FaqIndex(holdout=True)


def test_faq_size_and_no_leak() -> None:
    intents = load_faq()
    assert len(intents) >= 200
    assert all(len(i.questions) >= 5 for i in intents)
    for intent in intents:
        held = {prepare(q) for q in intent.held_out()}
        assert not held & {prepare(q) for q in intent.indexed(holdout=True)}


def test_held_out_paraphrases_top1(held_out_index: FaqIndex) -> None:
    pairs = [(i.id, q) for i in load_faq() for q in i.held_out()]
    top1 = sum(held_out_index.best(q).intent.id == iid for iid, q in pairs) / len(pairs)
    assert top1 >= 0.70  # measured 0.717 (target 0.90 not met: docs/assistant.md)


def test_out_of_scope_abstention(held_out_index: FaqIndex) -> None:
    questions = lines("oos_test.txt")
    abstained = sum(not held_out_index.answers(held_out_index.best(q)) for q in questions)
    assert abstained / len(questions) >= 0.95
