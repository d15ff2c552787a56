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
    assert top1 >= 0.80  # measured 0.813 (target 0.90 not met: docs/assistant.md)


def test_second_held_out_set(held_out_index: FaqIndex) -> None:
    # fresh.tsv: one question per intent written from the ids and answers only, colloquial,
    # with typos and dialect; nothing in it is indexed and no indexed paraphrase repeats it
    pairs = [tuple(ln.split("\t")) for ln in lines("fresh.tsv")]
    intents = {i.id: i for i in load_faq()}
    assert {iid for iid, _ in pairs} == set(intents)
    indexed = {prepare(q) for i in intents.values() for q in i.indexed(holdout=False)}
    assert not {prepare(q) for _, q in pairs} & indexed
    top1 = sum(held_out_index.best(q).intent.id == iid for iid, q in pairs) / len(pairs)
    assert top1 >= 0.87  # measured 0.892 (0.793 before the paraphrases of 2026-12-07)
    wrong = sum(
        held_out_index.best(q).intent.id != iid and held_out_index.answers(held_out_index.best(q))
        for iid, q in pairs
    )
    assert wrong / len(pairs) <= 0.03  # a confident wrong answer is the costly error


def test_out_of_scope_abstention(held_out_index: FaqIndex) -> None:
    questions = lines("oos_test.txt") + lines("oos_fresh.txt")
    abstained = sum(not held_out_index.answers(held_out_index.best(q)) for q in questions)
    assert abstained / len(questions) >= 0.95


def test_synonym_table_folds_colloquial_words() -> None:
    # the desk's colloquial table: one word per concept in questions and FAQ alike
    assert prepare("账号登陆不上") == prepare("账户登录不上")
    assert prepare("东西卖完了吗") == prepare("商品缺货吗")
    assert prepare("送货地址怎么更改") == prepare("地址怎么修改")
    assert prepare("要几天") == prepare("要多久")


def test_small_talk_ranks_by_characters_when_no_word_scores(held_out_index: FaqIndex) -> None:
    # "在吗" is all function words: the score is 0 for every intent (it hands over), and the
    # ranking comes from the characters rather than from the first intent in the file
    m = held_out_index.best("在吗")
    assert m.score == 0.0
    assert not held_out_index.answers(m)
    assert m.intent.id == "misc.greeting"


def test_several_extra_files_add_to_one_intent() -> None:
    # extra_*.yaml files are merged per id, not overwritten by the last file read
    fee = next(i for i in load_faq() if i.id == "delivery.fee")
    assert "运费怎么算" in fee.extra  # extra_delivery.yaml
    assert "免运费的门槛是多少" in fee.extra  # extra_more_delivery.yaml


def test_bm25_matrix_scores_equal_rank_bm25(held_out_index: FaqIndex) -> None:
    # the precomputed term × document matrix must give rank-bm25's Okapi scores exactly
    import numpy as np

    from omniretail.care.assistant.retrieval import _tokens

    for q in ["配送费怎么收", "优惠券 优惠券 过期了", "没有这个词的问题", "积分"]:
        toks = _tokens(prepare(q))
        expected = np.asarray(held_out_index._bm25.get_scores(toks))
        assert np.allclose(held_out_index.bm25_scores(toks), expected, rtol=0, atol=1e-9)


def test_intent_without_any_text_is_refused() -> None:
    from omniretail.care.assistant.faq import Intent

    intents = (Intent("a.one", "答", ("问一", "问二", "问三")), Intent("b.two", "答", ()))
    with pytest.raises(ValueError, match="b.two"):
        FaqIndex(intents, with_answers=False)
