"""The curated retail FAQ: intents with an answer and several paraphrases, kept as YAML files
beside this module (``faq_*.yaml``: id, answer, five paraphrases; ``extra_*.yaml``: more
paraphrases per id, several files may add to one id). An intent with a ``kind`` is
transactional: its answer comes from the identified customer's own data (see
:mod:`omniretail.care.assistant.answers`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

HELD_OUT = 2  # the last two paraphrases of each intent are kept out of the index for evaluation


@dataclass(frozen=True)
class Intent:
    id: str
    answer: str
    questions: tuple[str, ...]
    kind: str | None = None
    extra: tuple[str, ...] = ()  # more paraphrases, always indexed

    @property
    def category(self) -> str:
        return self.id.split(".", 1)[0]

    def indexed(self, *, holdout: bool) -> tuple[str, ...]:
        return (self.questions[:-HELD_OUT] if holdout else self.questions) + self.extra

    def held_out(self) -> tuple[str, ...]:
        return self.questions[-HELD_OUT:]


@lru_cache(maxsize=1)
def load_faq() -> tuple[Intent, ...]:
    root = resources.files("omniretail.care.assistant")
    extra: dict[str, tuple[str, ...]] = {}
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.name.startswith("extra_") and item.name.endswith(".yaml"):
            for key, qs in yaml.safe_load(item.read_text(encoding="utf-8")).items():
                extra[str(key)] = extra.get(str(key), ()) + tuple(str(q) for q in qs)
    out: list[Intent] = []
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if not (item.name.startswith("faq_") and item.name.endswith(".yaml")):
            continue
        for raw in yaml.safe_load(item.read_text(encoding="utf-8")):
            out.append(
                Intent(
                    id=str(raw["id"]),
                    answer=str(raw["a"]),
                    questions=tuple(str(q) for q in raw["q"]),
                    kind=raw.get("kind"),
                    extra=extra.pop(str(raw["id"]), ()),
                )
            )
    if extra:
        raise ValueError(f"paraphrases for unknown FAQ intents: {sorted(extra)}")
    ids = [i.id for i in out]
    if len(ids) != len(set(ids)):
        raise ValueError("FAQ intent ids must be unique")
    return tuple(out)
