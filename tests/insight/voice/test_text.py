from __future__ import annotations

import pytest

from omniretail.insight.voice.aspects import aspects_of
from omniretail.insight.voice.corpus import dedup_key, load_corpus, near_duplicate_groups
from omniretail.insight.voice.text import has_words, normalize, script_of, sentences, words


def test_normalize_traditional_to_simplified_and_width() -> None:
    assert normalize("這個價格太貴了！") == "这个价格太贵了!"
    assert normalize("  ＡＢＣ　味道\n很好 ") == "ABC 味道 很好"
    assert normalize(None) == ""


def test_bad_input_kinds() -> None:
    assert not has_words("😀😀👍")
    assert not has_words("！！？。")
    assert has_words("好吃😀")
    assert script_of("😀") == "none"
    assert script_of("快递太慢 delivery slow") == "mixed"
    assert len(normalize("太贵" * 10_000)) == 5000


def test_sentences_split_on_sentence_ends_only() -> None:
    text = normalize("味道很好，包装也不错。物流太慢了！😀")
    assert sentences(text) == ["味道很好,包装也不错。", "物流太慢了!"]


def test_retail_dictionary_is_in_force() -> None:
    assert "提货码" in words("我的提货码是多少")
    assert "到店自提" in words("可以到店自提吗")


@pytest.mark.slow
def test_corpus_is_deduplicated_and_consistent() -> None:
    corpus = load_corpus()
    keys = [dedup_key(t) for t in corpus.texts]
    assert len(keys) == len(set(keys)) > 17_000
    assert set(corpus.labels) == {0, 1}


def test_near_duplicates_share_a_group() -> None:
    texts = [
        "房间很干净服务也很好下次还会再来",
        "房间很干净服务也很好下次还会再来的哦",
        "完全不同的一句话内容在这里呢",
    ]
    g = near_duplicate_groups(texts, edge=10)
    assert g[0] == g[1] != g[2]


def test_longest_cue_wins() -> None:
    hits = {h.aspect: h.keyword for h in aspects_of("水果不新鲜，快递很快")}
    assert hits == {"freshness": "不新鲜", "delivery": "快递"}
