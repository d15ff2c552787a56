"""The person a privacy request is about, and how to recognise them in any text.

Identifiers come in three strengths:
- ``phones`` and ``identifiers`` (e-mail, unionid, openid, WeCom external user id, platform
  buyer id, member card number) name one person anywhere: a cell or a substring equal to one
  of them (between non-word characters) is theirs;
- ``source_ids`` (a source's own record id, e.g. a POS card ``100234``) name them only in that
  source's records;
- ``names`` (names, addresses) are not unique: they are removed only from rows already known
  to be the person's.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from omniretail.platform.phone import normalize_phone

ERASED = "已删除"  # what replaces a removed substring inside a longer text
MIN_IDENTIFIER = 6  # shorter values are never searched for outside their own column
_BOUND_L = r"(^|[^0-9A-Za-z_])"
_BOUND_R = r"([^0-9A-Za-z_]|$)"


def national(phone: str) -> str | None:
    """The national significant number of a phone (13731200031), or None."""
    e164 = normalize_phone(phone)
    if not e164:
        return None
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def tombstone() -> str:
    """A random id that replaces a customer id in rows kept for the figures (not derivable)."""
    return "ERASED-" + secrets.token_hex(8).upper()


@dataclass(frozen=True)
class Subject:
    customer_ids: tuple[str, ...]
    record_keys: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # national significant numbers
    identifiers: tuple[str, ...] = ()
    source_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    tombstones: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def build(
        customer_ids: Iterable[str],
        *,
        record_keys: Iterable[str] = (),
        phones: Iterable[str | None] = (),
        identifiers: Iterable[str | None] = (),
        names: Iterable[str | None] = (),
    ) -> Subject:
        ids = tuple(dict.fromkeys(c for c in customer_ids if c))
        keys = tuple(sorted({k for k in record_keys if k}))
        nat = sorted({n for p in phones if p for n in [national(p)] if n})
        idents = sorted(
            {i.strip() for i in identifiers if i and len(i.strip()) >= MIN_IDENTIFIER} - set(nat)
        )
        by_source: dict[str, set[str]] = {}
        for k in keys:
            src, _, rid = k.partition(":")
            if rid:
                by_source.setdefault(src, set()).add(rid)
        return Subject(
            customer_ids=ids,
            record_keys=keys,
            phones=tuple(nat),
            identifiers=tuple(idents),
            source_ids={s: tuple(sorted(v)) for s, v in by_source.items()},
            names=tuple(sorted({n.strip() for n in names if n and len(n.strip()) >= 2})),
            tombstones={c: tombstone() for c in ids},
        )

    # -- recognising the person ----------------------------------------------------------------
    def strong_alternatives(self) -> list[str]:
        alts = [r"(?:\+?86[ -]?)?" + "[ -]?".join(p) for p in self.phones]
        alts += [re.escape(i) for i in self.identifiers]
        return alts

    def pattern(self) -> str | None:
        """A regular expression (Python ``re`` and RE2 alike) finding a strong identifier:
        group 1 and the last group are the characters around it."""
        alts = self.strong_alternatives()
        if not alts:
            return None
        return "(?i)" + _BOUND_L + "(?:" + "|".join(alts) + ")" + _BOUND_R

    def ids_for(self, source: str) -> set[str]:
        """Values that name the person in ``source``'s records: its own ids, long ids of any
        source, and the strong identifiers."""
        out = set(self.source_ids.get(source, ()))
        for values in self.source_ids.values():
            out.update(v for v in values if len(v) >= 8)
        out.update(i.casefold() for i in self.identifiers)
        out.update(self.phones)
        return {v.casefold() for v in out}

    def is_value(self, value: object, source: str | None = None) -> bool:
        """Is this cell, as a whole, one of the person's identifiers?"""
        if not isinstance(value, str | int) or isinstance(value, bool):
            return False
        text = str(value).strip()
        if not text:
            return False
        folded = text.casefold()
        if folded in {i.casefold() for i in self.identifiers}:
            return True
        if source is not None and folded in self.ids_for(source):
            return True
        if sum(ch.isdigit() for ch in text) >= 7 and len(text) <= 24:
            n = national(text)
            if n and n in self.phones:
                return True
        return False


@dataclass
class Scrubber:
    """Removes the person's identifiers from values (strings, numbers, JSON-like structures)."""

    subject: Subject
    source: str | None = None
    with_names: bool = False
    _rx: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        p = self.subject.pattern()
        self._rx = re.compile(p) if p else None

    def contains(self, value: object) -> bool:
        """Does the value (or anything inside it) name the person?"""
        if isinstance(value, dict):
            return any(self.contains(v) for v in value.values())
        if isinstance(value, list | tuple):
            return any(self.contains(v) for v in value)
        if self.subject.is_value(value, self.source):
            return True
        return isinstance(value, str) and self._rx is not None and bool(self._rx.search(value))

    def clean(self, value: Any) -> Any:
        """The value without the person's identifiers: a cell that is one becomes None, a text
        that contains one has it replaced by 已删除; with ``with_names`` names go too."""
        if isinstance(value, dict):
            return {k: self.clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.clean(v) for v in value]
        if self.subject.is_value(value, self.source):
            return None
        if isinstance(value, str):
            if self.with_names and value.strip() in self.subject.names:
                return None
            out = value
            if self._rx is not None:
                out = self._rx.sub(lambda m: m.group(1) + ERASED + m.group(2), out)
            if self.with_names:
                for n in self.subject.names:
                    out = out.replace(n, ERASED)
            return out
        return value
