"""Aspect assignment against hand-labelled real review sentences (docs/voice.md)."""

from __future__ import annotations

from pathlib import Path

from omniretail.insight.voice.aspects import TAXONOMY, aspects_of
from omniretail.insight.voice.text import normalize

GOLD = Path(__file__).parent / "data" / "aspect_gold.tsv"


def scores() -> dict[str, tuple[int, float]]:
    rows = [
        ln.rstrip("\n").split("\t")
        for ln in GOLD.read_text("utf-8").splitlines()
        if ln and not ln.startswith("#")
    ]
    out: dict[str, tuple[int, float]] = {}
    for code in TAXONOMY:
        tp = fp = fn = 0
        for _, _, labels, sentence in rows:
            gold = code in labels.split(",")
            pred = code in {h.aspect for h in aspects_of(normalize(sentence))}
            tp += gold and pred
            fp += pred and not gold
            fn += gold and not pred
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        out[code] = (tp + fn, f1)
    return out


def test_gold_set_has_hundreds_of_real_sentences() -> None:
    rows = [ln for ln in GOLD.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
    assert len(rows) >= 400


def test_macro_f1_over_aspects_with_support() -> None:
    s = scores()
    supported = [f1 for support, f1 in s.values() if support >= 10]
    assert len(supported) >= 7
    assert sum(supported) / len(supported) >= 0.75
