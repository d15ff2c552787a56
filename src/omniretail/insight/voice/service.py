"""Voice-of-the-customer services: score a table of texts for sentiment, analyse one review into
sentences with sentiment and aspects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from omniretail.insight.voice.aspects import aspects_of
from omniretail.insight.voice.errors import MissingTextColumn, UnreadableTable
from omniretail.insight.voice.sentiment import score_texts
from omniretail.insight.voice.text import has_words, normalize, script_of, sentences, words

__all__ = [
    "analyse_review",
    "has_words",
    "normalize",
    "read_table",
    "script_of",
    "sentiment_table",
    "words",
]

READERS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".xlsx": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet file with every column as text (row order kept)."""
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise UnreadableTable(
            f"不支持的文件类型 {path.suffix or '(无扩展名)'}：请用 CSV、XLSX、Parquet 或 JSONL",
            field="input",
        )
    if not path.is_file():
        raise UnreadableTable(f"找不到文件 {path}", field="input")
    try:
        if kind == "csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if kind == "jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        if kind == "excel":
            return pd.read_excel(path, dtype=str, keep_default_na=False)
        return pd.read_parquet(path)
    except Exception as exc:  # the parsers raise many kinds; name the file and the reason
        raise UnreadableTable(f"无法读取 {path.name}：{exc}", field="input") from exc


def sentiment_table(frame: pd.DataFrame, *, text_col: str) -> pd.DataFrame:
    """One row per input row, in order: the input columns plus ``score`` (probability positive),
    ``label`` (1 positive, 0 negative: score >= 0.5) and ``has_text``. A row with nothing to read
    (empty, emoji or punctuation only) keeps its place with score 0.5 and ``has_text`` false."""
    if text_col not in frame.columns:
        cols = "、".join(map(str, frame.columns[:20]))
        raise MissingTextColumn(f"文件中没有列 {text_col!r}（现有列：{cols}）", field="text_col")
    texts = frame[text_col].tolist()
    scores = score_texts(texts)
    out = frame.copy()
    out["score"] = scores.round(6)
    out["label"] = (scores >= 0.5).astype(int)
    out["has_text"] = [has_words(normalize(t)) for t in texts]
    return out


@dataclass
class SentenceView:
    text: str
    score: float
    aspects: list[tuple[str, str]] = field(default_factory=list)  # (aspect code, keyword)


def analyse_review(text: str) -> list[SentenceView]:
    """A review split into sentences, each with its sentiment score and aspects."""
    sents = sentences(normalize(text))
    if not sents:
        return []
    scores = score_texts(sents)
    return [
        SentenceView(text=s, score=float(p), aspects=[(h.aspect, h.keyword) for h in aspects_of(s)])
        for s, p in zip(sents, scores, strict=True)
    ]
