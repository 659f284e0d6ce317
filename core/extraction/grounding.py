"""Grounding: is a value an LLM returned actually on the page?

A value is grounded when its evidence text occurs in the document text (compared without case,
whitespace or punctuation) and the evidence shows the value (amounts and dates parsed in any
locale format, strings contained). Failing that, the value itself found anywhere in the text
still counts, with less confidence. Anything else is ungrounded: the model may have invented it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from core.extraction.parsing import find_amounts, find_currencies, find_dates

GROUNDED = "grounded"  # evidence on the page and it shows the value
FOUND = "found"  # value on the page, evidence not exact
UNGROUNDED = "ungrounded"
NO_TEXT = "no_text"  # nothing to check against (image-only document without OCR)
_PARTS = re.compile(r"[,;\n]+")


def squash(text: str) -> str:
    """Casefolded alphanumerics only: layout, spacing and punctuation do not matter."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", folded)


@dataclass
class DocumentText:
    """The document text prepared once for many grounding checks."""

    text: str

    @cached_property
    def squashed(self) -> str:
        return squash(self.text)

    @cached_property
    def amounts(self) -> set[Decimal]:
        return _amounts(self.text)

    @cached_property
    def amounts_comma(self) -> set[Decimal]:
        return _amounts(self.text, ",")

    def shows_amount(self, value: Decimal) -> bool:
        """Whether the value is printed anywhere (either decimal convention)."""
        return value in self.amounts or value in self.amounts_comma

    @cached_property
    def dates(self) -> set[dt.date]:
        return _dates(self.text)

    @property
    def empty(self) -> bool:
        return not self.squashed


def _dates(text: str) -> set[dt.date]:
    found = {d.value for d in find_dates(text, day_first=True)}
    return found | {d.value for d in find_dates(text, day_first=False)}


def _amounts(text: str, decimal_sep: str | None = None) -> set[Decimal]:
    return {abs(v) for _, _, v in find_amounts(text, decimal_sep)}


def _shows_amount(text: str, value: Decimal) -> bool:
    # The auto-detected reading first; the comma-decimal reading only when that misses
    # ("1.234" is 1234 in German): half the parsing in the common case.
    return value in _amounts(text) or value in _amounts(text, ",")


def _evidence_on_page(evidence: str | None, doc: DocumentText) -> bool:
    needle = squash(evidence or "")
    return bool(needle) and needle in doc.squashed


def ground(kind: str, value: object, evidence: str | None, doc: DocumentText) -> str:
    """Classify one value as GROUNDED, FOUND, UNGROUNDED or NO_TEXT.

    ``kind`` is "amount", "date", "currency", "text" or "enum" (enums only need their evidence).
    """
    if value is None or value == "":
        return GROUNDED  # nothing claimed, nothing to check
    if doc.empty:
        return NO_TEXT
    on_page = _evidence_on_page(evidence, doc)
    ev = evidence or ""
    if kind == "amount":
        assert isinstance(value, Decimal)
        if on_page and _shows_amount(ev, abs(value)):
            return GROUNDED
        return FOUND if doc.shows_amount(abs(value)) else UNGROUNDED
    if kind == "date":
        assert isinstance(value, dt.date)
        if on_page and value in _dates(ev):
            return GROUNDED
        return FOUND if value in doc.dates else UNGROUNDED
    if kind == "currency":
        if on_page and value in find_currencies(ev):
            return GROUNDED
        return FOUND if value in find_currencies(doc.text) else UNGROUNDED
    if kind == "enum":
        return GROUNDED if on_page else FOUND
    wanted = squash(str(value))
    if on_page and wanted and wanted in squash(ev):
        return GROUNDED
    # Multi-line values (addresses) are not contiguous in a two-column layout's reading order:
    # every part of the value on the page, and every part of the evidence, grounds it.
    parts = [squash(p) for p in _PARTS.split(str(value)) if squash(p)]
    if len(parts) > 1 and all(p in doc.squashed for p in parts):
        ev_parts = [squash(p) for p in _PARTS.split(ev) if squash(p)]
        if ev_parts and all(p in doc.squashed for p in ev_parts):
            return GROUNDED
        return FOUND
    # Very short values ("1", "A") appear everywhere by chance: only evidence grounds them.
    if len(wanted) >= 3 and wanted in doc.squashed:
        return FOUND
    return UNGROUNDED
