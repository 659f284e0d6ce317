"""Scoring extracted fields against labelled truth, exactly as the benchmark README defines it.

Amounts compare as ``Decimal``; dates exactly; names and numbers case-insensitively ignoring
whitespace and punctuation; any alias is accepted; ``unverified`` values are not scored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core.extraction.schema import AMOUNT_FIELDS, DATE_FIELDS

LINE_ATTRS = ("description", "quantity", "unit_price", "amount")
_LINE_AMOUNTS = frozenset({"quantity", "unit_price", "amount"})


def _norm_text(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    return re.sub(r"[\W_]+", "", text)


def _to_dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def value_matches(name: str, predicted: Any, expected: Any) -> bool:
    """Whether one predicted value equals one truth value under the README rules."""
    if predicted is None or predicted == "":
        return False
    if name in AMOUNT_FIELDS or name in _LINE_AMOUNTS:
        a, b = _to_dec(predicted), _to_dec(expected)
        return a is not None and b is not None and a == b
    if name in DATE_FIELDS:
        return str(predicted)[:10] == str(expected)
    return _norm_text(predicted) == _norm_text(expected) != ""


def score_fields(predicted: Mapping[str, Any], truth: Mapping[str, Any]) -> dict[str, bool]:
    """Per annotated header field (``line_items`` excluded): exact or not."""
    fields = truth.get("fields", {})
    aliases = truth.get("aliases") or {}
    out: dict[str, bool] = {}
    for name, expected in fields.items():
        if name == "line_items":
            continue
        accepted = [expected, *aliases.get(name, [])]
        out[name] = any(value_matches(name, predicted.get(name), e) for e in accepted)
    return out


def score_lines(
    predicted: Iterable[Mapping[str, Any]], expected: Iterable[Mapping[str, Any]]
) -> dict[str, tuple[int, int]]:
    """(correct, annotated) per line attribute, lines aligned by position."""
    pred = list(predicted)
    out: dict[str, tuple[int, int]] = {}
    for attr in LINE_ATTRS:
        ok = total = 0
        for i, exp in enumerate(expected):
            if attr not in exp:
                continue
            total += 1
            if i < len(pred) and value_matches(attr, pred[i].get(attr), exp[attr]):
                ok += 1
        out[attr] = (ok, total)
    return out


@dataclass
class Tally:
    """Accumulates per-field hits over many documents."""

    hits: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    def add(self, doc: str, predicted: Mapping[str, Any], truth: Mapping[str, Any]) -> None:
        """Score one document into the tally, remembering each miss."""
        for name, ok in score_fields(predicted, truth).items():
            self.counts[name] = self.counts.get(name, 0) + 1
            self.hits[name] = self.hits.get(name, 0) + int(ok)
            if not ok:
                self.misses.append((doc, name, predicted.get(name), truth["fields"][name]))
        lines = score_lines(
            predicted.get("line_items") or [], truth.get("fields", {}).get("line_items") or []
        )
        for attr, (ok_n, total) in lines.items():
            if total:
                key = f"line_items.{attr}"
                self.counts[key] = self.counts.get(key, 0) + total
                self.hits[key] = self.hits.get(key, 0) + ok_n

    def header_accuracy(self) -> float:
        """Share of annotated header fields that are exact (line items excluded)."""
        keys = [k for k in self.counts if not k.startswith("line_items.")]
        total = sum(self.counts[k] for k in keys)
        return sum(self.hits[k] for k in keys) / total if total else 0.0

    def rows(self) -> list[tuple[str, int, int, float]]:
        """(field, hits, annotated, accuracy) sorted by field name."""
        return [
            (k, self.hits[k], self.counts[k], self.hits[k] / self.counts[k])
            for k in sorted(self.counts)
        ]
