"""Sentiment model: training time, validation accuracy and scoring speed.

Accuracy: (1) 5-fold cross-validation grouped by near-duplicate group (texts sharing their first
or last 12 characters stay in one fold), (2) cross-domain: train on two of the corpus's domains
(hotel, notebook computers, books), test on the third. Speed: reviews per second scored on one
process, after a warm-up, with a character-n-gram-only logistic regression as the baseline.

    python bench/voice_sentiment.py [--folds 5] [--speed-n 20000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from omniretail.insight.voice.corpus import domain_of, load_corpus, near_duplicate_groups
from omniretail.insight.voice.sentiment import SentimentModel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--speed-n", type=int, default=20_000)
    args = ap.parse_args()
    from sklearn.model_selection import GroupKFold

    corpus = load_corpus()
    texts = np.asarray(corpus.texts, dtype=object)
    labels = np.asarray(corpus.labels)
    groups = np.asarray(near_duplicate_groups(corpus.texts))
    print(f"corpus: {len(texts)} unique reviews, {len(set(groups))} near-duplicate groups")
    accs = []
    for tr, te in GroupKFold(args.folds).split(texts, labels, groups):
        m = SentimentModel().fit(list(texts[tr]), list(labels[tr]))
        accs.append(float((m.label(list(texts[te])) == labels[te]).mean()))
    print(f"grouped {args.folds}-fold CV accuracy: {np.round(accs, 3)} mean {np.mean(accs):.4f}")
    domains = np.asarray([domain_of(t) for t in texts])
    for d in ("hotel", "pc", "book"):
        tr, te = domains != d, domains == d
        m = SentimentModel().fit(list(texts[tr]), list(labels[tr]))
        acc = float((m.label(list(texts[te])) == labels[te]).mean())
        print(f"cross-domain: train on the others, test on {d} ({te.sum()}): {acc:.4f}")
    t = time.perf_counter()
    model = SentimentModel().fit(list(texts), list(labels))
    print(f"training on all: {time.perf_counter() - t:.1f} s")
    sample = list(np.resize(texts, args.speed_n))
    model.score(sample[:500])
    t = time.perf_counter()
    model.score(sample)
    ours = args.speed_n / (time.perf_counter() - t)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    base = LogisticRegression(C=4, solver="liblinear").fit(vec.fit_transform(texts), labels)
    t = time.perf_counter()
    base.predict_proba(vec.transform(sample))
    baseline = args.speed_n / (time.perf_counter() - t)
    print(f"scoring: {ours:,.0f} reviews/s (char-n-gram LR baseline {baseline:,.0f} reviews/s)")


if __name__ == "__main__":
    main()
